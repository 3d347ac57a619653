#!/usr/bin/env bash
# Benchmark of pra-backup against its peers on the `app` dataset.
#
# Starts a private PostgreSQL cluster (cleaned up on exit), loads the `app` dataset
# (the project's generator pra-testkit/sql/app.sql, or $APP_SQL) at SCALE (default 200,
# about 1.26 GB), then times RUNS rounds (default 2), each running once, in turn:
#   floor        pg_dump -Fc -Z0 > /dev/null
#   gzip         pg_dump | gzip > file               (the classic cron backup)
#   pgdump-Fc    pg_dump -Fc > file                  (built-in zlib)
#   zstd-pipe    pg_dump -Fc -Z0 | zstd -T2 -3 > file (the best hand-made pipeline)
#   zstd-sync    the same, then `sync file` (as durable as pra-backup's fsynced file)
#   pra-zstd     pra-backup --compress zstd
#   pra-gzip     pra-backup --compress gzip
#   pra-nocount  pra-backup --count-rows none (what the exact row counts cost)
# and prints medians, ratios against the floor and the hand-made zstd pipeline, output
# sizes and peak RSS (/usr/bin/time -v), then the `target:` lines of issue 23 (ok/MISSED).
# Figures go in docs/PERFORMANCE.md ("Backup").
#
# Usage: bench/backup.sh            SCALE=5 RUNS=2 bench/backup.sh
# Needs: PostgreSQL server binaries, zstd, gzip, GNU time (installed if missing), cargo.
set -euo pipefail

SCALE=${SCALE:-200}
RUNS=${RUNS:-2}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time" >&2
  apt-get install -y -q time >/dev/null
fi
command -v zstd >/dev/null || { echo "bench: zstd not installed" >&2; exit 2; }

echo "bench: building pra-backup (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup)
PRA_BACKUP=$ROOT/target/release/pra-backup

bench_workdir backup
OUT=$WORK/out
mkdir -p "$OUT"

bench_cluster shared_buffers=256MB max_wal_size=4GB
bench_load_app "$SCALE"

# measure NAME OUTPUT-FILE COMMAND...: one run of the command; appends its wall time to
# TIMES[NAME], keeps the peak RSS of the largest process and the output size.
declare -A MEDIAN SIZE RSS TIMES
measure() {
  local name=$1 output=$2; shift 2
  rm -rf "$OUT"/*
  sync
  local s e r
  s=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" \
    || { echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" "$WORK/time.txt" >&2; exit 3; }
  e=$(date +%s.%N)
  TIMES[$name]+="$(echo "$e - $s" | bc) "
  r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  [ "$r" -gt "${RSS[$name]:-0}" ] && RSS[$name]=$r
  if [ "$output" = - ]; then
    SIZE[$name]=0
  else
    SIZE[$name]=$(find $output -type f -not -name '*.json' -not -name '*.lock' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  fi
  echo "bench: $name run $round: $(echo "$e - $s" | bc) s" >&2
}

# The commands run in rounds (each once per round, in turn) rather than RUNS times in a
# row: a slow stretch of the machine or of the disk's writeback then falls on all of
# them alike, not on whichever command ran during it.
for ((round = 1; round <= RUNS; round++)); do
  measure floor - sh -c 'pg_dump -Fc -Z0 app > /dev/null'
  measure gzip "$OUT/app.sql.gz" sh -c "pg_dump app | gzip > $OUT/app.sql.gz"
  measure pgdump-Fc "$OUT/app.pgc" sh -c "pg_dump -Fc app > $OUT/app.pgc"
  measure zstd-pipe "$OUT/app.pgc.zst" sh -c "pg_dump -Fc -Z0 app | zstd -q -T2 -3 > $OUT/app.pgc.zst"
  # The same pipeline made as durable as pra-backup's file (fsynced before it is "done"):
  measure zstd-sync "$OUT/app.pgc.zst" sh -c "pg_dump -Fc -Z0 app | zstd -q -T2 -3 > $OUT/app.pgc.zst && sync $OUT/app.pgc.zst"
  measure pra-zstd "$OUT/repo/app/backup/*/dump.pgc.zst" "$PRA_BACKUP" --init -d app --repo "$OUT/repo" --compress zstd
  measure pra-gzip "$OUT/repo/app/backup/*/dump.pgc.gz" "$PRA_BACKUP" --init -d app --repo "$OUT/repo" --compress gzip
  # The cost of the exact row counts (counted in the dump as it streams by):
  measure pra-nocount "$OUT/repo/app/backup/*/dump.pgc.zst" "$PRA_BACKUP" --init -d app --repo "$OUT/repo" --count-rows none
done
for n in "${!TIMES[@]}"; do
  MEDIAN[$n]=$(printf '%s\n' ${TIMES[$n]} | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
done

echo
echo "app scale $SCALE, database $((DBSIZE / 1048576)) MiB, $RUNS runs each, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %9s %9s %11s %10s %9s\n' what median_s vs_floor vs_zstdpipe size_MB rss_MiB
for n in floor gzip pgdump-Fc zstd-pipe zstd-sync pra-zstd pra-gzip pra-nocount; do
  printf '%-10s %9.2f %9.2f %11.2f %10.1f %9.1f\n' "$n" "${MEDIAN[$n]}" \
    "$(echo "${MEDIAN[$n]} / ${MEDIAN[floor]}" | bc -l)" \
    "$(echo "${MEDIAN[$n]} / ${MEDIAN[zstd-pipe]}" | bc -l)" \
    "$(echo "${SIZE[$n]} / 1000000" | bc -l)" \
    "$(echo "${RSS[$n]} / 1024" | bc -l)"
done
echo
printf 'pra-zstd vs pg_dump|gzip: %.1fx faster; size pra-zstd/gzip: %.2f; pra-zstd RSS %.1f MiB (target < 64)\n' \
  "$(echo "${MEDIAN[gzip]} / ${MEDIAN[pra-zstd]}" | bc -l)" \
  "$(echo "${SIZE[pra-zstd]} / ${SIZE[gzip]}" | bc -l)" \
  "$(echo "${RSS[pra-zstd]} / 1024" | bc -l)"
# The machine-independent targets of issue 23, one line each (ok / MISSED):
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "ok" : "MISSED" }'; }
r=$(echo "${MEDIAN[pra-zstd]} / ${MEDIAN[zstd-pipe]}" | bc -l)
printf 'target: backup <= 1.00x zstd-pipe: %.2fx %s\n' "$r" "$(verdict "$r" 1.00)"
r=$(echo "${MEDIAN[pra-zstd]} / ${MEDIAN[zstd-sync]}" | bc -l)
printf 'target: backup <= 1.00x zstd-sync (pra fsyncs its file): %.2fx %s\n' "$r" "$(verdict "$r" 1.00)"
r=$(echo "${RSS[pra-zstd]} / 1024" | bc -l)
printf 'target: backup peak RSS < 64 MiB: %.1f MiB %s\n' "$r" "$(verdict "$r" 63.99)"
