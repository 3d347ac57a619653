#!/bin/sh
# Times pra-report on a year of history: 5-minute status samples (~105 000 lines)
# plus hourly and daily backups, verifications and weekly restores (~120 000 lines in
# all). The goal (issue 20): under 2 s, in bounded memory (the peak RSS is printed).
#
#   bench/report.sh            (builds the release binary first)
set -eu
cd "$(dirname "$0")/.."
cargo build -q --release -p pra-report
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/report-history.py 365 2026-12-01T00:00:00Z > "$tmp/year.jsonl"
lines=$(wc -l < "$tmp/year.jsonl")
status=$(grep -c '"kind":"status"' "$tmp/year.jsonl")
start=$(date +%s.%N)
/usr/bin/time -q -f "%M" -o "$tmp/rss" ./target/release/pra-report "$tmp/year.jsonl" \
    --since 365d --until 2026-12-01T00:00:00Z --html "$tmp/r.html" --markdown "$tmp/r.md" -q >/dev/null || [ $? -eq 1 ]
end=$(date +%s.%N)
echo "pra-report: $lines lines ($status status samples) in $(echo "$end - $start" | bc) s, peak RSS $(tail -1 "$tmp/rss") KiB (goal: under 2 s)"
