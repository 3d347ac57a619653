#!/usr/bin/env bash
# Builds the Debian package of pra into target/debian/: the binaries as shipped
# (cargo build --profile dist), man pages, shell completions, systemd units and
# timers, /etc/pra/pra.env, the logrotate file and the docs. The package's
# metadata and file list: pra-deb/Cargo.toml. The packager is cargo-deb, installed
# from crates.io when missing; scripts/check-package.sh checks the result.
#
#   scripts/package.sh             # build the binaries (a no-op when fresh), then the package
#   scripts/package.sh --no-build  # package the binaries already in target/dist
#   scripts/package.sh --fast      # lighter compression, for CI (35 MB in 40 s, not 30 MB in 85 s)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1 FAST=()
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --fast) FAST=(--fast) ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

if ! cargo deb --version >/dev/null 2>&1; then
  echo "package.sh: installing cargo-deb from crates.io (once)" >&2
  cargo install cargo-deb --locked -q
fi
if [ "$BUILD" = 1 ]; then
  cargo build --profile dist --bins -q
fi
# The dist profile already strips; cargo-deb only assembles (dpkg-shlibdeps or ldd
# compute the shared-library dependencies).
deb=$(cargo deb -p pra-deb --profile dist --no-build --no-strip -q "${FAST[@]}")
[ -f "$deb" ] || deb=$(ls -t target/debian/pra_*.deb | head -1)
echo "$deb"
echo "package.sh: $(du -k "$deb" | cut -f1) KiB, $(dpkg-deb -c "$deb" | wc -l) entries" >&2
