#!/usr/bin/env bash
# Benchmark of pra-loadtest's load generator against pgbench, the reference tool,
# and of the drill's own footprint.
#
# Starts a private PostgreSQL cluster, runs a release pra-loadtest drill (--keep, so
# the tables stay) and then pgbench with the same transaction
# (pra_loadtest::workload::TPCB_PGBENCH_SCRIPT: pgbench's tpcb-like on the drill's
# tables, one message per transaction) and the same client count on the same tables.
# Prints both TPS figures and their ratio, the drill's baseline p50/p95 next to
# pgbench's average latency, the drill's RTO, RPO and slowdown, and its peak RSS
# (memory must not grow with the number of transactions: latencies go into
# fixed-size histograms). Figures go in docs/PERFORMANCE.md ("Loadtest").
#
# Usage: bench/loadtest.sh          SCALE=10 CLIENTS=8 DURATION=60s bench/loadtest.sh
# Needs: PostgreSQL server binaries and pgbench, jq, cargo, /usr/bin/time.
set -euo pipefail

SCALE=${SCALE:-1}
CLIENTS=${CLIENTS:-4}
DURATION=${DURATION:-30s}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
. "$(dirname "$0")/lib.sh"
bench_bindir
[ -x "$BINDIR/pgbench" ] || { echo "bench: no pgbench in $BINDIR" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench: jq not installed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time not installed (apt-get install time)" >&2; exit 2; }

echo "bench: building pra-loadtest (release)" >&2
(cd "$ROOT" && cargo build -q --release -p pra-loadtest)
DRILL=$ROOT/target/release/pra-loadtest

bench_workdir loadtest
KEEP_EVENT=${KEEP_EVENT:-}

bench_cluster
"$BINDIR/psql" -X -q -d postgres -c "CREATE DATABASE app"

echo "bench: drill: scale $SCALE, $CLIENTS clients, $DURATION" >&2
/usr/bin/time -f "%M" -o "$WORK/rss" \
  "$DRILL" --duration "$DURATION" --clients "$CLIENTS" --scale "$SCALE" --keep >"$WORK/drill.json" \
  || [ $? -eq 1 ] # a failed SLA (exit 1) is the drill's verdict, not a benchmark failure
# (GNU time then writes "Command exited with non-zero status 1" before the RSS line.)
EV=$(jq -c 'select(.kind == "drill")' "$WORK/drill.json")
[ -n "$KEEP_EVENT" ] && cp "$WORK/drill.json" "$KEEP_EVENT"

ACCOUNTS=$("$BINDIR/psql" -X -A -t -c "SELECT count(*) FROM pra_loadtest.accounts")
BRANCHES=$("$BINDIR/psql" -X -A -t -c "SELECT count(*) FROM pra_loadtest.branches")
TELLERS=$("$BINDIR/psql" -X -A -t -c "SELECT count(*) FROM pra_loadtest.tellers")
# The same script the test suite uses, extracted from the source of truth.
sed -n '/^pub const TPCB_PGBENCH_SCRIPT: &str = "/,/^";/p' "$ROOT/pra-loadtest/src/workload.rs" \
  | sed -e '1s/^pub const TPCB_PGBENCH_SCRIPT: &str = "//' -e '/^";$/d' -e 's/\\\\/\\/g' >"$WORK/tpcb.sql"
echo "bench: pgbench: $CLIENTS clients, ${PGBENCH_SECONDS}s" >&2
"$BINDIR/pgbench" -n -M simple -c "$CLIENTS" -j "$CLIENTS" -T "$PGBENCH_SECONDS" \
  -D accounts="$ACCOUNTS" -D branches="$BRANCHES" -D tellers="$TELLERS" -f "$WORK/tpcb.sql" app >"$WORK/pgbench.out"
PGB_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out")
PGB_LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/pgbench.out")

jq -r --arg pgb_tps "$PGB_TPS" --arg pgb_lat "$PGB_LAT" --arg rss "$(tail -n 1 "$WORK/rss")" --arg load "$(cut -d' ' -f1 /proc/loadavg)" '
  "load average      \($load)",
  "drill TPS         \(.baseline.tps | floor) (baseline), p50 \(.baseline.p50_s * 1000 * 100 | floor / 100) ms, p95 \(.baseline.p95_s * 1000 * 100 | floor / 100) ms",
  "pgbench TPS       \($pgb_tps | tonumber | floor), latency average \($pgb_lat) ms",
  "ratio drill/pgbench  \((.baseline.tps / ($pgb_tps | tonumber)) * 100 | floor / 100)",
  "transactions      \(.transactions) in \(.duration_s | floor) s",
  "backup            \(.backup_duration_s * 100 | floor / 100) s, slowdown x\(.slowdown_ratio * 100 | floor / 100)",
  "RTO               \(.rto_s * 100 | floor / 100) s (\(.tables_validated) tables validated)",
  "RPO               \(.rpo_transactions) transactions, \(.rpo_s * 100 | floor / 100) s",
  "peak RSS          \(($rss | tonumber) / 1024 | floor) MiB"
' <<<"$EV"
