#!/usr/bin/env bash
# Benchmark of pra-backup and pra-restore on object storage against a local repository.
#
# Starts a private PostgreSQL cluster and a loopback S3 server (moto's server mode,
# `python3 -m pip install 'moto[server]'`, or with S3_SERVER=s3s-fs the Rust server of
# the s3s project, `cargo install s3s-fs@0.14.1 --features binary --locked`, objects
# in files under the work directory), both cleaned up on exit, loads the `app`
# dataset at SCALE (default 200, about 1.26 GB), then in one run:
#   backup-local   pra-backup --repo $WORK/repo
#   backup-s3      pra-backup --repo s3://bench/app           (multipart upload)
#   restore-local  pra-restore from the local repository into a new database
#   restore-s3     pra-restore from the bucket                 (streamed download)
# and prints each time, the ratios s3/local (target: at most 1.15 each) and the peak
# RSS of pra-backup on S3 (target: under 128 MiB whatever the size), each as a
# `target:` line, ok or MISSED. The server runs on the same cores as PostgreSQL and
# pra: the CPU time of the tools themselves (children excluded) and of the server are
# printed too, the tools' s3/local ratio being what pra's own side costs (target: at
# most 1.15 for pra-backup). Figures go in docs/PERFORMANCE.md ("Object storage").
# moto keeps objects in its own memory: the machine needs about twice the dump size free.
#
# Usage: bench/objectstore.sh     SCALE=5 bench/objectstore.sh     S3_SERVER=s3s-fs bench/objectstore.sh
# Needs: PostgreSQL server binaries, moto_server (or s3s-fs), bc, pgrep, /usr/bin/time, cargo.
set -euo pipefail

SCALE=${SCALE:-200}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
S3_SERVER=${S3_SERVER:-moto}
case $S3_SERVER in
  moto) command -v moto_server >/dev/null || { echo "bench: moto_server missing (python3 -m pip install 'moto[server]')" >&2; exit 2; } ;;
  s3s-fs) command -v s3s-fs >/dev/null || { echo "bench: s3s-fs missing (cargo install s3s-fs@0.14.1 --features binary --locked)" >&2; exit 2; } ;;
  *) echo "bench: S3_SERVER is moto or s3s-fs, not $S3_SERVER" >&2; exit 2 ;;
esac
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

echo "bench: building pra-backup and pra-restore (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup -p pra-restore)
PRA_BACKUP=$ROOT/target/release/pra-backup
PRA_RESTORE=$ROOT/target/release/pra-restore

bench_workdir objectstore
bench_cluster shared_buffers=256MB max_wal_size=4GB
bench_load_app "$SCALE"
export PGDATABASE=postgres

# start_s3s_fs: s3s-fs on a loopback port, bucket `bench` (a directory), as bench_moto.
start_s3s_fs() {
  S3_PORT=$((40000 + RANDOM % 20000))
  mkdir -p "$WORK/s3s/bench"
  s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key bench --secret-key bench "$WORK/s3s" \
    >"$WORK/s3s.log" 2>&1 &
  S3_PID=$!
  trap 'kill "$S3_PID" 2>/dev/null || true; bench_cleanup' EXIT INT TERM
  bench_wait_url "http://127.0.0.1:$S3_PORT/" "$WORK/s3s.log"
  export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ALLOW_HTTP=true \
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
}

if [ "$S3_SERVER" = s3s-fs ]; then
start_s3s_fs
else
bench_moto
S3_PORT=$MOTO_PORT
curl -s -f -X PUT "http://127.0.0.1:$S3_PORT/bench" >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ALLOW_HTTP=true \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
fi
SERVER_PID=${S3_PID:-$MOTO_PID}
TICK=$(getconf CLK_TCK)

# cpu_ticks PID: the CPU time of a process, in ticks, as "own children" (its threads;
# the children it has reaped), from /proc/PID/stat (fields 14+15 and 16+17).
cpu_ticks() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  set -- ${stat##*) }
  echo "$((${12} + ${13})) $((${14} + ${15}))"
}

