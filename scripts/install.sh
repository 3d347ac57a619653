#!/usr/bin/env bash
# pra install and uninstall for machines without the Debian package; run through
# scripts/quickstart.sh:
#
#   scripts/quickstart.sh install [--prefix DIR] [--cron|--systemd] [--non-interactive] [--user USER] [--no-build]
#   scripts/quickstart.sh uninstall [--prefix DIR]
#
# install builds the binaries as shipped (cargo build --profile dist; --no-build: use
# those in target/dist), installs the package's files under DIR (default
# /usr/local), asks for the database, the
# repository, the RPO and an alert destination (--non-interactive: the PRA_* and PG*
# variables of the environment, every one of them written to the file), writes the
# environment file (0640 root:USER's group), initialises the repository, installs
# the schedules (systemd timers when systemd runs, else /etc/cron.d), then runs one
# backup and one restore-level verification as USER (default postgres) and prints
# what it did. With DIR other than /usr or /usr/local, configuration, state, logs and
# schedules go under DIR/etc and DIR/var and are not activated. uninstall removes
# what install put in place (the list is DIR/share/pra/installed-files) and keeps
# repositories, the event log and the state directory.
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "quickstart.sh: $*" >&2; exit "${RC:-2}"; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
CMD=$1; shift
PREFIX=/usr/local SCHEDULE="" INTERACTIVE=1 OS_USER="" BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --cron) SCHEDULE=cron; shift ;;
    --systemd) SCHEDULE=systemd; shift ;;
    --non-interactive) INTERACTIVE=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --user) [ $# -ge 2 ] || die "--user needs a name"; OS_USER=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
[ -t 0 ] || INTERACTIVE=0
mkdir -p "$PREFIX" && PREFIX=$(cd "$PREFIX" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Where things go: the FHS places for a system prefix, else all under the prefix.
case "$PREFIX" in
  /usr|/usr/local) ETC=/etc VAR=/var SYSTEM=1 ;;
  *) ETC=$PREFIX/etc VAR=$PREFIX/var SYSTEM=0 ;;
esac
BIN=$PREFIX/bin LIBEXEC=$PREFIX/lib/pra SHARE=$PREFIX/share
CONF=$ETC/pra/pra.env STATE=$VAR/lib/pra LOGS=$VAR/log/pra
MANIFEST=$SHARE/pra/installed-files
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }

if [ "$CMD" = uninstall ]; then
  [ -f "$MANIFEST" ] || RC=3 die "nothing installed under $PREFIX ($MANIFEST not found)"
  timers=$(grep -o 'pra-[a-z-]*\.timer$' "$MANIFEST" | xargs -r -n1 basename || true)
  if [ -n "$timers" ] && grep -q '^/etc/systemd/system/' "$MANIFEST" && [ -d /run/systemd/system ]; then
    systemctl disable --now $timers >/dev/null 2>&1 || true
  fi
  while read -r f; do rm -f "$f"; done < "$MANIFEST"
  rm -f "$MANIFEST"
  # pra's own directories, when nothing else is in them.
  for d in "$SHARE/pra" "$SHARE/doc/pra/examples" "$SHARE/doc/pra" "$LIBEXEC" "$ETC/pra" "$ETC/systemd/system/pra-.service.d"; do
    rmdir "$d" 2>/dev/null || true
  done
  [ -d /run/systemd/system ] && [ "$SYSTEM" = 1 ] && systemctl daemon-reload 2>/dev/null || true
  echo "quickstart.sh: uninstalled from $PREFIX; kept the repositories, $LOGS and $STATE"
  exit 0
fi
[ "$CMD" = install ] || { usage >&2; die "unknown command $CMD"; }

