#!/bin/sh
# Makes the sample compliance report of the README: a synthetic month of history
# (bench/report-history.py), rendered by pra-report as HTML, photographed by headless
# Chromium (Debian's `chromium`) into docs/img/report-sample.png.
#
#   scripts/report-screenshot.sh [OUT.png]
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/img/report-sample.png}
browser=${PRA_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -n "$browser" ] || { echo "report-screenshot: chromium not found (apt-get install chromium)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build -q -p pra-report
python3 bench/report-history.py 30 2026-12-01T00:00:00Z > "$tmp/history.jsonl"
# Exit 1 is expected: the sample month misses objectives, to show what a failure looks like.
./target/debug/pra-report "$tmp/history.jsonl" --since 30d --until 2026-12-01T00:00:00Z \
    --rpo 2h --rto 30m --availability-target 99.9 --title "Compliance report — sample month" \
    --html "$tmp/report.html" -q >/dev/null || [ $? -eq 1 ]
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size=1000,1900 --screenshot="$out" "file://$tmp/report.html" 2>/dev/null

echo "report-screenshot: wrote $out"
