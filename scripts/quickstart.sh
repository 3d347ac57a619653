#!/usr/bin/env bash
# pra quickstart: `scripts/quickstart.sh demo` shows the whole product on a
# throwaway PostgreSQL cluster in a temporary directory, then removes it all.
#
#   scripts/quickstart.sh demo          # run the demo, clean up afterwards
#   scripts/quickstart.sh demo --keep   # keep the cluster, repository and files
#   scripts/quickstart.sh install [--prefix DIR] [--cron|--systemd] [--non-interactive] [--user USER] [--no-build]
#   scripts/quickstart.sh uninstall [--prefix DIR]   # keeps the repositories
#   scripts/quickstart.sh test-restore [--backup ID] [--report FILE] [--keep]
#
# install and uninstall: scripts/install.sh (without the Debian package of
# scripts/package.sh); test-restore, the weekly drill: scripts/test-restore.sh.
#
# Needs: Linux, a Rust toolchain (to build), PostgreSQL server binaries (installed
# from Debian's packages when missing and running as root), python3 (the demo's
# webhook receiver).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
  install|uninstall) exec bash "$(dirname "$0")/install.sh" "$@" ;;
  test-restore) shift; exec bash "$(dirname "$0")/test-restore.sh" "$@" ;;
  demo) shift ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