# --- Who runs the jobs ---------------------------------------------------------
if [ -z "$OS_USER" ]; then
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then OS_USER=postgres; else OS_USER=$(id -un); fi
fi
id "$OS_USER" >/dev/null 2>&1 || die "no OS user $OS_USER (--user)"
OS_GROUP=$(id -gn "$OS_USER")
AS_USER=()
[ "$(id -un)" = "$OS_USER" ] || AS_USER=(runuser -u "$OS_USER" --)
if [ -z "$SCHEDULE" ]; then
  if [ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ]; then SCHEDULE=systemd; else SCHEDULE=cron; fi
fi

# --- The values ------------------------------------------------------------------
# The example's values are the defaults; the environment's PRA_* and PG* win.
example() { sed -n "s/^$1=//p" "$ROOT/scripts/pra.env.example" | head -1; }
ask() { # VAR question [default, else the example's value]
  local def=${!1:-} ans
  [ -n "$def" ] || def=${3-$(example "$1")}
  if [ "$INTERACTIVE" = 1 ]; then
    read -r -p "    $2 [$def]: " ans
    def=${ans:-$def}
  fi
  [ -z "$def" ] || export "$1=$def"
}
step "Configuration ($([ "$INTERACTIVE" = 1 ] && echo asked || echo from the environment))"
ask PGHOST "PostgreSQL host or socket directory"
ask PGPORT "PostgreSQL port"
ask PGUSER "PostgreSQL user"
ask PGDATABASE "Database to back up"
PRA_REPO=${PRA_REPO:-$VAR/backups/pra}
ask PRA_REPO "Repository (path, file://, s3://...; several: comma-separated)"
ask PRA_RPO "Recovery point objective" 1h
ask PRA_WEBHOOK "Alert webhook URL (empty: none)" ""
ask PRA_SLACK_WEBHOOK "Slack webhook URL (empty: none)" ""
ask PRA_EMAIL_TO "Alert e-mail recipients (empty: none)" ""
[ -z "${PRA_EMAIL_TO:-}" ] || ask PRA_SMTP "SMTP server (smtp://host:25, smtps://host:465)"
if [ -z "${PRA_WEBHOOK:-}${PRA_SLACK_WEBHOOK:-}${PRA_EMAIL_TO:-}${PRA_SMS_WEBHOOK:-}" ] \
  && ! env | grep -q '^PRA_[A-Z_]*WEBHOOK=.'; then
  die "an alert destination is needed (PRA_WEBHOOK, PRA_SLACK_WEBHOOK, PRA_EMAIL_TO, ...): alerts nobody receives are not a plan"
fi

# --- Files -------------------------------------------------------------------------
mkdir -p "$(dirname "$MANIFEST")" && : > "${MANIFEST}.new.$$"
put() { # MODE SOURCE DEST
  mkdir -p "$(dirname "$3")"
  install -m "$1" "$2" "$3"
  echo "$3" >> "${MANIFEST}.new.$$"
}
# Paths of the packaged files (/etc/pra, /var/lib/pra, /usr/lib/pra, user postgres) as installed here.
relocate() {
  sed -e "s|/etc/pra/|$ETC/pra/|g" -e "s|/var/lib/pra/|$STATE/|g" -e "s|/var/log/pra/|$LOGS/|g" \
      -e "s|/usr/lib/pra/|$LIBEXEC/|g" -e "s|^PATH=.*|PATH=$BIN:/usr/local/bin:/usr/bin:/bin|" \
      -e "s|^\(User\|Group\)=postgres|\1=$OS_USER|" -e "s|^\([^#].* \)postgres flock |\1$OS_USER flock |" \
      -e "s|su postgres postgres|su $OS_USER $OS_GROUP|" -e "s|create 0640 postgres postgres|create 0640 $OS_USER $OS_GROUP|" "$1"
}

if [ "$BUILD" = 1 ] && [ -f "$ROOT/Cargo.toml" ] && command -v cargo >/dev/null; then
  step "Building the binaries as shipped (cargo build --profile dist)"
  (cd "$ROOT" && cargo build --profile dist --bins -q)
