#!/usr/bin/env bash
# test-integration.sh: run the tests that need real servers (every test
# whose name ends in "Integration", the dashboard queries and the browser
# tests) with the servers up. When INFLUX_URL is already set (CI started
# them), it uses those; otherwise it starts InfluxDB, VictoriaMetrics,
# Prometheus, MariaDB, PostgreSQL and Alertmanager on 127.0.0.1 under a
# temporary directory with scripts/services-start.sh (apt-installing what
# is missing, as root) and stops them, by PID, when done. Any integration
# test that skips for lack of its server makes the run fail.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
if [ -z "${INFLUX_URL:-}" ]; then
  SVC=$(mktemp -d /tmp/qmonit-it.XXXXXX); chmod 755 "$SVC"
  trap 'bash scripts/services-stop.sh --purge "$SVC" || true' EXIT
  bash scripts/services-start.sh "$SVC" influxdb victoriametrics mariadb postgresql prometheus alertmanager
  set -a; . "$SVC/services.env"; set +a
fi
log=$(mktemp /tmp/qmonit-it-log.XXXXXX)
set +e
$GO test -race -count=1 -v -run 'Integration' ./... 2>&1 | tee "$log" | grep -Ev '^(=== (RUN|PAUSE|CONT|NAME)|    --- PASS)'
rc=${PIPESTATUS[0]}
set -e
if grep -A1 -E -- '--- SKIP' "$log"; then
  echo "test-integration: the tests above skipped although the servers were started"; rc=1
fi
rm -f "$log"
exit "$rc"
