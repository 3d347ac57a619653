#!/usr/bin/env bash
# Benchmark of pra-restore against its peers on the `app` dataset.
#
# Starts a private PostgreSQL cluster (cleaned up on exit), loads the `app` dataset
# (the project's generator pra-testkit/sql/app.sql, or $APP_SQL) at SCALE (default 200, about
# 1.26 GB), makes the inputs (a raw custom dump, a plain gzip dump, a pra-backup zstd
# backup), then times RUNS runs (default 1: "in one run") of each restore into a new
# database:
#   floor        pg_restore -j2 from the uncompressed custom dump (the logical-restore floor)
#   gunzip-psql  gunzip -c app.sql.gz | psql            (the classic restore)
#   pra-j1       pra-restore --jobs 1  (checksum, streamed decode -> pg_restore, validation)
#   pra-j2       pra-restore --jobs 2  (checksum, decode to a temp file, pg_restore -j2 with
#                tables counted as their data lands and analyzed once pg_restore is done
#                with them while one of its slots idles, the rest after the load; the
#                default on 2 cores)
# and prints medians and ratios against the floor, plus pra-restore's own phase timings
# (fetch_s, restore_s, validate_s) from its event. Target: pra-restore within 1.1x the floor.
# It also times `zstd -dc <stored dump> > file` (RUNS times, median) and prints the
# machine-independent targets of issue 23, from the pra-j2 run:
#   fetch throughput (raw bytes / fetch_s) >= 0.9x zstd -dc's on the same stored dump
#   pra-restore's own phases: (fetch_s + validate_s) / restore_s <= 0.10
# Figures go in docs/PERFORMANCE.md ("Restore").
#
# Usage: bench/restore.sh            SCALE=5 RUNS=1 bench/restore.sh
# Needs: PostgreSQL server binaries, gzip, zstd, bc, python3 (reads the event), cargo.
set -euo pipefail

SCALE=${SCALE:-200}
RUNS=${RUNS:-1}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir

echo "bench: building pra-backup and pra-restore (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup -p pra-restore)
PRA_BACKUP=$ROOT/target/release/pra-backup
PRA_RESTORE=$ROOT/target/release/pra-restore

bench_workdir restore
IN=$WORK/in
mkdir -p "$IN"

bench_cluster shared_buffers=256MB max_wal_size=4GB
bench_load_app "$SCALE"
export PGDATABASE=postgres

echo "bench: making the inputs" >&2
pg_dump -Fc -Z0 -d app -f "$IN/app.pgc"
pg_dump -d app | gzip > "$IN/app.sql.gz"
"$PRA_BACKUP" --init -d app --repo "$IN/repo" --stanza app >/dev/null
RAW=$(stat -c %s "$IN/app.pgc")
STORED_FILE=$(find "$IN/repo/app/backup" -name 'dump.pgc*' | head -1)
STORED=$(stat -c %s "$STORED_FILE")
psql -X -q -c 'checkpoint' >/dev/null

# measure NAME COMMAND...: drops database r, runs the command RUNS times (each into a
# fresh r), records the median wall time.
declare -A MEDIAN
measure() {
  local name=$1; shift
  local times=()
  for ((i = 1; i <= RUNS; i++)); do
    dropdb --if-exists --force r
    psql -X -q -c 'checkpoint' >/dev/null
    sync
    local s e
    s=$(date +%s.%N)
    "$@" >"$WORK/$name.out" 2>"$WORK/stderr.txt" \
      || { echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" >&2; exit 3; }
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
    echo "bench: $name run $i: ${times[-1]} s" >&2
  done
  MEDIAN[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
}

# The fetch phase's reference: the stored dump decoded into a file by zstd itself.
zstd_times=()
for ((i = 1; i <= RUNS; i++)); do
  rm -f "$WORK/zstd.out"
  sync
  s=$(date +%s.%N)
  zstd -q -dc "$STORED_FILE" > "$WORK/zstd.out"
  e=$(date +%s.%N)
  zstd_times+=("$(echo "$e - $s" | bc)")
  echo "bench: zstd-dc run $i: ${zstd_times[-1]} s" >&2
done
rm -f "$WORK/zstd.out"
ZSTD_S=$(printf '%s\n' "${zstd_times[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
measure floor sh -c "createdb r && pg_restore -j2 -d r '$IN/app.pgc'"
measure gunzip-psql sh -c "createdb r && gunzip -c '$IN/app.sql.gz' | psql -X -q -v ON_ERROR_STOP=1 -d r >/dev/null"
measure pra-j1 "$PRA_RESTORE" --repo "$IN/repo" --stanza app --target-db r --jobs 1
measure pra-j2 "$PRA_RESTORE" --repo "$IN/repo" --stanza app --target-db r --jobs 2 --temp-dir "$WORK"

phases() {
  python3 -c 'import json,sys
e=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print("fetch_s=%.2f restore_s=%.2f validate_s=%.2f rto_s=%.2f status=%s" % (e["fetch_s"], e["restore_s"], e["validate_s"], e["rto_s"], e["status"]))' "$1"
}

echo
echo "app scale $SCALE: database $((DBSIZE / 1048576)) MiB, raw custom dump $((RAW / 1048576)) MiB, pra-backup zstd $((STORED / 1048576)) MiB;"
echo "$RUNS run(s) each, $(nproc) cores, load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %9s %9s\n' what median_s vs_floor
for n in floor gunzip-psql pra-j1 pra-j2; do
  printf '%-12s %9.2f %9.2f\n' "$n" "${MEDIAN[$n]}" "$(echo "${MEDIAN[$n]} / ${MEDIAN[floor]}" | bc -l)"
done
echo
echo "pra-j1 phases: $(phases "$WORK/pra-j1.out")"
echo "pra-j2 phases: $(phases "$WORK/pra-j2.out")"
printf 'target: pra-restore within 1.10x the floor; best pra-restore: %.2fx\n' \
  "$(echo "m=${MEDIAN[pra-j1]}; if (${MEDIAN[pra-j2]} < m) m=${MEDIAN[pra-j2]}; m / ${MEDIAN[floor]}" | bc -l)"
# Machine-independent targets (issue 23), from the pra-j2 run's event.
python3 - "$WORK/pra-j2.out" "$ZSTD_S" <<'PY'
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
zstd_s = float(sys.argv[2])
verdict = lambda ok: "ok" if ok else "MISSED"
fetch = zstd_s / e["fetch_s"] if e["fetch_s"] > 0 else 0.0
print("zstd -dc > file: %.2f s (%.0f MiB/s); pra-j2 fetch: %.2f s (%.0f MiB/s)" % (
    zstd_s, e["raw_bytes"] / zstd_s / 1048576, e["fetch_s"], e["raw_bytes"] / e["fetch_s"] / 1048576))
print("target: fetch throughput %.2fx zstd -dc > file (>= 0.90) %s" % (fetch, verdict(fetch >= 0.90)))
own = (e["fetch_s"] + e["validate_s"]) / e["restore_s"]
print("target: own phases (fetch_s + validate_s) / restore_s %.3f (<= 0.10) %s" % (own, verdict(own <= 0.10)))
PY
