#!/usr/bin/env bash
# Benchmark of pra-rotate on a repository of N hourly backups (default 2000, about
# 83 days; 4 KiB of data each), with the typical hourly GFS policy of
# docs/RETENTION.md (--keep-hourly 48 --keep-daily 14 --keep-weekly 8
# --keep-monthly 12 --keep-yearly 5). Times, in a fresh copy of the repository each:
#   dry-run     pra-rotate --dry-run         (read every manifest and verify record, plan)
#   rotate      pra-rotate                   (the same, then delete under locks: manifest,
#                                             fsync, data, fsync, lock file, fsync)
#   rm -rf      rm -rf of the same directories, no locks and no fsync (the floor)
# and prints per-backup costs and the ratio rotate / rm -rf. The repository is made
# by a small generator (synthetic manifests), so no PostgreSQL is needed.
# Figures go in docs/PERFORMANCE.md ("Rotate").
#
# Usage: bench/rotate.sh            N=9600 bench/rotate.sh
# Needs: python3, cargo, bc.
set -euo pipefail

N=${N:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build -q --release -p pra-rotate --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/pra-rotate"

python3 - "$WORK/repo" "$N" <<'PY'
import datetime, json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
json.dump({"format": 1, "created_at": "2025-01-01T00:00:00Z", "created_by": "bench"},
          open(f"{root}/pra.json", "w"))
end = datetime.datetime(2026, 11, 25, 9, 17, 0)
for i in range(n):
    t = end - datetime.timedelta(hours=i)
    bid = t.strftime("%Y%m%dT%H%M%SZ")
    ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    d = f"{root}/app/backup/{bid}"
    os.makedirs(d)
    open(f"{d}/dump.pgc.zst", "wb").write(b"x" * 4096)
    json.dump({"format": 1, "id": bid, "stanza": "app", "kind": "logical",
               "started_at": ts, "finished_at": ts, "server_version": "15.18",
               "server_version_num": 150018, "system_identifier": "1",
               "files": [{"name": "dump.pgc.zst", "role": "dump", "raw_bytes": 8192,
                          "stored_bytes": 4096, "raw_sha256": "a" * 64,
                          "stored_sha256": "b" * 64, "codec": "zstd"}],
               "tables": [], "tool_version": "bench"}, open(f"{d}/manifest.json", "w"))
PY

POLICY=(--keep-hourly 48 --keep-daily 14 --keep-weekly 8 --keep-monthly 12 --keep-yearly 5)
seconds() { local s e; s=$(date +%s.%N); "$@" >"$WORK/out" </dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

cp -a "$WORK/repo" "$WORK/dry"
t_dry=$(seconds "$BIN" --repo "$WORK/dry" --stanza app "${POLICY[@]}" --dry-run)
deleted=$(python3 -c 'import json,sys; print(len([json.loads(l) for l in open(sys.argv[1])][-1]["deleted"]))' "$WORK/out")

cp -a "$WORK/repo" "$WORK/real"
t_rotate=$(seconds "$BIN" --repo "$WORK/real" --stanza app "${POLICY[@]}")
kept=$(ls "$WORK/real/app/backup" | wc -l)

# The floor: remove the same directories with rm -rf.
cp -a "$WORK/repo" "$WORK/rm"
(cd "$WORK/real/app/backup" && ls) > "$WORK/keep"
(cd "$WORK/rm/app/backup" && ls | grep -vxF -f "$WORK/keep") > "$WORK/gone"
t_rm=$(seconds bash -c "cd '$WORK/rm/app/backup' && xargs rm -rf < '$WORK/gone'")

printf 'backups: %d  kept: %d  deleted: %d\n' "$N" "$kept" "$deleted"
printf 'dry-run  %7.2f s  %6.3f ms per backup read\n' "$t_dry" "$(echo "$t_dry * 1000 / $N" | bc -l)"
printf 'rotate   %7.2f s  %6.3f ms per backup deleted\n' "$t_rotate" "$(echo "$t_rotate * 1000 / $deleted" | bc -l)"
printf 'rm -rf   %7.2f s  %6.3f ms per backup deleted\n' "$t_rm" "$(echo "$t_rm * 1000 / $deleted" | bc -l)"
printf 'ratio rotate / rm -rf: %.1f\n' "$(echo "$t_rotate / $t_rm" | bc -l)"
