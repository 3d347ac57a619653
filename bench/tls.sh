#!/usr/bin/env bash
# Benchmark of connecting over TLS on loopback: what TLS adds to pra's own
# connections (OpenSSL through postgres-openssl) against what it adds to psql's (libpq).
#
# Starts a private cluster with ssl=on and certificates made here by `openssl` (a CA
# and a server certificate for localhost), then times, plain (sslmode=disable) and
# with TLS (sslmode=verify-full, TLS 1.3):
#   psql        psql -c 'SELECT 1'                 (one libpq connection)
#   pra-status  pra-status -d … (database check only: one pra connection and its queries)
# Prints medians, each tool's TLS/plain ratio, and pra-status's TLS cost against psql's.
# Figures go in docs/PERFORMANCE.md ("TLS").
#
# Usage: bench/tls.sh            RUNS=50 bench/tls.sh
# Needs: PostgreSQL server binaries, openssl, bc, cargo.
set -euo pipefail
RUNS=${RUNS:-30}
. "$(dirname "$0")/lib.sh"
bench_bindir
for t in openssl bc; do
  command -v $t >/dev/null || { echo "bench: $t not installed" >&2; exit 2; }
done
echo "bench: building pra-status (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-status)
PRA_STATUS=$ROOT/target/release/pra-status

bench_workdir tls
TLS=$WORK/tls
mkdir -p "$TLS"
ssl() { openssl "$@" 2>/dev/null; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj '/CN=pra bench CA' -keyout "$TLS/ca.key" -out "$TLS/ca.crt"
ssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj '/CN=localhost' -keyout "$TLS/server.key" -out "$TLS/server.csr"
printf 'subjectAltName=DNS:localhost\n' > "$TLS/ext"
ssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -set_serial 1 \
  -days 1 -extfile "$TLS/ext" -out "$TLS/server.crt"
chmod 600 "$TLS/server.key"
[ "$(id -u)" = 0 ] && chown -R postgres "$TLS"
bench_cluster ssl=on "ssl_cert_file=$TLS/server.crt" "ssl_key_file=$TLS/server.key" \
  "listen_addresses=127.0.0.1"
createdb app
unset PGHOST
BASE="host=localhost hostaddr=127.0.0.1 port=$PORT user=postgres dbname=app"
PLAIN="$BASE sslmode=disable"
VERIFIED="$BASE sslmode=verify-full sslrootcert=$TLS/ca.crt"
# Both must work before anything is timed; the TLS one must really be encrypted.
[ "$(psql -X -A -t -d "$VERIFIED" -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')" = t ] \
  || { echo "bench: the verify-full connection is not encrypted" >&2; exit 3; }
"$PRA_STATUS" -d "$VERIFIED" >/dev/null || { echo "bench: pra-status cannot connect over TLS" >&2; exit 3; }

declare -A MEDIAN
measure() {
  local name=$1; shift
  local times=() s e
  for ((i = 1; i <= RUNS; i++)); do
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
  done
  MEDIAN[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}')
}
echo "bench: timing, $RUNS runs each" >&2
measure psql-plain psql -X -A -t -d "$PLAIN" -c 'SELECT 1'
measure psql-tls psql -X -A -t -d "$VERIFIED" -c 'SELECT 1'
measure pra-plain "$PRA_STATUS" -d "$PLAIN"
measure pra-tls "$PRA_STATUS" -d "$VERIFIED"

echo
echo "connection over loopback, $RUNS runs each, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %10s %10s %9s %12s\n' what plain_ms tls_ms tls/plain tls_cost_ms
for t in psql pra; do
  p=${MEDIAN[$t-plain]} s=${MEDIAN[$t-tls]}
  printf '%-11s %10.1f %10.1f %9.2f %12.1f\n' "$t" "$(echo "$p * 1000" | bc -l)" \
    "$(echo "$s * 1000" | bc -l)" "$(echo "$s / $p" | bc -l)" "$(echo "($s - $p) * 1000" | bc -l)"
done
printf 'pra TLS cost / psql TLS cost: %.2f\n' \
  "$(echo "(${MEDIAN[pra-tls]} - ${MEDIAN[pra-plain]}) / (${MEDIAN[psql-tls]} - ${MEDIAN[psql-plain]})" | bc -l)"