fi
DIST=${CARGO_TARGET_DIR:-$ROOT/target}/dist
[ -x "$DIST/pra-backup" ] || RC=3 die "no binaries in $DIST"

step "Installing under $PREFIX"
for b in "$DIST"/pra-*; do
  case "$(basename "$b")" in pra-docgen|*.d) continue ;; esac
  [ -x "$b" ] && [ -f "$b" ] && put 755 "$b" "$BIN/$(basename "$b")"
done
put 755 "$ROOT/scripts/test-restore.sh" "$LIBEXEC/test-restore"
for m in "$ROOT"/man/*.[17]; do put 644 "$m" "$SHARE/man/man${m##*.}/$(basename "$m")"; done
for c in "$ROOT"/scripts/completions/*.bash; do put 644 "$c" "$SHARE/bash-completion/completions/$(basename "$c" .bash)"; done
for c in "$ROOT"/scripts/completions/_*; do put 644 "$c" "$SHARE/zsh/vendor-completions/$(basename "$c")"; done
for c in "$ROOT"/scripts/completions/*.fish; do put 644 "$c" "$SHARE/fish/vendor_completions.d/$(basename "$c")"; done
for d in "$ROOT"/README.md "$ROOT"/docs/*.md; do put 644 "$d" "$SHARE/doc/pra/$(basename "$d")"; done
put 644 "$ROOT/scripts/pra.env.example" "$SHARE/doc/pra/examples/pra.env.example"
info "$(wc -l < "${MANIFEST}.new.$$") files: binaries in $BIN, man pages, completions, docs in $SHARE/doc/pra"

# --- The environment file ----------------------------------------------------------
quote() { # a value systemd and bash read alike
  case "$1" in *\'*|*$'\n'*) die "a value may not hold a quote or a newline: $1" ;; esac
  if [[ "$1" =~ ^[A-Za-z0-9_./:@,+=%-]*$ ]]; then printf '%s' "$1"; else printf "'%s'" "$1"; fi
}
if [ -e "$CONF" ]; then
  info "kept the existing $CONF (remove it to have it written again)"
else
  mkdir -p "$(dirname "$CONF")"
  tmp=$(mktemp "$CONF.XXXXXX")
  cp "$ROOT/scripts/pra.env.example" "$tmp"
  # PRA_DATASETS is the test suite's, not a tool's.
  for v in $(env | grep -oE '^(PRA|PG)[A-Z0-9_]*=' | tr -d = | grep -vx PRA_DATASETS | sort); do
    line="$v=$(quote "${!v}")"
    if grep -qE "^#?$v=" "$tmp"; then
      awk -v v="$v" -v l="$line" 'BEGIN { re = "^#?" v "=" } $0 ~ re && !done { print l; done = 1; next } $0 ~ ("^" v "=") { next } { print }' "$tmp" > "$tmp.2" && mv "$tmp.2" "$tmp"
    else
      printf '%s\n' "$line" >> "$tmp"
    fi
  done
  chmod 0640 "$tmp"
  [ "$(id -u)" != 0 ] || chown "root:$OS_GROUP" "$tmp"
  [ "$(id -u)" = 0 ] || chmod 0600 "$tmp"
  mv "$tmp" "$CONF"
  echo "$CONF" >> "${MANIFEST}.new.$$"
  info "wrote $CONF ($(stat -c '%a %U:%G' "$CONF")): PRA_REPO=$PRA_REPO, database $PGDATABASE on $PGHOST:$PGPORT"
fi

# --- Directories the jobs write ------------------------------------------------------
for d in "$STATE" "$LOGS"; do
  mkdir -p "$d" && chmod 0750 "$d"
  [ "$(id -u)" != 0 ] || chown "$OS_USER:$OS_GROUP" "$d"
done
IFS=, read -ra repos <<< "$PRA_REPO"
for r in "${repos[@]}"; do
  case "$r" in *://*) [[ "$r" == file://* ]] || continue; r=${r#file://} ;; esac
  if [ ! -d "$r" ]; then
    mkdir -p "$r" && chmod 0700 "$r"
    [ "$(id -u)" != 0 ] || chown "$OS_USER:$OS_GROUP" "$r"
  fi
done

# --- Schedules -----------------------------------------------------------------------
step "Schedules ($SCHEDULE)"
if [ "$SCHEDULE" = cron ]; then
  relocate "$ROOT/scripts/cron.example" > "$STATE/.cron.$$"
  put 644 "$STATE/.cron.$$" "$ETC/cron.d/pra"
  relocate "$ROOT/scripts/pra.logrotate" > "$STATE/.logrotate.$$"
  put 644 "$STATE/.logrotate.$$" "$ETC/logrotate.d/pra"
  rm -f "$STATE/.cron.$$" "$STATE/.logrotate.$$"
  [ "$SYSTEM" = 1 ] || info "not activated (prefix $PREFIX): link $ETC/cron.d/pra into /etc/cron.d to run it"
  info "$ETC/cron.d/pra: backup hourly, status every 5 min, restore verification nightly, test restore on Wednesdays, drill and report monthly"
else
  units=$ETC/systemd/system
  for u in "$ROOT"/scripts/systemd/*.service "$ROOT"/scripts/systemd/*.timer "$ROOT"/scripts/systemd/pra-.service.d/*.conf; do
    rel=${u#"$ROOT/scripts/systemd/"}
    relocate "$u" > "$STATE/.unit.$$"
    if [ "$BIN" != /usr/bin ] && [[ "$u" == *.service ]]; then
      sed -i "s|^\[Service\]$|[Service]\nEnvironment=PATH=$BIN:/usr/local/bin:/usr/bin:/bin|" "$STATE/.unit.$$"
    fi
    put 644 "$STATE/.unit.$$" "$units/$rel"
  done
  rm -f "$STATE/.unit.$$"
  timers=$(cd "$ROOT/scripts/systemd" && ls *.timer)
  if [ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload && systemctl enable --now $timers
    info "enabled: $(echo $timers)"
  else
    info "units in $units (not activated: $([ "$SYSTEM" = 1 ] && echo "systemd is not running" || echo "prefix $PREFIX"))"
  fi
fi
cat "${MANIFEST}.new.$$" >> "$MANIFEST" && rm -f "${MANIFEST}.new.$$"
sort -u -o "$MANIFEST" "$MANIFEST"

# --- First backup and verification ---------------------------------------------------
step "First backup and restore-level verification (as $OS_USER)"
EVENTS=$LOGS/events.jsonl
set +e
"${AS_USER[@]}" env PATH="$BIN:$PATH" CONF="$CONF" EVENTS="$EVENTS" bash -o pipefail -c \
  'set -a; . "$CONF"; set +a; pra-backup --init | pra-verify --level restore | pra-notify --min-status ok | tee -a "$EVENTS"' > "$STATE/first-run.jsonl"
rc=$?
set -e
if command -v python3 >/dev/null; then
  python3 -c 'import json, sys
for l in open(sys.argv[1]):
    try: e = json.loads(l)
    except ValueError: continue
    print("    %-7s %-5s %s" % (e.get("kind"), e.get("status", "").upper(), e.get("message", "")))' "$STATE/first-run.jsonl"
else
  sed 's/^/    /' "$STATE/first-run.jsonl"
fi
rm -f "$STATE/first-run.jsonl"
[ "$rc" = 0 ] || RC=$rc die "the first backup or its verification failed (exit $rc): fix the configuration in $CONF and run the install again"

step "Done"
info "configuration: $CONF; events: $EVENTS; state: $STATE"
info "repository: $PRA_REPO"
info "uninstall: scripts/quickstart.sh uninstall --prefix $PREFIX (keeps the repository)"
