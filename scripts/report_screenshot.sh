#!/usr/bin/env bash
# Screenshot of the top of a report: scripts/report_screenshot.sh REPORT.html OUT.png [WIDTH HEIGHT]
# (headless Chromium, as the browser test runs it; docs/report.md).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH HEIGHT]" >&2
  exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
width=${3:-1100}
height=${4:-1500}
chromium=${EMOFUSE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "$0: Chromium not found (install Debian's chromium, or set EMOFUSE_CHROMIUM)" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size="$width,$height" --screenshot="$out" "file://$report" >/dev/null 2>&1
test -s "$out" || { echo "$0: no screenshot written to $out" >&2; exit 1; }
echo "$out"
