#!/usr/bin/env bash
# Test of `scripts/quickstart.sh install` and `uninstall` (run by .ci/run after the
# dist build, which it uses as it is): on a throwaway PostgreSQL cluster, a non-interactive install into a
# temporary prefix must put every file in place, write a private environment file,
# take the first backup and prove it restorable; the weekly test restore must pass
# and drop its scratch database; uninstall must remove the files and keep the
# repository. Needs root (the jobs run as postgres), PostgreSQL and python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
pass() { echo "test-install: ok: $*"; }
[ "$(id -u)" = 0 ] || { echo "test-install: needs root (the jobs run as postgres)" >&2; exit 2; }

BINDIR=${PRA_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$BINDIR/postgres" ] || { echo "test-install: PostgreSQL server binaries not found" >&2; exit 2; }
WORK=$(mktemp -d /tmp/pra-install-test.XXXXXX)
chmod 755 "$WORK" && chown postgres: "$WORK"
PG=(runuser -u postgres -- "$BINDIR/pg_ctl" -D "$WORK/data")
WEBPID=""
cleanup() {
  [ -z "$WEBPID" ] || kill "$WEBPID" 2>/dev/null || true
  "${PG[@]}" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
runuser -u postgres -- "$BINDIR/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${PG[@]}" -l "$WORK/server.log" -w -o "-p $PORT -k $WORK -c listen_addresses='' -c fsync=off" start >/dev/null
psql() { "$BINDIR/psql" -X -q -A -t -h "$WORK" -p "$PORT" -U postgres "$@"; }
psql -d postgres -c 'CREATE DATABASE app'
psql -v ON_ERROR_STOP=1 -v scale=1 -d app -f "$ROOT/pra-testkit/sql/sample.sql" >/dev/null

# The alert destination: a webhook receiver writing what it gets to a file.
INBOX=$WORK/inbox.jsonl
WEBPORT=$(free_port)
python3 "$ROOT/scripts/webhook-receiver.py" "$WEBPORT" "$INBOX" &
WEBPID=$!

P=$WORK/prefix REPO=$WORK/repo
env -u PRA_REPO PGHOST="$WORK" PGPORT="$PORT" PGUSER=postgres PGDATABASE=app PRA_REPO="$REPO" \
  PRA_WEBHOOK="http://127.0.0.1:$WEBPORT/hook" PRA_PG_BINDIR="$BINDIR" PRA_CRITICAL_TABLES=rental.payments \
  bash "$ROOT/scripts/quickstart.sh" install --prefix "$P" --cron --non-interactive --no-build < /dev/null \
  || fail "install exited $?"

# Files in place: every binary runs, man pages, completions, test-restore, docs.
bins=$(ls "$P/bin")
[ "$(echo "$bins" | wc -l)" -ge 8 ] || fail "binaries: $bins"
for b in $bins; do "$P/bin/$b" --version >/dev/null || fail "$b --version"; done
for f in share/man/man1/pra-backup.1 share/man/man7/pra.7 share/bash-completion/completions/pra-backup \
  share/zsh/vendor-completions/_pra-backup share/fish/vendor_completions.d/pra-backup.fish \
  lib/pra/test-restore share/doc/pra/DEPLOYMENT_CHECKLIST.md etc/cron.d/pra etc/logrotate.d/pra; do
  [ -s "$P/$f" ] || fail "missing $P/$f"
done
grep -q "^PATH=$P/bin:" "$P/etc/cron.d/pra" || fail "cron PATH does not name $P/bin"
grep -q " postgres flock -n $P/var/lib/pra/backup.lock " "$P/etc/cron.d/pra" || fail "cron backup job not relocated"
pass "$(echo $bins | wc -w) binaries run --version; man pages, completions, cron and logrotate files in place"

# The environment file: private, readable by the postgres group, with the values given.
ENVF=$P/etc/pra/pra.env
[ "$(stat -c '%a %U %G' "$ENVF")" = "640 root postgres" ] || fail "env file is $(stat -c '%a %U %G' "$ENVF")"
grep -qx "PRA_REPO=$REPO" "$ENVF" || fail "PRA_REPO not written"
grep -qx "PGDATABASE=app" "$ENVF" || fail "PGDATABASE not written"
[ "$(grep -c '^PGDATABASE=' "$ENVF")" = 1 ] || fail "PGDATABASE written twice"
pass "environment file 0640 root:postgres with the values"

# The first backup and its restore-level verification.
[ -f "$REPO/pra.json" ] || fail "repository not initialised"
manifests=$(ls "$REPO"/app/backup/*/manifest.json 2>/dev/null | wc -l)
[ "$manifests" = 1 ] || fail "$manifests backups in the repository"
EV=$P/var/log/pra/events.jsonl
grep '"kind":"backup"' "$EV" | grep -q '"status":"ok"' || fail "no successful backup event in $EV"
grep '"kind":"verify"' "$EV" | grep '"level":"restore"' | grep -q '"status":"ok"' || fail "no passing restore-level verification in $EV"
[ -s "$INBOX" ] || fail "the webhook received nothing"
pass "first backup taken, verified at the restore level, notification delivered"

# The weekly test restore, as the schedule runs it.
runuser -u postgres -- env PATH="$P/bin:$PATH" ENVF="$ENVF" T="$P/lib/pra/test-restore" \
  bash -c 'set -a; . "$ENVF"; set +a; "$T"' > "$WORK/test-restore.jsonl" || fail "test-restore exited $?"
grep '"kind":"restore"' "$WORK/test-restore.jsonl" | grep -q '"status":"ok"' || fail "no successful restore event"
left=$(psql -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'pra\_%'")
[ "$left" = 0 ] || fail "$left scratch databases left"
pass "test-restore restored, validated and dropped its scratch database"

bash "$ROOT/scripts/quickstart.sh" uninstall --prefix "$P" || fail "uninstall exited $?"
leftover=$(find "$P" -type f ! -path "$P/var/*")
[ -z "$leftover" ] || fail "uninstall left: $leftover"
[ -f "$REPO/pra.json" ] && ls "$REPO"/app/backup/*/manifest.json >/dev/null || fail "uninstall touched the repository"
[ -s "$EV" ] || fail "uninstall removed the event log"
pass "uninstall removed the files, kept the repository and the event log"