# measure NAME COMMAND...: one timed run; the wall time in T[NAME], peak RSS in RSS[NAME]
# (KiB), the command's own CPU time in CPU[NAME] and the S3 server's in SCPU[NAME] (s).
# /usr/bin/time counts the children too (pg_dump, pg_restore): their share is read
# from the tool's /proc entry while it runs, the last time after it reaped them.
declare -A T RSS CPU SCPU
measure() {
  local name=$1; shift
  psql -X -q -d postgres -c 'checkpoint' >/dev/null
  sync
  local s e timer pid="" ticks children=0 server0 server1 user sys
  server0=$(cpu_ticks "$SERVER_PID")
  s=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  timer=$!
  for _ in $(seq 100); do
    pid=$(pgrep -P "$timer" || true)
    [ -n "$pid" ] && break
    sleep 0.01
  done
  while [ -n "$pid" ] && ticks=$(cpu_ticks "$pid"); do
    children=${ticks#* }
    sleep 0.05
  done
  wait "$timer" || { echo "bench: $name failed:" >&2; cat "$WORK/$name.err" >&2; exit 3; }
  e=$(date +%s.%N)
  server1=$(cpu_ticks "$SERVER_PID")
  T[$name]=$(echo "$e - $s" | bc)
  read -r RSS[$name] user sys < <(tail -1 "$WORK/$name.time")
  CPU[$name]=$(echo "scale=2; $user + $sys - $children / $TICK" | bc)
  SCPU[$name]=$(echo "scale=2; (${server1%% *} - ${server0%% *}) / $TICK" | bc)
  echo "bench: $name: ${T[$name]} s, peak RSS $((RSS[$name] / 1024)) MiB, CPU ${CPU[$name]} s, $S3_SERVER CPU ${SCPU[$name]} s" >&2
}

measure backup-local "$PRA_BACKUP" --init -d app --repo "$WORK/repo"
measure backup-s3 "$PRA_BACKUP" --init -d app --repo s3://bench/app
measure restore-local "$PRA_RESTORE" --repo "$WORK/repo" --stanza app --target-db r_local
measure restore-s3 "$PRA_RESTORE" --repo s3://bench/app --stanza app --target-db r_s3

ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
# target WHAT VALUE OP LIMIT: one `target:` line, ok or MISSED.
target() {
  local met=MISSED
  [ "$(echo "$2 $3 $4" | bc)" = 1 ] && met=ok
  echo "target: $1 $2 ($3 $4) $met"
}
echo
echo "app scale $SCALE, database $((DBSIZE / 1048576)) MiB, loopback S3 ($S3_SERVER), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for n in backup-local backup-s3 restore-local restore-s3; do
  printf '%-14s %7.2f s  peak RSS %4d MiB  own CPU %6.2f s  %s CPU %6.2f s\n' "$n" "${T[$n]}" \
    $((RSS[$n] / 1024)) "${CPU[$n]}" "$S3_SERVER" "${SCPU[$n]}"
done
target "backup s3/local wall time" "$(ratio "${T[backup-s3]}" "${T[backup-local]}")" '<=' 1.15
target "restore s3/local wall time" "$(ratio "${T[restore-s3]}" "${T[restore-local]}")" '<=' 1.15
target "pra-backup peak RSS on S3 (MiB)" $((RSS[backup-s3] / 1024)) '<' 128
target "pra-backup s3/local own CPU time" "$(ratio "${CPU[backup-s3]}" "${CPU[backup-local]}")" '<=' 1.15
echo "pra-restore s3/local own CPU time: $(ratio "${CPU[restore-s3]}" "${CPU[restore-local]}")"
# On a saturated machine the server's CPU time delays the others by about its share
# of the cores: the part of the backup's extra wall time the server alone explains.
printf '%s CPU during backup-s3: %.2f s, about %.2f s of wall time on %d cores (backup-s3 took %.2f s more than backup-local)\n' \
  "$S3_SERVER" "${SCPU[backup-s3]}" "$(ratio "${SCPU[backup-s3]}" "$(nproc)")" "$(nproc)" "$(echo "${T[backup-s3]} - ${T[backup-local]}" | bc)"
