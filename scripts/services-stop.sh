#!/usr/bin/env bash
# services-stop.sh — stops what services-start.sh started under BASEDIR.
#
# Usage: services-stop.sh [--purge] BASEDIR [SERVICE...]
#   SERVICE: influxdb victoriametrics mariadb postgresql prometheus alertmanager
#            (default: all)
#   --purge  also deletes BASEDIR once everything is stopped.
#
# Stops each server by the PID recorded under BASEDIR (never by name), after
# checking that the PID still belongs to a process whose command line mentions
# BASEDIR (guards against PID reuse).  Sends SIGTERM (SIGINT = "fast shutdown"
# for PostgreSQL) to all of them at once, waits up to STOP_TIMEOUT (30) s,
# then SIGKILLs whatever is left.
set -uo pipefail

PURGE=0
if [ "${1:-}" = "--purge" ]; then PURGE=1; shift; fi
[ $# -ge 1 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BASE=$1; shift
[ -d "$BASE" ] || { echo "[services-stop] no such dir $BASE" >&2; exit 0; }
BASE=$(cd "$BASE" && pwd)
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(alertmanager prometheus postgresql mariadb victoriametrics influxdb)

log() { printf '[services-stop] %s\n' "$*" >&2; }

# A stopped daemon whose parent (here: PID 1, after services-start.sh exited)
# has not reaped it yet is a zombie, and 'kill -0' still succeeds on it.
# Treat state Z as dead, or we would wait for the init's reaping interval
# (about 2 s here; forever under an init that never reaps).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pidfile_of() {
  case "$1" in
    influxdb)        echo "$BASE/influxdb/influxd.pid" ;;
    victoriametrics) echo "$BASE/victoria-metrics/vm.pid" ;;
    prometheus)      echo "$BASE/prometheus/prometheus.pid" ;;
    alertmanager)    echo "$BASE/alertmanager/alertmanager.pid" ;;
    mariadb)         echo "$BASE/mariadb/mariadbd.pid" ;;
    postgresql)      echo "$BASE/postgresql/postgres.pid" ;;
    *) return 1 ;;
  esac
}

rc=0
declare -A PIDS=()
# phase 1: signal every service
for s in "${SERVICES[@]}"; do
  pf=$(pidfile_of "$s") || { log "unknown service '$s'"; rc=1; continue; }
  [ -s "$pf" ] || continue
  pid=$(head -n1 "$pf")
  if ! alive "$pid"; then
    log "$s: pid $pid not running"; rm -f "$pf"; continue
  fi
  if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$BASE"; then
    log "$s: pid $pid does not look like ours (cmdline lacks $BASE); not touching it"
    rc=1; continue
  fi
  sig=TERM; [ "$s" = postgresql ] && sig=INT
  kill -"$sig" "$pid" && PIDS[$s]=$pid
done

# phase 2: wait for all of them
t0=$(date +%s.%N)
deadline=$(( $(date +%s) + STOP_TIMEOUT ))
for s in "${!PIDS[@]}"; do
  pid=${PIDS[$s]}
  while alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
  if alive "$pid"; then
    log "$s: pid $pid still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null; sleep 0.2
  fi
  log "$s stopped (pid $pid, $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'))"
  rm -f "$(pidfile_of "$s")"
done

# A socket dir made by mktemp (long BASEDIR) lives outside BASEDIR; remove it
# once no service of this BASEDIR is left.
left=0
for s in influxdb victoriametrics prometheus alertmanager mariadb postgresql; do
  [ -e "$(pidfile_of "$s")" ] && left=$((left + 1))
done
if [ -s "$BASE/.sockdir" ] && [ $left = 0 ]; then
  sd=$(cat "$BASE/.sockdir")
  case "$sd" in /tmp/svcsock.*) rm -rf "$sd"; rm -f "$BASE/.sockdir" ;; esac
fi
if [ $PURGE = 1 ]; then
  if [ $rc = 0 ] && [ $left = 0 ]; then rm -rf "$BASE"; log "removed $BASE"
  else log "not purging $BASE: something is still running"; rc=1; fi
fi
exit $rc
