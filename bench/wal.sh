#!/usr/bin/env bash
# Benchmark of the physical path (docs/PHYSICAL.md) against pgBackRest (Debian's
# `pgbackrest`), in one run:
#
#   push / fetch   per-segment latency of real 16 MiB WAL segments (NSEG, default 20,
#                  written by the `app` load and kept by the archive_command), each tool
#                  run the way PostgreSQL runs it, once per segment, as the postgres user:
#                    pra-wal push %p            vs  pgbackrest archive-push %p
#                    pra-wal fetch %f %p        vs  pgbackrest archive-get %f %p
#                  to a local repository and to a loopback S3 server (moto behind stunnel
#                  with a self-signed certificate: pgBackRest only speaks https to S3, so
#                  both tools use the same https endpoint). Interleaved per segment so that a
#                  busy machine slows every tool alike; medians, and the ratio pra/pgBackRest.
#                  pgBackRest runs in its default synchronous mode (archive-async=n).
#   backup         pra-backup --physical        vs  pgbackrest backup --type=full
#   restore        pra-restore --physical --target immediate --start (its rto_s)
#                  vs  pgbackrest restore --type=immediate + pg_ctl start, both until
#                  `SELECT NOT pg_is_in_recovery()` answers true (polled every 200 ms, as
#                  pra-restore polls); RUNS rounds (default 1), ratios pra/pgBackRest.
#
# pgBackRest is configured like pra: compress-type=zst (level 3, pra's default),
# process-max=1 (pra-backup --physical and pra-restore --physical copy one file at a
# time), start-fast=y (pra's pg_backup_start is fast), archive-mode=off on restore (pra's
# --archive-mode off). During the backup phase archive_command pushes each segment with
# both tools, so both archives are complete. Targets (issue 19): median pra-wal push
# under 100 ms locally, push ratio <= 1.0; backup and restore reported as ratios.
# Figures go in docs/PERFORMANCE.md ("WAL archiving and physical backups").
#
# Usage: bench/wal.sh            SCALE=50 NSEG=10 RUNS=1 bench/wal.sh
#        PRA_BIN=dir bench/wal.sh   (pra-wal, pra-backup, pra-restore from dir, no build)
# Needs: PostgreSQL server binaries, pgbackrest (apt-get install pgbackrest),
# moto_server (python3 -m pip install 'moto[server]'), stunnel (apt-get install stunnel4),
# openssl, curl, cargo.
set -euo pipefail

SCALE=${SCALE:-200}
NSEG=${NSEG:-20}
RUNS=${RUNS:-1}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
command -v pgbackrest >/dev/null || { echo "bench: pgbackrest not installed (apt-get install pgbackrest)" >&2; exit 2; }
command -v moto_server >/dev/null || { echo "bench: moto_server missing (python3 -m pip install 'moto[server]')" >&2; exit 2; }
command -v openssl >/dev/null || { echo "bench: openssl missing (apt-get install openssl)" >&2; exit 2; }
command -v stunnel >/dev/null || { echo "bench: stunnel missing (apt-get install stunnel4)" >&2; exit 2; }

# PRA_BIN=dir: binaries built already (e.g. kept from an earlier tree), no build.
if [ -n "${PRA_BIN:-}" ]; then
  BIN=$PRA_BIN
else
  echo "bench: building pra-wal, pra-backup and pra-restore (release)" >&2
  (cd "$ROOT" && cargo build -q --release -p pra-wal -p pra-backup -p pra-restore)
  BIN=$ROOT/target/release
fi

bench_workdir wal
bench_cluster shared_buffers=256MB max_wal_size=4GB
P=("${AS[@]}")   # every tool runs as the server's user, as PostgreSQL runs it

# Loopback S3 over TLS, both tools on it: pgBackRest speaks only https to S3 and fails
# on moto's own TLS ("unexpected eof while reading": no close_notify), so moto serves
# http behind stunnel with a self-signed certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/s3.key" -out "$WORK/s3.crt" 2>/dev/null
bench_moto
S3_PORT=$((MOTO_PORT + 1))
printf 'foreground = yes\npid =\ndebug = 4\n[s3]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\ncert = %s\nkey = %s\n' \
  "$S3_PORT" "$MOTO_PORT" "$WORK/s3.crt" "$WORK/s3.key" >"$WORK/stunnel.conf"
