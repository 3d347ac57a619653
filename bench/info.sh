#!/usr/bin/env bash
# Benchmark of pra-info on a repository of N backups (default 2000: one stanza of 1900
# backups every 3 hours, half of them verified, 50 tables each, and one of 100, plus
# a leftover without a manifest), with the retention policy judged
# (--keep-hourly 48 --keep-daily 14 --keep-weekly 8 --keep-monthly 12). Times RUNS
# runs (default 5) of each of:
#   json     pra-info --format json       (every manifest and verify.json read, plan)
#   text     pra-info --format text       (the same, rendered as a table)
#   cat      cat of every manifest.json and verify.json (the floor: reading the bytes)
# and prints medians and the ratio json / cat. The target is under 1 s for 2 000
# backups. The repository is made by a small generator (synthetic manifests), so no
# PostgreSQL is needed. Figures go in docs/PERFORMANCE.md ("Info").
#
# Usage: bench/info.sh            N=10000 RUNS=3 bench/info.sh
# Needs: python3, cargo.
set -euo pipefail

N=${N:-2000}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build -q --release -p pra-info --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/pra-info"

python3 - "$WORK/repo" "$N" <<'PY'
import datetime, json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
json.dump({"format": 1, "created_at": "2025-01-01T00:00:00Z", "created_by": "bench"},
          open(f"{root}/pra.json", "w"))
end = datetime.datetime(2026, 11, 25, 9, 17, 0)
small = min(100, n // 20)
for stanza, count in (("app", n - small), ("crm", small)):
    for i in range(count):
        t = end - datetime.timedelta(hours=3 * i)
        bid = t.strftime("%Y%m%dT%H%M%SZ")
        ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        te = (t + datetime.timedelta(seconds=42)).strftime("%Y-%m-%dT%H:%M:%SZ")
        d = f"{root}/{stanza}/backup/{bid}"
        os.makedirs(d)
        open(f"{d}/dump.pgc.zst", "wb").write(b"x" * 4096)
        json.dump({"format": 1, "id": bid, "stanza": stanza, "kind": "logical",
                   "started_at": ts, "finished_at": te, "server_version": "16.4",
                   "server_version_num": 160004, "system_identifier": "1", "database": stanza,
                   "files": [{"name": "dump.pgc.zst", "role": "dump", "raw_bytes": 8192,
                              "stored_bytes": 4096, "raw_sha256": "a" * 64,
                              "stored_sha256": "b" * 64, "codec": "zstd"}],
                   "tables": [{"schema": "public", "table": f"t{k}", "rows": 1000 * k}
                              for k in range(50)],
                   "tool_version": "bench"}, open(f"{d}/manifest.json", "w"))
        if i % 2 == 0:
            json.dump({"format": 2, "backup_id": bid, "verdicts": [
                {"level": "checksum", "status": "ok", "verified_at": te, "duration_s": 3.0,
                 "problems": [], "tool_version": "bench"}]}, open(f"{d}/verify.json", "w"))
os.makedirs(f"{root}/app/backup/20261125T120000Z")
PY

POLICY=(--keep-hourly 48 --keep-daily 14 --keep-weekly 8 --keep-monthly 12)
seconds() { local s e; s=$(date +%s.%N); "$@" >"$WORK/out" </dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor() { find "$WORK/repo" -name '*.json' -exec cat {} + >/dev/null; }

"$BIN" --repo "$WORK/repo" --format json "${POLICY[@]}" </dev/null >/dev/null # warm the cache
t_json=$(for _ in $(seq "$RUNS"); do seconds "$BIN" --repo "$WORK/repo" --format json "${POLICY[@]}"; done | median)
events=$(wc -l <"$WORK/out")
t_text=$(for _ in $(seq "$RUNS"); do seconds "$BIN" --repo "$WORK/repo" --format text "${POLICY[@]}"; done | median)
t_cat=$(for _ in $(seq "$RUNS"); do seconds floor; done | median)

printf 'pra-info on %d backups (%d events), median of %d runs\n' "$N" "$events" "$RUNS"
printf '  json  %6.3f s\n  text  %6.3f s\n  cat   %6.3f s (floor)\n' "$t_json" "$t_text" "$t_cat"
printf '  json / cat = %.2fx\n' "$(echo "$t_json / $t_cat" | bc -l)"
if [ "$(echo "$t_json < 1" | bc -l)" != 1 ]; then
  echo "bench: pra-info took ${t_json} s on $N backups: over the 1 s target" >&2
  exit 1
fi
