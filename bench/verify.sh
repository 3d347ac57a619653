#!/usr/bin/env bash
# Benchmark of pra-verify's checksum level against the standard tools on the same file.
#
# Starts a private PostgreSQL cluster (cleaned up on exit), loads the `app` dataset
# (the project's generator pra-testkit/sql/app.sql, or $APP_SQL) at SCALE (default 200,
# about 1.26 GB; 1.04 GB raw dump), takes one backup with pra-backup (zstd), then
# times RUNS rounds (default 3) of, interleaved so that machine load hits all alike:
#   zstd-t          zstd -t dump.pgc.zst               (decode only: the target)
#   sha256sum       sha256sum dump.pgc.zst             (stored hash only)
#   zstd|sha256     zstd -dc dump.pgc.zst | sha256sum  (decode + raw hash, hand-made)
#   pra-checksum    pra-verify --level checksum        (stored hash + decode with the frame
#                                                       checksums + raw size + pg_restore
#                                                       --list, both files; no raw hash for
#                                                       framed zstd, docs/VERIFY.md)
# and prints medians and ratios against `zstd -t`. The file is in the page cache for
# every command (it was just written), so this measures CPU, not the disk.
# Figures go in docs/PERFORMANCE.md ("Verify").
#
# cpu_s (user + sys, median) shows what runs in parallel: pra-checksum does more work
# than `zstd -t` (the stored sha256), and only overlaps it when a core is free.
#
# Usage: bench/verify.sh            SCALE=5 RUNS=3 bench/verify.sh
#        KEEP_REPO=/tmp/r bench/verify.sh (keep the backup)   REPO=/tmp/r bench/verify.sh (reuse it)
# Needs: PostgreSQL server binaries, zstd, cargo.
set -euo pipefail

SCALE=${SCALE:-200}
RUNS=${RUNS:-3}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
command -v zstd >/dev/null || { echo "bench: zstd not installed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: installing GNU time" >&2; apt-get install -y -q time >/dev/null; }

echo "bench: building pra-backup and pra-verify (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup -p pra-verify)
PRA_BACKUP=$ROOT/target/release/pra-backup
PRA_VERIFY=$ROOT/target/release/pra-verify

bench_workdir verify

if [ -n "${REPO:-}" ]; then
  WHAT="backup reused from $REPO"
  # Reuse a repository holding a backup of stanza `app` (e.g. one kept from a run).
  echo "bench: using the backup in $REPO" >&2
else
  bench_cluster shared_buffers=256MB max_wal_size=4GB
  bench_load_app "$SCALE"

  echo "bench: taking the backup" >&2
  REPO=$WORK/repo
  WHAT="app scale $SCALE"
  "$PRA_BACKUP" -q --init -d app --repo "$REPO" >/dev/null
  # Stop the server: it would only add noise (the checksum level needs no server).
  "${AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null
  [ -n "${KEEP_REPO:-}" ] && cp -r "$REPO" "$KEEP_REPO" && echo "bench: repository kept in $KEEP_REPO" >&2
fi
FILE=$(ls "$REPO"/app/backup/*/dump.pgc.zst | tail -1)
STORED=$(stat -c %s "$FILE")
RAW=$(grep -m1 -o '"raw_bytes": *[0-9]*' "$(dirname "$FILE")/manifest.json" | grep -o '[0-9]*$')
cat "$FILE" > /dev/null  # into the page cache for everyone

declare -A TIMES CPUS
run() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" \
    || { echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" >&2; exit 3; }
  read -r wall user sys < "$WORK/time.txt"
  TIMES[$name]+="$wall "
  CPUS[$name]+="$(echo "$user + $sys" | bc) "
  echo "bench: $name: $wall s wall, $user s user, $sys s sys" >&2
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RUNS; i++)); do
  run zstd-t zstd -q -t "$FILE"
  run sha256sum sha256sum "$FILE"
  run 'zstd|sha256' sh -c "zstd -q -dc '$FILE' | sha256sum"
  run pra-checksum "$PRA_VERIFY" -q --repo "$REPO" --stanza app --level checksum
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo
echo "$WHAT: dump.pgc.zst $((STORED / 1000000)) MB stored, $((RAW / 1000000)) MB raw; $RUNS rounds; $(nproc) cores; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
ZT=$(median "${TIMES[zstd-t]}")
printf '%-13s %9s %10s %11s %8s\n' what median_s vs_zstd-t raw_MB/s cpu_s
for n in zstd-t sha256sum 'zstd|sha256' pra-checksum; do
  m=$(median "${TIMES[$n]}")
  printf '%-13s %9.2f %10.2f %11.0f %8.2f\n' "$n" "$m" "$(echo "$m / $ZT" | bc -l)" \
    "$(echo "$RAW / 1000000 / $m" | bc -l)" "$(median "${CPUS[$n]}")"
done
echo "(pra-checksum also checks globals.sql.zst and runs pg_restore --list on the dump; target: vs_zstd-t <= 1.00)"
# The machine-independent target of issue 23, one line for any machine.
awk -v p="$(median "${TIMES[pra-checksum]}")" -v z="$ZT" 'BEGIN {
  r = sprintf("%.2f", p / z)
  printf "target: checksum verify <= 1.00x zstd -t: %s %s\n", r, (r + 0 <= 1.00 ? "ok" : "MISSED") }'
