#!/usr/bin/env bash
# Benchmark of encryption at rest (age, docs/SECURITY.md): what it costs a backup, a
# checksum verification and a restore of the `app` dataset.
#
# Starts a private PostgreSQL cluster (cleaned up on exit), loads `app` at SCALE
# (default 50), makes an age identity with age-keygen, then times RUNS rounds (default
# 3) of each pair, plain and encrypted runs interleaved so that a busy machine slows
# both alike:
#   backup   pra-backup                 vs  pra-backup --encrypt-to age1…
#   verify   pra-verify --level checksum (plain backup) vs (encrypted, --identity)
#   restore  pra-restore into a new database (plain)    vs (encrypted, --identity)
# and prints medians and the encrypted/plain ratio of each (target: under 1.10).
# Figures go in docs/PERFORMANCE.md ("Encryption").
#
# Usage: bench/encrypt.sh            SCALE=5 RUNS=2 bench/encrypt.sh
# Needs: PostgreSQL server binaries, age (Debian package), cargo.
set -euo pipefail

SCALE=${SCALE:-50}
RUNS=${RUNS:-3}
. "$(dirname "$0")/lib.sh"
bench_app_sql
bench_bindir
command -v age-keygen >/dev/null || { echo "bench: age not installed (apt-get install age)" >&2; exit 2; }

echo "bench: building pra-backup, pra-verify, pra-restore (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-backup -p pra-verify -p pra-restore)
BIN=$ROOT/target/release

bench_workdir encrypt
bench_cluster shared_buffers=256MB max_wal_size=4GB
bench_load_app "$SCALE"

age-keygen -o "$WORK/key.txt" 2>/dev/null
PUBLIC=$(age-keygen -y "$WORK/key.txt")
PLAIN=$WORK/plain
SEALED=$WORK/sealed
KEY=(--identity "$WORK/key.txt")

declare -A TIMES
# timed NAME COMMAND...: appends the command's wall time to TIMES[NAME].
timed() {
  local name=$1; shift
  local s e
  sync
  s=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/stderr.txt" \
    || { echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" >&2; exit 3; }
  e=$(date +%s.%N)
  TIMES[$name]+="$(echo "$e - $s" | bc) "
  echo "bench: $name: $(echo "$e - $s" | bc) s" >&2
}

median() {
  printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$PLAIN" "$SEALED"
  for db in $(psql -X -A -t -d app -c "select datname from pg_database where datname like 'app_back%'"); do
    dropdb "$db"
  done
  timed backup-plain "$BIN/pra-backup" -d app --repo "$PLAIN" --init
  timed backup-age "$BIN/pra-backup" -d app --repo "$SEALED" --init --encrypt-to "$PUBLIC"
  timed verify-plain "$BIN/pra-verify" --repo "$PLAIN" --stanza app --level checksum
  timed verify-age "$BIN/pra-verify" --repo "$SEALED" --stanza app --level checksum "${KEY[@]}"
  timed restore-plain "$BIN/pra-restore" --repo "$PLAIN" --stanza app --target-db app_back_plain
  timed restore-age "$BIN/pra-restore" --repo "$SEALED" --stanza app --target-db app_back_age "${KEY[@]}"
done

echo
echo "app scale $SCALE, database $((DBSIZE / 1048576)) MiB, $RUNS runs each, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %9s %9s %9s\n' what plain_s age_s ratio
for what in backup verify restore; do
  p=$(median "${TIMES[$what-plain]}")
  a=$(median "${TIMES[$what-age]}")
  printf '%-8s %9.2f %9.2f %9.3f\n' "$what" "$p" "$a" "$(echo "$a / $p" | bc -l)"
done
