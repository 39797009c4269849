#!/usr/bin/env bash
# End-to-end smoke run: starts `qmonit sim` on a free loopback port, runs
# `qmonit collect --once` against it in both output formats, checks the point
# counts, and stops the simulator by its PID. Usage: smoke.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
make -s build
work=$(mktemp -d)
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bin/qmonit sim --listen 127.0.0.1:0 >"$work/sim.env" 2>"$out/sim.log" </dev/null &
sim_pid=$!
for _ in $(seq 100); do
  [ "$(grep -c '^QMONIT_' "$work/sim.env" 2>/dev/null)" -ge 7 ] && break
  sleep 0.1
done
grep -q QMONIT_SOURCES_DATADISK_URL "$work/sim.env" || { echo "simulator did not start"; cat "$out/sim.log"; exit 1; }

set -a; . "$work/sim.env"; set +a
export QMONIT_DATA_DIR=$work/data
start=$(date +%s%N)
bin/qmonit collect --once --output json >"$out/points.json" 2>"$out/collect-json.log"
mid=$(date +%s%N)
bin/qmonit collect --once --output lp >"$out/points.lp" 2>"$out/collect-lp.log"
end=$(date +%s%N)
nj=$(wc -l <"$out/points.json"); nl=$(wc -l <"$out/points.lp")
echo "collect --once: json $nj points in $(( (mid-start)/1000000 )) ms (cold catalog), lp $nl points in $(( (end-mid)/1000000 )) ms (cached catalog)"
[ "$nj" -ge 20000 ] || { echo "FAIL: want >= 20000 JSON points, got $nj"; cat "$out/collect-json.log"; exit 1; }
[ "$nl" -eq "$nj" ] || { echo "FAIL: lp ($nl) and json ($nj) point counts differ"; exit 1; }
echo "smoke: ok"
