#!/usr/bin/env bash
# Benchmark of pra-backup and pra-restore on object storage against a local repository.
#
# Starts a private PostgreSQL cluster and a loopback S3 server (moto's server mode,
# `python3 -m pip install 'moto[server]'`), both cleaned up on exit, loads the `app`
# dataset at SCALE (default 200, about 1.26 GB), then in one run:
#   backup-local   pra-backup --repo $WORK/repo
#   backup-s3      pra-backup --repo s3://bench/app           (multipart upload)
#   restore-local  pra-restore from the local repository into a new database
#   restore-s3     pra-restore from the bucket                 (streamed download)
# and prints each time, the ratios s3/local (target: at most 1.15 each) and the peak
# RSS of pra-backup on S3 (target: under 128 MiB whatever the size: 16 MiB parts,
# two in flight). Figures go in docs/PERFORMANCE.md ("Object storage").
# moto keeps objects in its own memory: the machine needs about twice the dump size free.
#
# Usage: bench/objectstore.sh            SCALE=5 bench/objectstore.sh
# Needs: PostgreSQL server binaries, moto_server, bc, /usr/bin/time, cargo.
set -euo pipefail

SCALE=${SCALE:-200}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
command -v moto_server >/dev/null || { echo "bench: moto_server missing (python3 -m pip install 'moto[server]')" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

echo "bench: building pra-backup and pra-restore (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup -p pra-restore)
PRA_BACKUP=$ROOT/target/release/pra-backup
PRA_RESTORE=$ROOT/target/release/pra-restore

bench_workdir objectstore
bench_cluster shared_buffers=256MB max_wal_size=4GB
bench_load_app "$SCALE"
export PGDATABASE=postgres

S3_PORT=$((40000 + RANDOM % 20000))
moto_server -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; bench_cleanup' EXIT INT TERM
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
  sleep 0.1
done
curl -s -f -X PUT "http://127.0.0.1:$S3_PORT/bench" >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ALLOW_HTTP=true \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1

# measure NAME COMMAND...: one timed run; the wall time in T[NAME], peak RSS in RSS[NAME] (KiB).
declare -A T RSS
measure() {
  local name=$1; shift
  psql -X -q -d postgres -c 'checkpoint' >/dev/null
  sync
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/$name.rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" \
    || { echo "bench: $name failed:" >&2; cat "$WORK/$name.err" >&2; exit 3; }
  e=$(date +%s.%N)
  T[$name]=$(echo "$e - $s" | bc)
  RSS[$name]=$(tail -1 "$WORK/$name.rss")
  echo "bench: $name: ${T[$name]} s, peak RSS $((RSS[$name] / 1024)) MiB" >&2
}

measure backup-local "$PRA_BACKUP" --init -d app --repo "$WORK/repo"
measure backup-s3 "$PRA_BACKUP" --init -d app --repo s3://bench/app
measure restore-local "$PRA_RESTORE" --repo "$WORK/repo" --stanza app --target-db r_local
measure restore-s3 "$PRA_RESTORE" --repo s3://bench/app --stanza app --target-db r_s3

ratio() { echo "scale=2; ${T[$1]} / ${T[$2]}" | bc; }
echo
echo "app scale $SCALE, database $((DBSIZE / 1048576)) MiB, loopback S3 (moto)"
printf '%-14s %8s s  peak RSS %5s MiB\n' backup-local "${T[backup-local]}" $((RSS[backup-local] / 1024))
printf '%-14s %8s s  peak RSS %5s MiB\n' backup-s3 "${T[backup-s3]}" $((RSS[backup-s3] / 1024))
printf '%-14s %8s s\n' restore-local "${T[restore-local]}"
printf '%-14s %8s s\n' restore-s3 "${T[restore-s3]}"
echo "ratio backup  s3/local: $(ratio backup-s3 backup-local)  (target <= 1.15)"
echo "ratio restore s3/local: $(ratio restore-s3 restore-local)  (target <= 1.15)"
echo "pra-backup peak RSS on S3: $((RSS[backup-s3] / 1024)) MiB (target < 128 MiB)"
