#!/usr/bin/env bash
# Writes a PNG of each page of qmonit's UI (jobs, suspicious, daod, queue)
# to docs/img/, or to $QMONIT_SCREENSHOTS when set: TestScreenshots
# (internal/uitest) runs a demo over the default simulated grid (1,000
# queues, 7 days of history) and drives headless Chromium ($QMONIT_CHROMIUM,
# default /usr/bin/chromium) through every page. Takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${QMONIT_CHROMIUM:-/usr/bin/chromium}
if ! command -v "$chromium" >/dev/null; then
  echo "screenshots: no chromium at $chromium (install Debian's chromium or set QMONIT_CHROMIUM)" >&2
  exit 1
fi
out=${QMONIT_SCREENSHOTS:-docs/img}
mkdir -p "$out"
out=$(cd "$out" && pwd)

QMONIT_SCREENSHOTS=$out ${GO:-go} test -count=1 -timeout 15m -run '^TestScreenshots$' -v ./internal/uitest/
ls -l "$out"/*.png