KEEP=0
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "quickstart.sh: unknown option $a" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- PostgreSQL binaries -----------------------------------------------------
find_bindir() {
  if [ -n "${PRA_PG_BINDIR:-}" ]; then echo "$PRA_PG_BINDIR"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/postgres" ]; then pg_config --bindir; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
BINDIR=$(find_bindir)
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/postgres" ]; then
  if [ "$(id -u)" = 0 ]; then
    step "Installing PostgreSQL from Debian's packages"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-contrib zstd
    BINDIR=$(find_bindir)
  else
    echo "quickstart.sh: PostgreSQL server binaries not found; install them (sudo apt-get install postgresql) or set PRA_PG_BINDIR" >&2
    exit 3
  fi
fi

# pra's TLS links OpenSSL (as libpq does): its headers are needed to build.
if ! dpkg -s libssl-dev >/dev/null 2>&1 || ! command -v pkg-config >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "Installing OpenSSL's headers from Debian's packages (libssl-dev, pkg-config)"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libssl-dev pkg-config
  else
    echo "quickstart.sh: building needs OpenSSL's headers: sudo apt-get install libssl-dev pkg-config" >&2
  fi
fi

# --- Build ---------------------------------------------------------------------
step "Building the binaries as shipped (cargo build --profile dist)"
(cd "$ROOT" && cargo build --profile dist -q --bins)
BIN="$ROOT/target/dist"
T0=$(date +%s.%N)
export PATH="$BIN:$BINDIR:$PATH"

# --- Throwaway cluster ---------------------------------------------------------
WORK=$(mktemp -d /tmp/pra-demo.XXXXXX)
chmod 755 "$WORK"
RUN_AS=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$WORK"; RUN_AS=(runuser -u postgres --); fi
PGPID=""
WEBPID=""
cleanup() {
  local rc=$?
  [ -n "$WEBPID" ] && kill "$WEBPID" 2>/dev/null || true
  if [ "$KEEP" = 1 ] && [ $rc = 0 ]; then
    echo
    echo "Kept (--keep): $WORK — stop the server with: ${RUN_AS[*]} $BINDIR/pg_ctl -D $WORK/data stop"
    return
  fi
  [ -n "$PGPID" ] && "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Starting a throwaway PostgreSQL in $WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${RUN_AS[@]}" "$BINDIR/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
  -o "-p $PORT -k $WORK -c listen_addresses='' -c fsync=off" start >/dev/null
PGPID=1
export PGHOST="$WORK" PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
info "server $("$BINDIR/postgres" --version | awk '{print $3}') on socket $WORK, port $PORT"

step "Loading the sample application database (pra's own generator, scale 5)"
createdb app
psql -X -q -v ON_ERROR_STOP=1 -v scale=5 -d app -f "$ROOT/pra-testkit/sql/sample.sql" > /dev/null
info "database app: $(psql -X -A -t -d app -c "SELECT pg_size_pretty(pg_database_size('app'))"), $(psql -X -A -t -d app -c 'SELECT count(*) FROM rental.payments') payments"

# --- A webhook receiver a person can read ---------------------------------------
INBOX="$WORK/notifications.jsonl"
WEBPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$ROOT/scripts/webhook-receiver.py" "$WEBPORT" "$INBOX" &
WEBPID=$!

REPO="$WORK/repo"
export PRA_REPO="$REPO"

step "1. pra-backup | pra-verify --level restore | pra-rotate --keep-last 3 | pra-notify"
T=$(date +%s.%N)
# --init: the first backup creates the repository (a no-op once it exists).
pra-backup -d app --init \
  | pra-verify --level restore \
  | pra-rotate --keep-last 3 \
  | pra-notify --webhook "http://127.0.0.1:$WEBPORT/hook" --min-status ok \
  > "$WORK/pipeline.jsonl"
PIPE_S=$(since "$T")
pra-notify --format text < "$WORK/pipeline.jsonl" 2>/dev/null | sed 's/^/    /' || true
info "the webhook receiver got $(wc -l < "$INBOX") notification(s) in $INBOX"

step "2. pra-restore into a new database, then compare table digests with the source"
T=$(date +%s.%N)
pra-restore -d postgres --stanza app --target-db app_restored > "$WORK/restore.jsonl"
show() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l); print("    %-8s %-5s %s" % (e["kind"], e["status"].upper(), e["message"]))' "$1"; }
show "$WORK/restore.jsonl"
digest() {
  psql -X -A -t -d "$1" -c "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1" \
    | while read -r t; do
        printf '%s %s\n' "$t" "$(psql -X -A -t -d "$1" -c "SELECT count(*) || ':' || coalesce(sum(('x' || left(md5(r::text), 16))::bit(64)::bigint::numeric), 0) FROM $t r")"
      done
}
digest app > "$WORK/digest.source"
digest app_restored > "$WORK/digest.restored"
if diff -u "$WORK/digest.source" "$WORK/digest.restored" >/dev/null; then
  info "identical: $(wc -l < "$WORK/digest.source") tables, every row (count + order-independent hash)"
else
  diff -u "$WORK/digest.source" "$WORK/digest.restored" | sed 's/^/    /'
  echo "quickstart.sh: restored database differs from the source" >&2
  exit 1
fi

step "3. pra-status --format text"
pra-status -d app --stanza app --critical-table rental.payments --format text | sed 's/^/    /' || true

step "4. A short SLA drill: pra-loadtest (15 s, 2 clients)"
# Demo thresholds: on a 16 MB database latencies are sub-millisecond, so the p95
# slowdown during the backup is a ratio of tiny numbers; real drills use the defaults.
info "(demo SLAs: RPO 1 h, RTO 30 min, slowdown up to x10)"
pra-loadtest -d app --stanza drill --duration 15s --clients 2 --max-slowdown 10 --report "$WORK/drill.md" > "$WORK/drill.jsonl" || true
show "$WORK/drill.jsonl"

step "Summary"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def first(path, kind):
    for l in open(f"{work}/{path}"):
        e = json.loads(l)
        if e["kind"] == kind:
            return e
    return {}
mib = lambda n: f"{(n or 0)/1048576:.1f} MiB"
b, r, d = first("pipeline.jsonl", "backup"), first("restore.jsonl", "restore"), first("drill.jsonl", "drill")
print(f"    backup {b.get('id')}: {mib(b.get('raw_bytes'))} raw -> {mib(b.get('stored_bytes'))} stored in {b.get('duration_s', 0):.1f} s")
print(f"    restore into app_restored: RTO {r.get('rto_s', 0):.1f} s (fetch {r.get('fetch_s', 0):.1f} s, restore {r.get('restore_s', 0):.1f} s, validate {r.get('validate_s', 0):.1f} s)")
if d:
    slas = ", ".join(f"{s['name']} {s['result']}" for s in d.get("slas", []))
    print(f"    drill: {d.get('status', '?').upper()} ({slas})")
PY
info "pipeline (backup, test restore, rotate, notify): ${PIPE_S} s"
info "repository: $REPO"
info "events: $WORK/pipeline.jsonl, drill report: $WORK/drill.md"
info "demo wall time after the build: $(since "$T0") s"
