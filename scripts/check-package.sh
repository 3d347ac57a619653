#!/usr/bin/env bash
# Checks the Debian package made by scripts/package.sh (run by .ci/run): the files
# it holds and nothing else, the configuration file's mode and conffiles, lintian
# without errors, every binary running `--version` from an extracted root, and
# `systemd-analyze verify` on the units (where systemd-analyze exists).
#
#   scripts/check-package.sh [target/debian/pra_*.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:-$(ls -t target/debian/pra_*.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || { echo "check-package: no package (run scripts/package.sh)" >&2; exit 2; }
fail() { echo "check-package: FAIL: $*" >&2; exit 1; }
pass() { echo "check-package: ok: $*"; }
work=$(mktemp -d /tmp/pra-check-package.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Every binary of the workspace but the man-page generator.
bins=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys
print("\n".join(sorted(t["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"]
    if "bin" in t["kind"] and t["name"] != "pra-docgen")))')
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "pra-deb"))')

# --- Contents ------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' > "$work/contents"
has() { grep -q " \./$1\$" "$work/contents" || fail "the package has no /$1"; }
for b in $bins; do
  has "usr/bin/$b"
  has "usr/share/man/man1/$b.1.gz"
  has "usr/share/bash-completion/completions/$b"
  has "usr/share/zsh/vendor-completions/_$b"
  has "usr/share/fish/vendor_completions.d/$b.fish"
done
for u in backup status verify test-restore drill report; do
  has "lib/systemd/system/pra-$u.service"
  has "lib/systemd/system/pra-$u.timer"
done
for f in usr/share/man/man7/pra.7.gz lib/systemd/system/pra-.service.d/hardening.conf usr/lib/pra/test-restore \
  etc/logrotate.d/pra usr/share/doc/pra/copyright usr/share/doc/pra/DEPLOYMENT_CHECKLIST.md \
  usr/share/doc/pra/INDEX.md usr/share/doc/pra/METRICS.md usr/share/doc/pra/examples/cron.example; do
  has "$f"
done
grep -qE "^-rw-r----- (root/root|0/0) \./etc/pra/pra\.env$" "$work/contents" || fail "/etc/pra/pra.env is not 0640: $(grep pra.env "$work/contents" | head -1)"
# Installing creates nothing else: no state, log or repository directory, no other file.
others=$(awk '{ print $3 }' "$work/contents" | grep -vE '^\./($|usr/$|usr/(bin|lib|share)/$|usr/bin/pra-|usr/lib/pra/|usr/share/(man|doc|bash-completion|zsh|fish)/|etc/$|etc/pra/|etc/logrotate\.d/$|etc/logrotate\.d/pra$|lib/$|lib/systemd/$|lib/systemd/system/$|lib/systemd/system/pra-)' || true)
[ -z "$others" ] || fail "unexpected files: $others"
conffiles=$(dpkg-deb -I "$deb" conffiles)
for c in /etc/pra/pra.env /etc/logrotate.d/pra; do
  echo "$conffiles" | grep -qx "$c" || fail "$c is not a conffile"
done
[ "$(echo "$conffiles" | sort | uniq -d)" = "" ] || fail "conffiles listed twice"
[ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ] || fail "package version $(dpkg-deb -f "$deb" Version), workspace $version"
head -1 pra-deb/debian/changelog | grep -qF "pra ($version-1)" || fail "pra-deb/debian/changelog does not start with $version-1"
pass "$(wc -l < "$work/contents") entries: $(echo $bins | wc -w) binaries with man pages and completions, units, conffiles, docs; nothing else"

# --- lintian -----------------------------------------------------------------------------
if ! command -v lintian >/dev/null; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q lintian >/dev/null
fi
lintian --fail-on error "$deb" > "$work/lintian" 2>&1 || { cat "$work/lintian" >&2; fail "lintian found errors"; }
pass "lintian: no error ($(grep -c '^W:' "$work/lintian" || true) warnings)"

# --- The binaries run from an extracted root ------------------------------------------
root=$work/root
dpkg-deb -x "$deb" "$root"
for b in $bins; do
  out=$("$root/usr/bin/$b" --version) || fail "$b --version exited $?"
  [ "$out" = "$b $version" ] || fail "$b --version printed '$out'"
done
sh -n "$root/usr/lib/pra/test-restore" 2>/dev/null || bash -n "$root/usr/lib/pra/test-restore" || fail "test-restore does not parse"
pass "every binary runs --version from $root/usr/bin ($version)"

# --- systemd units ------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  # The package's own directory as the unit path, so that the drop-in applies, and
  # its man pages, so that every Documentation= link resolves.
  SYSTEMD_UNIT_PATH="$root/lib/systemd/system:" MANPATH="$root/usr/share/man" \
    systemd-analyze verify "$root"/lib/systemd/system/pra-*.service "$root"/lib/systemd/system/pra-*.timer > "$work/verify" 2>&1 \
    || { cat "$work/verify" >&2; fail "systemd-analyze verify failed"; }
  [ ! -s "$work/verify" ] || { cat "$work/verify" >&2; fail "systemd-analyze verify warned"; }
  pass "systemd-analyze verify: $(ls "$root"/lib/systemd/system/pra-*.{service,timer} | wc -l) units clean"
else
  echo "check-package: systemd-analyze not available: units not verified"
fi