stunnel "$WORK/stunnel.conf" >"$WORK/stunnel.log" 2>&1 &
STUNNEL_PID=$!
trap 'kill "$MOTO_PID" "$STUNNEL_PID" 2>/dev/null || true; bench_cleanup' EXIT INT TERM
bench_wait_url "https://127.0.0.1:$S3_PORT/" "$WORK/stunnel.log"
curl -skf -X PUT "https://127.0.0.1:$S3_PORT/pra" >/dev/null
curl -skf -X PUT "https://127.0.0.1:$S3_PORT/pgbr" >/dev/null
export AWS_ENDPOINT_URL=https://127.0.0.1:$S3_PORT AWS_ALLOW_INVALID_CERTIFICATES=true \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1

# pgbr_conf NAME REPO-LINES...: a private pgbackrest.conf for stanza `bench` on the cluster.
pgbr_conf() {
  local f=$WORK/pgbr-$1.conf; shift
  {
    echo "[global]"
    printf '%s\n' "$@"
    echo "log-path=$WORK/pgbr-log"
    echo "lock-path=$WORK/pgbr-lock"
    echo "spool-path=$WORK/pgbr-spool"
    echo "compress-type=zst"
    echo "compress-level=3"
    echo "process-max=1"
    echo "start-fast=y"
    echo "[bench]"
    echo "pg1-path=$PGDATA"
    echo "pg1-port=$PGPORT"
    echo "pg1-socket-path=$SOCK"
    echo "pg1-user=postgres"
  } >"$f"
  chmod 644 "$f"
}
pgbr_conf local "repo1-path=$WORK/pgbr-wal"
pgbr_conf s3 repo1-type=s3 repo1-path=/wal repo1-s3-bucket=pgbr repo1-s3-endpoint=127.0.0.1 \
  "repo1-storage-port=$S3_PORT" repo1-s3-region=us-east-1 repo1-s3-key=bench \
  repo1-s3-key-secret=bench repo1-s3-uri-style=path repo1-storage-verify-tls=n
pgbr_conf backup "repo1-path=$WORK/pgbr-repo"
pgbr() { local c=$1; shift; "${P[@]}" pgbackrest --config="$WORK/pgbr-$c.conf" --stanza=bench "$@"; }

