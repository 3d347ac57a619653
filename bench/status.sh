#!/usr/bin/env bash
# Benchmark of a healthy pra-status run (target: under 1 s wall), against the floor
# and a hand-made shell equivalent.
#
# Starts a private PostgreSQL cluster with a small `app` database and a critical
# table, a repository with one synthetic backup (manifest + verify.json, as
# pra-backup and pra-verify write them), and a local HTTP server (python3
# http.server), then times:
#   floor       psql -c 'SELECT 1'           (one connection: the least any DB check costs)
#   shell       the seed's way: psql x3 (SELECT 1, the table, archive_mode), df x2,
#               jq on the manifest and verify.json, curl x2, one after the other
#   pra-status  every check: database, critical table, disk (repository + data
#               directory), backup age, verification, app, api, WAL, replication,
#               plus --prometheus and --history
# with hyperfine when installed (apt-get install hyperfine), else a loop timed with
# date +%s.%N. Prints medians and ratios. Figures go in docs/PERFORMANCE.md ("Status").
#
# Usage: bench/status.sh            RUNS=30 bench/status.sh
# Needs: PostgreSQL server binaries, python3, curl, jq, cargo.
set -euo pipefail

RUNS=${RUNS:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

BINDIR=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
  BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "$BINDIR/initdb" ] || { echo "bench: no PostgreSQL server binaries (initdb) found" >&2; exit 2; }
for t in python3 curl jq; do
  command -v $t >/dev/null || { echo "bench: $t not installed" >&2; exit 2; }
done

echo "bench: building pra-status (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-status)
PRA_STATUS=$ROOT/target/release/pra-status

WORK=$(mktemp -d /tmp/pra-bench-status.XXXXXX)
PGDATA=$WORK/data
SOCK=$WORK/sock
mkdir -p "$SOCK" "$WORK/www"
PORT=$((20000 + RANDOM % 20000))
HTTP_PORT=$((40000 + RANDOM % 20000))
AS=()
if [ "$(id -u)" = 0 ]; then
  # The server refuses to run as root: initdb and run it as postgres, like pra-testkit.
  chown postgres "$WORK" "$SOCK"
  AS=(runuser -u postgres --)
fi
HTTP_PID=
cleanup() {
  [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null || true
  "${AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "bench: starting a private cluster and an HTTP server in $WORK" >&2
"${AS[@]}" "$BINDIR/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >/dev/null
"${AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -l "$WORK/server.log" -w \
  -o "-k $SOCK -p $PORT -c listen_addresses=''" start >/dev/null
export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=app PGPASSFILE=/nonexistent
unset PGPASSWORD PGSERVICE
PATH=$BINDIR:$PATH
createdb app
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE orders AS SELECT generate_series(1, 100000) AS id' >/dev/null

echo ok > "$WORK/www/health"
(cd "$WORK/www" && exec python3 -m http.server -b 127.0.0.1 "$HTTP_PORT" >/dev/null 2>&1) &
HTTP_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$HTTP_PORT/health" >/dev/null && break; sleep 0.1; done

# A repository with one backup finished 10 minutes ago and verified an hour ago.
REPO=$WORK/repo
ID=$(date -u -d '-10 min' +%Y%m%dT%H%M%SZ)
B=$REPO/app/backup/$ID
mkdir -p "$B"
FIN=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%S.000Z)
VER=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
cat > "$REPO/pra.json" <<JSON
{"format": 1, "created_at": "$FIN", "created_by": "bench"}
JSON
cat > "$B/manifest.json" <<JSON
{"format": 1, "id": "$ID", "stanza": "app", "kind": "logical", "started_at": "$FIN", "finished_at": "$FIN",
 "server_version": "15", "server_version_num": 150000, "system_identifier": "1",
 "files": [{"name": "dump.pgc.zst", "role": "dump", "raw_bytes": 1000, "stored_bytes": 400,
            "raw_sha256": "$(printf a%.0s {1..64})", "stored_sha256": "$(printf b%.0s {1..64})", "codec": "zstd"}],
 "tool_version": "bench"}
JSON
cat > "$B/verify.json" <<JSON
{"format": 1, "backup_id": "$ID", "level": "checksum", "status": "ok", "verified_at": "$VER",
 "duration_s": 1.0, "tool_version": "bench"}
JSON

APP=http://127.0.0.1:$HTTP_PORT/health
PRA=("$PRA_STATUS" -d app --repo "$REPO" --critical-table orders --app-url "$APP"
     --api-url "$APP=200" --disk-warn 1% --disk-crit 0% --prometheus "$WORK/pra.prom"
     --history "$WORK/history.jsonl")
"${PRA[@]}" > "$WORK/check.jsonl" || { echo "bench: the healthy run is not healthy:" >&2; cat "$WORK/check.jsonl" >&2; exit 3; }

cat > "$WORK/shell.sh" <<SH
set -e
psql -X -A -t -c 'SELECT 1' >/dev/null
psql -X -A -t -c 'SELECT EXISTS (SELECT 1 FROM orders)' >/dev/null
psql -X -A -t -c 'SHOW archive_mode' >/dev/null
df -P "$REPO" >/dev/null
df -P "$PGDATA" >/dev/null
jq -r .finished_at "$B/manifest.json" >/dev/null
jq -r .status "$B/verify.json" >/dev/null
curl -fs -o /dev/null -m 5 "$APP"
curl -fs -o /dev/null -m 5 "$APP"
SH

declare -A MEDIAN
if command -v hyperfine >/dev/null; then
  echo "bench: timing with hyperfine, $RUNS runs each" >&2
  hyperfine -N -w 3 -r "$RUNS" --export-json "$WORK/h.json" \
    -n floor "psql -X -A -t -c 'SELECT 1'" \
    -n shell "bash $WORK/shell.sh" \
    -n pra-status "$(printf '%q ' "${PRA[@]}")" >&2
  while read -r name med; do MEDIAN[$name]=$med; done < <(
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]: print(r["command"], r["median"])' "$WORK/h.json")
else
  echo "bench: hyperfine not installed; timing a loop with date +%s.%N, $RUNS runs each" >&2
  measure() {
    local name=$1; shift
    local times=()
    for ((i = 1; i <= RUNS; i++)); do
      local s e
      s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
      times+=("$(echo "$e - $s" | bc)")
    done
    MEDIAN[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
  }
  measure floor psql -X -A -t -c 'SELECT 1'
  measure shell bash "$WORK/shell.sh"
  measure pra-status "${PRA[@]}"
fi

echo
echo "healthy pra-status run, $RUNS runs each, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "checks: $(jq -r 'select(.kind=="check") | .name + "=" + .status + (if .skipped then "(skipped)" else "" end)' "$WORK/check.jsonl" | tr '\n' ' ')"
printf '%-11s %10s %9s %9s\n' what median_ms vs_floor vs_shell
for n in floor shell pra-status; do
  printf '%-11s %10.1f %9.2f %9.2f\n' "$n" "$(echo "${MEDIAN[$n]} * 1000" | bc -l)" \
    "$(echo "${MEDIAN[$n]} / ${MEDIAN[floor]}" | bc -l)" \
    "$(echo "${MEDIAN[$n]} / ${MEDIAN[shell]}" | bc -l)"
done
awk -v m="${MEDIAN[pra-status]}" 'BEGIN { if (m < 1.0) print "target < 1 s: met"; else print "target < 1 s: MISSED" }'