# The archive_command of the load: keeps segments SKIP+1..SKIP+NSEG (real WAL of the
# `app` load, not the initdb tail), archives nothing else (always succeeds).
SEGS=$WORK/segs
mkdir -p "$SEGS" "$WORK/got" "$WORK/pgbr-log"
chown postgres "$SEGS" "$WORK/got" "$WORK/pgbr-log" 2>/dev/null || true
cat >"$WORK/keep-segs.sh" <<EOF
#!/bin/sh
case "\$2" in *.*) exit 0 ;; esac
n=\$(cat "$WORK/segcount" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$WORK/segcount"
if [ \$n -gt 2 ] && [ \$n -le \$((2 + $NSEG)) ]; then cp "\$1" "$SEGS/\$2.tmp" && mv "$SEGS/\$2.tmp" "$SEGS/\$2"; fi
exit 0
EOF
chmod 755 "$WORK/keep-segs.sh"
# The socket and listen settings go into postgresql.auto.conf so that the restored
# copies (which start from the backed-up configuration) stay on the private socket.
psql -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF
ALTER SYSTEM SET archive_mode = on;
ALTER SYSTEM SET archive_command = '$WORK/keep-segs.sh %p %f';
ALTER SYSTEM SET unix_socket_directories = '$SOCK';
ALTER SYSTEM SET listen_addresses = '';
EOF
"${P[@]}" pg_ctl -D "$PGDATA" -l "$WORK/server.log" -w -m fast restart >/dev/null

# The WAL repositories exist before the first push (pra.json: a tiny logical backup
# with --init; pgBackRest: stanza-create).
for r in "$WORK/pra-wal" s3://pra/wal; do
  "${P[@]}" "$BIN/pra-backup" --init -d postgres --repo "$r" --stanza init >/dev/null
done
for c in local s3 backup; do
  pgbr "$c" stanza-create >"$WORK/stanza-$c.out" 2>&1 \
    || { echo "bench: pgbackrest stanza-create ($c) failed:" >&2; cat "$WORK/stanza-$c.out" >&2; exit 3; }
done

bench_load_app "$SCALE"
export PGDATABASE=postgres
# Too little WAL at a small scale: more rows of the same kind until NSEG are kept.
for _ in $(seq 200); do
  [ "$(ls "$SEGS" | grep -cv tmp)" -ge "$NSEG" ] && break
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -d app -c "create table if not exists wal_filler as select * from payments limit 0;
    insert into wal_filler select * from payments limit 200000" >/dev/null
  sleep 0.2
done
mapfile -t SEGNAMES < <(ls "$SEGS" | grep -v tmp | sort | head -n "$NSEG")
[ "${#SEGNAMES[@]}" -eq "$NSEG" ] || { echo "bench: only ${#SEGNAMES[@]} segments kept" >&2; exit 3; }
SEG_ZST=$(cat "$SEGS"/* | zstd -3 -c | wc -c)
echo "bench: $NSEG segments kept, zstd -3 of all: $((SEG_ZST / 1048576)) MiB of $((NSEG * 16)) MiB" >&2

declare -A TIMES
# timed NAME COMMAND...: appends the command's wall time (s) to TIMES[NAME].
timed() {
  local name=$1; shift
  local s e
  s=$EPOCHREALTIME
  "$@" >"$WORK/out.txt" 2>"$WORK/stderr.txt" \
    || { echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" "$WORK/out.txt" >&2; exit 3; }
  e=$EPOCHREALTIME
  TIMES[$name]+="$(echo "$e - $s" | bc) "
}
median() {
  printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
got() { cmp -s "$SEGS/$1" "$WORK/got/$1" || { echo "bench: $2 fetched $1 wrong" >&2; exit 3; }; rm -f "$WORK/got/$1"; }

LOAD_WAL=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: pushing and fetching $NSEG segments (load average $LOAD_WAL)" >&2
for f in "${SEGNAMES[@]}"; do
  sync
  timed push-pra-local "${P[@]}" "$BIN/pra-wal" push --repo "$WORK/pra-wal" --stanza bench --events "$WORK/wal.jsonl" "$SEGS/$f"
  timed push-pgbr-local pgbr local archive-push "$SEGS/$f"
  timed push-pra-s3 "${P[@]}" "$BIN/pra-wal" push --repo s3://pra/wal --stanza bench --events "$WORK/wal.jsonl" "$SEGS/$f"
  timed push-pgbr-s3 pgbr s3 archive-push "$SEGS/$f"
done
for f in "${SEGNAMES[@]}"; do
  timed fetch-pra-local "${P[@]}" "$BIN/pra-wal" fetch --repo "$WORK/pra-wal" --stanza bench --events "$WORK/wal.jsonl" "$f" "$WORK/got/$f"
  got "$f" pra-wal
  timed fetch-pgbr-local pgbr local archive-get "$f" "$WORK/got/$f"
  got "$f" pgbackrest
  timed fetch-pra-s3 "${P[@]}" "$BIN/pra-wal" fetch --repo s3://pra/wal --stanza bench --events "$WORK/wal.jsonl" "$f" "$WORK/got/$f"
  got "$f" pra-wal
  timed fetch-pgbr-s3 pgbr s3 archive-get "$f" "$WORK/got/$f"
  got "$f" pgbackrest
done
LOAD_WAL_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PRA_WAL_BYTES=$(du -sb "$WORK/pra-wal/bench/wal" | cut -f1)
PGBR_WAL_BYTES=$(du -sb "$WORK/pgbr-wal/archive" | cut -f1)

# Backups: archive_command now feeds both archives.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<EOF
ALTER SYSTEM SET archive_command = '$BIN/pra-wal push --repo $WORK/pra-repo --stanza app %p && pgbackrest --config=$WORK/pgbr-backup.conf --stanza=bench archive-push %p';
EOF
"${P[@]}" "$BIN/pra-backup" --init -d postgres --repo "$WORK/pra-repo" --stanza init >/dev/null
psql -X -q -c 'select pg_reload_conf()' -c 'select pg_switch_wal()' >/dev/null

LOAD_BACKUP=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RUNS; i++)); do
  echo "bench: backup round $i" >&2
  psql -X -q -c 'checkpoint' >/dev/null
  sync
  timed backup-pra "${P[@]}" "$BIN/pra-backup" --physical --repo "$WORK/pra-repo" --stanza app
  psql -X -q -c 'checkpoint' >/dev/null
  sync
  timed backup-pgbr pgbr backup backup --type=full
done
PRA_BACKUP_BYTES=$(du -sb "$WORK/pra-repo/app/backup" | cut -f1)
PGBR_BACKUP_BYTES=$(du -sb "$WORK/pgbr-repo/backup" | cut -f1)
psql -X -q -c 'select pg_switch_wal()' >/dev/null
sleep 2

# first_query DIR PORT: waits until the copy in DIR answers as a primary on PORT, polling
# every 200 ms like pra-restore --start.
first_query() {
  for _ in $(seq 3000); do
    [ "$(psql -X -A -t -p "$2" -d postgres -c 'select not pg_is_in_recovery()' 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  echo "bench: $1 never answered; its log:" >&2
  tail -20 "$1"/log/* "$1"/*.log >&2 2>/dev/null || true
  return 1
}
stop_copy() { "${P[@]}" pg_ctl -D "$1" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$1"; }
pgbr_restore() {
  "${P[@]}" mkdir -m 700 "$WORK/r-pgbr"
  pgbr backup restore --pg1-path="$WORK/r-pgbr" --type=immediate --target-action=promote --archive-mode=off
  "${P[@]}" pg_ctl -D "$WORK/r-pgbr" -l "$WORK/r-pgbr.log" -o "-p $1" -W start >/dev/null
  first_query "$WORK/r-pgbr" "$1"
}

R_PORT=$((PGPORT + 1))
RTO=""
for ((i = 1; i <= RUNS; i++)); do
  echo "bench: restore round $i" >&2
  sync
  timed restore-pra "${P[@]}" "$BIN/pra-restore" --physical --repo "$WORK/pra-repo" --stanza app \
    --pgdata "$WORK/r-pra" --target immediate --archive-mode off --start --port "$R_PORT" \
    --pg-bindir "$BINDIR" --pra-wal "$BIN/pra-wal"
  RTO+="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["rto_s"])' "$WORK/out.txt") "
  stop_copy "$WORK/r-pra"
  sync
  timed restore-pgbr pgbr_restore "$R_PORT"
  stop_copy "$WORK/r-pgbr"
done

ms() { echo "$(median "${TIMES[$1]}") * 1000" | bc -l; }
echo
echo "app scale $SCALE, database $((DBSIZE / 1048576)) MiB; pgBackRest $(pgbackrest version | cut -d' ' -f2), compress-type=zst level 3, process-max=1, archive-async=n"
echo "$NSEG real 16 MiB segments (zstd -3: $((SEG_ZST / 1048576)) MiB), loopback S3 = moto behind stunnel (https); $(nproc) cores"
echo "load average: WAL phase $LOAD_WAL -> $LOAD_WAL_AFTER, backups $LOAD_BACKUP, end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %12s %14s %8s\n' per-segment pra-wal_ms pgbackrest_ms ratio
for op in push fetch; do
  for where in local s3; do
    a=$(ms "$op-pra-$where"); b=$(ms "$op-pgbr-$where")
    printf '%-14s %12.1f %14.1f %8.2f\n' "$op $where" "$a" "$b" "$(echo "$a / $b" | bc -l)"
  done
done
echo "archived $NSEG segments: pra-wal $((PRA_WAL_BYTES / 1048576)) MiB, pgbackrest $((PGBR_WAL_BYTES / 1048576)) MiB"
echo
printf '%-14s %12s %14s %8s\n' "$RUNS run(s)" pra_s pgbackrest_s ratio
for what in backup restore; do
  a=$(median "${TIMES[$what-pra]}"); b=$(median "${TIMES[$what-pgbr]}")
  printf '%-14s %12.2f %14.2f %8.2f\n' "$what" "$a" "$b" "$(echo "$a / $b" | bc -l)"
done
echo "restore = restore + start + first query as a primary; pra-restore's own rto_s: $RTO"
echo "stored backup: pra $((PRA_BACKUP_BYTES / 1048576)) MiB, pgbackrest $((PGBR_BACKUP_BYTES / 1048576)) MiB"
# verdict VALUE OP LIMIT: ok when VALUE OP LIMIT holds (OP: < or <=), MISSED otherwise.
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { print ((op == "<" ? v < l : v <= l) ? "ok" : "MISSED") }'; }
echo
PUSH_MS=$(ms push-pra-local)
printf 'target: push median < 100 ms (local): %.1f ms %s\n' "$PUSH_MS" "$(verdict "$PUSH_MS" '<' 100)"
for op in push fetch; do
  for where in local s3; do
    r=$(echo "$(ms "$op-pra-$where") / $(ms "$op-pgbr-$where")" | bc -l)
    printf 'target: %s %s ratio <= 1.0: %.2f %s\n' "$op" "$where" "$r" "$(verdict "$r" '<=' 1.0)"
  done
done
for what in backup restore; do
  r=$(echo "$(median "${TIMES[$what-pra]}") / $(median "${TIMES[$what-pgbr]}")" | bc -l)
  printf 'target (a later issue): %s ratio <= 1.0: %.2f %s\n' "$what" "$r" "$(verdict "$r" '<=' 1.0)"
done
