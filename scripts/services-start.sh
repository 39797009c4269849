#!/usr/bin/env bash
# services-start.sh — qmonit integration-test servers (Debian 12, no systemd).
#
# Installs (if missing, root only) and starts InfluxDB 1.x, VictoriaMetrics,
# MariaDB and PostgreSQL — optionally Prometheus and Alertmanager — bound to
# 127.0.0.1 only, with all data/logs/pids under BASEDIR, waits until each one
# answers, creates a test database/user in each, prints the addresses and
# writes them to BASEDIR/services.env (sourceable).  Stop with
# services-stop.sh BASEDIR.
#
# Usage:
#   services-start.sh BASEDIR [SERVICE...]
#     SERVICE: influxdb victoriametrics mariadb postgresql prometheus alertmanager
#     default: influxdb victoriametrics mariadb postgresql
#
# Environment overrides (defaults in brackets):
#   INFLUX_PORT [8086]  INFLUX_RPC_PORT [8088]  VM_PORT [8428]
#   MARIADB_PORT [3306] PG_PORT [5432]          PROM_PORT [9090]
#   ALERTMANAGER_PORT [9093]
#   TEST_DB [monitor]   TEST_USER [monitor]     TEST_PASSWORD [monitorpw]
#   READY_TIMEOUT [60]  (seconds per service)
#   NO_INSTALL=1        never call apt-get
#
# Every server is started directly (no systemd, no init.d) and only ever binds
# 127.0.0.1.  The script refuses to start a service whose port is taken.
set -euo pipefail

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac

BASE=$1; shift
SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(influxdb victoriametrics mariadb postgresql)

INFLUX_PORT=${INFLUX_PORT:-8086}
INFLUX_RPC_PORT=${INFLUX_RPC_PORT:-8088}
VM_PORT=${VM_PORT:-8428}
MARIADB_PORT=${MARIADB_PORT:-3306}
PG_PORT=${PG_PORT:-5432}
PROM_PORT=${PROM_PORT:-9090}
ALERTMANAGER_PORT=${ALERTMANAGER_PORT:-9093}
TEST_DB=${TEST_DB:-monitor}
TEST_USER=${TEST_USER:-monitor}
TEST_PASSWORD=${TEST_PASSWORD:-monitorpw}
READY_TIMEOUT=${READY_TIMEOUT:-60}
HOST=127.0.0.1
# Client env vars would silently redirect the admin clients used below
# (e.g. MYSQL_HOST=127.0.0.1 turns a --socket login into TCP -> access denied).
unset MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MARIADB_UNIX_PORT MYSQL_PWD \
      PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
ENVFILE=$BASE/services.env
IS_ROOT=0; [ "$(id -u)" -eq 0 ] && IS_ROOT=1

log()  { printf '[services-start] %s\n' "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }
now()  { date +%s.%N; }
since(){ awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

# Unix socket paths are limited to 107 bytes; keep sockets in a short dir.
SOCKDIR=$BASE/run
if [ -s "$BASE/.sockdir" ] && [ -d "$(cat "$BASE/.sockdir")" ]; then
  SOCKDIR=$(cat "$BASE/.sockdir")       # re-run: keep the sockets where they are
elif [ ${#SOCKDIR} -gt 80 ]; then
  SOCKDIR=$(mktemp -d /tmp/svcsock.XXXXXX)
  log "BASEDIR is long; unix sockets go to $SOCKDIR"
fi
mkdir -p "$SOCKDIR"; chmod 755 "$SOCKDIR"
# Remember the socket dir for services-stop.sh / callers.
echo "$SOCKDIR" > "$BASE/.sockdir"
MYSQL_SOCK=$SOCKDIR/mysql/mysqld.sock   # dir owned by the mariadbd user
PG_SOCKDIR=$SOCKDIR/pg                  # dir owned by the postgres user

port_free() {  # port_free PORT -> 0 if nothing listens on 127.0.0.1:PORT / *:PORT
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# kill -0 also succeeds on an unreaped zombie; treat state Z as dead.
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pidfile_alive() { # pidfile_alive FILE -> prints pid and returns 0 if alive
  local p
  [ -s "$1" ] || return 1
  p=$(head -n1 "$1")
  pid_alive "$p" || return 1
  echo "$p"
}

wait_for() {  # wait_for NAME LOGFILE PID CMD... ; polls CMD every 0.1 s
  local name=$1 logf=$2 pid=$3; shift 3
  local t0; t0=$(now)
  local deadline=$(( $(date +%s) + READY_TIMEOUT ))
  while ! "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      log "$name exited during startup; last log lines ($logf):"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name not ready after ${READY_TIMEOUT}s; last log lines ($logf):"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$name ready in $(since "$t0")"
}

# ---------------------------------------------------------------- install --
APT_UPDATED=0
ensure_pkgs() {  # ensure_pkgs CHECK_CMD PKG...
  local check=$1; shift
  if eval "$check" >/dev/null 2>&1; then return 0; fi
  [ "${NO_INSTALL:-0}" = 1 ] && die "missing $* and NO_INSTALL=1"
  [ $IS_ROOT = 1 ] || die "missing $* (run: sudo apt-get install -y --no-install-recommends $*)"
  local t0; t0=$(now)
  export DEBIAN_FRONTEND=noninteractive
  if [ $APT_UPDATED = 0 ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  # Keep maintainer scripts from starting the packaged system instances
  # (0.0.0.0 listeners on the default ports) on hosts without systemd.
  local added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; added_policy=1
  fi
  local rc=0
  apt-get install -y -qq --no-install-recommends "$@" >"$BASE/apt-install.log" 2>&1 || rc=$?
  [ $added_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { tail -n 20 "$BASE/apt-install.log" >&2; die "apt-get install $* failed"; }
  log "installed $* in $(since "$t0")"
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

# --------------------------------------------------------------- services --
start_influxdb() {
  ensure_pkgs 'command -v influxd' influxdb influxdb-client
  local D=$BASE/influxdb pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/influxd.pid"); then log "influxdb already running (pid $pid)"; return 0; fi
  port_free "$INFLUX_PORT" || die "port $INFLUX_PORT (influxdb http) is in use"
  port_free "$INFLUX_RPC_PORT" || die "port $INFLUX_RPC_PORT (influxdb rpc) is in use"
  cat > "$D/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "$HOST:$INFLUX_RPC_PORT"
[meta]
  dir = "$D/meta"
[data]
  dir = "$D/data"
  wal-dir = "$D/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "$HOST:$INFLUX_PORT"
  log-enabled = false
[logging]
  suppress-logo = true
EOF
  influxd -config "$D/influxdb.conf" </dev/null >"$D/influxd.log" 2>&1 &
  pid=$!; echo "$pid" > "$D/influxd.pid"
  wait_for influxdb "$D/influxd.log" "$pid" curl -sf -o /dev/null "http://$HOST:$INFLUX_PORT/ping"
  curl -sf -XPOST "http://$HOST:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE \"$TEST_DB\"" >/dev/null \
    || die "influxdb: CREATE DATABASE failed"
}

start_victoriametrics() {
  ensure_pkgs 'command -v victoria-metrics' victoria-metrics
  local D=$BASE/victoria-metrics pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/vm.pid"); then log "victoriametrics already running (pid $pid)"; return 0; fi
  port_free "$VM_PORT" || die "port $VM_PORT (victoriametrics) is in use"
  # -retentionPeriod=100y: default is 1 month and older samples are dropped.
  # -search.latencyOffset=0s: default 30s hides just-written points from /api/v1/query.
  victoria-metrics -httpListenAddr="$HOST:$VM_PORT" -storageDataPath="$D/data" \
    -retentionPeriod=100y -search.latencyOffset=0s -loggerLevel=WARN \
    </dev/null >"$D/vm.log" 2>&1 &
  pid=$!; echo "$pid" > "$D/vm.pid"
  wait_for victoriametrics "$D/vm.log" "$pid" curl -sf -o /dev/null "http://$HOST:$VM_PORT/health"
}

start_prometheus() {
  ensure_pkgs 'command -v prometheus && command -v promtool' prometheus
  local D=$BASE/prometheus pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/prometheus.pid"); then log "prometheus already running (pid $pid)"; return 0; fi
  port_free "$PROM_PORT" || die "port $PROM_PORT (prometheus) is in use"
  cat > "$D/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
scrape_configs: []
storage:
  tsdb:
    # accept remote-written samples up to 24h old / out of order
    out_of_order_time_window: 24h
EOF
  prometheus --config.file="$D/prometheus.yml" --storage.tsdb.path="$D/data" \
    --web.listen-address="$HOST:$PROM_PORT" --web.enable-remote-write-receiver \
    </dev/null >"$D/prometheus.log" 2>&1 &
  pid=$!; echo "$pid" > "$D/prometheus.pid"
  wait_for prometheus "$D/prometheus.log" "$pid" curl -sf -o /dev/null "http://$HOST:$PROM_PORT/-/ready"
}

start_alertmanager() {
  ensure_pkgs 'command -v prometheus-alertmanager' prometheus-alertmanager
  local D=$BASE/alertmanager pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/alertmanager.pid"); then log "alertmanager already running (pid $pid)"; return 0; fi
  port_free "$ALERTMANAGER_PORT" || die "port $ALERTMANAGER_PORT (alertmanager) is in use"
  # One receiver that sends nothing: tests read alerts back over the API.
  cat > "$D/alertmanager.yml" <<EOF
route:
  receiver: blackhole
receivers:
  - name: blackhole
EOF
  # --cluster.listen-address= (empty) disables the gossip cluster.
  prometheus-alertmanager --config.file="$D/alertmanager.yml" --storage.path="$D/data" \
    --web.listen-address="$HOST:$ALERTMANAGER_PORT" --cluster.listen-address= \
    </dev/null >"$D/alertmanager.log" 2>&1 &
  pid=$!; echo "$pid" > "$D/alertmanager.pid"
  wait_for alertmanager "$D/alertmanager.log" "$pid" curl -sf -o /dev/null "http://$HOST:$ALERTMANAGER_PORT/-/ready"
}

start_mariadb() {
  ensure_pkgs 'test -x /usr/sbin/mariadbd && command -v mariadb-install-db' mariadb-server
  local D=$BASE/mariadb pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/mariadbd.pid"); then log "mariadb already running (pid $pid)"; return 0; fi
  port_free "$MARIADB_PORT" || die "port $MARIADB_PORT (mariadb) is in use"
  local userarg=() rootsock=() admin=root
  mkdir -p "$SOCKDIR/mysql"
  if [ $IS_ROOT = 1 ]; then
    # mariadbd refuses to run as root without --user; run it as 'mysql'.
    chown mysql:mysql "$D" "$SOCKDIR/mysql"
    runuser -u mysql -- test -w "$D" || die "$D is not reachable by user mysql; use a BASEDIR under /tmp"
    userarg=(--user=mysql)
  else
    # creates a 2nd superuser named like the calling OS user (unix_socket auth)
    admin=$(id -un)
    rootsock=(--auth-root-socket-user="$admin")
  fi
  # small redo log / buffer pool: 26 MB datadir instead of 114 MB
  local small=(--innodb-log-file-size=8M --innodb-buffer-pool-size=64M)
  if [ ! -d "$D/data/mysql" ]; then
    local t0; t0=$(now)
    mariadb-install-db --no-defaults "${userarg[@]}" --datadir="$D/data" \
      --auth-root-authentication-method=socket "${rootsock[@]}" \
      --skip-test-db --skip-name-resolve "${small[@]}" >"$D/install-db.log" 2>&1 \
      || { tail -n 20 "$D/install-db.log" >&2; die "mariadb-install-db failed"; }
    log "mariadb datadir initialised in $(since "$t0")"
  fi
  # --no-defaults must be the first option: ignore /etc/mysql/*.cnf entirely.
  /usr/sbin/mariadbd --no-defaults "${userarg[@]}" --datadir="$D/data" \
    --bind-address=$HOST --port="$MARIADB_PORT" --socket="$MYSQL_SOCK" \
    --pid-file="$D/mysqld.pid" --log-error="$D/mariadbd.err" --skip-name-resolve \
    "${small[@]}" </dev/null >"$D/mariadbd.out" 2>&1 &
  pid=$!; echo "$pid" > "$D/mariadbd.pid"
  # Ping over the unix socket: it exits 0 as soon as the server answers, even
  # with "access denied".  Over TCP a fresh datadir has no account for host
  # 127.0.0.1 at all (error 1130), which makes 'ping' fail forever.
  wait_for mariadb "$D/mariadbd.err" "$pid" \
    mariadb-admin --no-defaults --protocol=socket --socket="$MYSQL_SOCK" --connect-timeout=1 ping
  mariadb --no-defaults --protocol=socket --socket="$MYSQL_SOCK" -u"$admin" <<EOF || die "mariadb: creating test db/user failed"
CREATE DATABASE IF NOT EXISTS \`$TEST_DB\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON \`$TEST_DB\`.* TO '$TEST_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$TEST_DB\`.* TO '$TEST_USER'@'localhost';
EOF
  # prove TCP login as the test user works
  mariadb --no-defaults --protocol=tcp -h$HOST -P"$MARIADB_PORT" -u"$TEST_USER" -p"$TEST_PASSWORD" \
    "$TEST_DB" -Nse 'SELECT 1' >/dev/null || die "mariadb: TCP login as $TEST_USER failed"
}

start_postgresql() {
  ensure_pkgs '[ -n "$(pg_bindir)" ]' postgresql
  local BIN; BIN=$(pg_bindir)
  local D=$BASE/postgresql pid
  mkdir -p "$D"
  if pid=$(pidfile_alive "$D/postgres.pid"); then log "postgresql already running (pid $pid)"; return 0; fi
  port_free "$PG_PORT" || die "port $PG_PORT (postgresql) is in use"
  local as=()
  mkdir -p "$PG_SOCKDIR"
  if [ $IS_ROOT = 1 ]; then
    # initdb/postgres refuse to run as root.
    chown postgres:postgres "$D" "$PG_SOCKDIR"
    runuser -u postgres -- test -w "$D" || die "$D is not reachable by user postgres; use a BASEDIR under /tmp"
    as=(runuser -u postgres --)
  fi
  if [ ! -s "$D/data/PG_VERSION" ]; then
    local t0; t0=$(now)
    "${as[@]}" "$BIN/initdb" -D "$D/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$D/initdb.log" 2>&1 \
      || { tail -n 20 "$D/initdb.log" >&2; die "initdb failed"; }
    log "postgresql cluster initialised in $(since "$t0")"
  fi
  # fsync off etc.: throw-away test data only.  pg_ctl -w waits for readiness
  # and returns; the postmaster PID is line 1 of data/postmaster.pid.
  local t0; t0=$(now)
  "${as[@]}" "$BIN/pg_ctl" -D "$D/data" -l "$D/postgres.log" -w -t "$READY_TIMEOUT" \
    -o "-c listen_addresses=$HOST -p $PG_PORT -k $PG_SOCKDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >"$D/pg_ctl.log" 2>&1 \
    || { cat "$D/pg_ctl.log" >&2; tail -n 30 "$D/postgres.log" >&2; die "postgresql failed to start"; }
  head -n1 "$D/data/postmaster.pid" > "$D/postgres.pid"
  wait_for postgresql "$D/postgres.log" "$(cat "$D/postgres.pid")" "$BIN/pg_isready" -q -h $HOST -p "$PG_PORT"
  log "postgresql start+ready in $(since "$t0")"
  local P=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres)
  if [ "$("${P[@]}" -Atc "SELECT 1 FROM pg_roles WHERE rolname='$TEST_USER'")" != 1 ]; then
    "${P[@]}" -c "CREATE ROLE \"$TEST_USER\" LOGIN PASSWORD '$TEST_PASSWORD'" >/dev/null
  fi
  if [ "$("${P[@]}" -Atc "SELECT 1 FROM pg_database WHERE datname='$TEST_DB'")" != 1 ]; then
    "${P[@]}" -c "CREATE DATABASE \"$TEST_DB\" OWNER \"$TEST_USER\"" >/dev/null
  fi
}

# ------------------------------------------------------------------- main --
T0=$(now)
STARTED=()
cleanup_on_error() {
  local rc=$?
  if [ $rc -ne 0 ] && [ ${#STARTED[@]} -gt 0 ]; then
    log "startup failed; stopping what was started: ${STARTED[*]}"
    "$(dirname "$0")/services-stop.sh" "$BASE" "${STARTED[@]}" || true
  fi
}
trap cleanup_on_error EXIT

for s in "${SERVICES[@]}"; do
  case "$s" in
    influxdb|victoriametrics|mariadb|postgresql|prometheus|alertmanager) ;;
    *) die "unknown service '$s'" ;;
  esac
  STARTED+=("$s")
  "start_$s"
done

{
  echo "# generated by services-start.sh $(date -u +%FT%TZ); source this file"
  echo "SERVICES_BASE=$BASE"
  for s in "${SERVICES[@]}"; do
    case "$s" in
      influxdb)
        echo "INFLUX_URL=http://$HOST:$INFLUX_PORT"
        echo "INFLUX_DB=$TEST_DB" ;;
      victoriametrics)
        echo "VM_URL=http://$HOST:$VM_PORT"
        echo "VM_INFLUX_WRITE_URL=http://$HOST:$VM_PORT/write"
        echo "VM_REMOTE_WRITE_URL=http://$HOST:$VM_PORT/api/v1/write" ;;
      prometheus)
        echo "PROM_URL=http://$HOST:$PROM_PORT"
        echo "PROM_REMOTE_WRITE_URL=http://$HOST:$PROM_PORT/api/v1/write" ;;
      alertmanager)
        echo "ALERTMANAGER_URL=http://$HOST:$ALERTMANAGER_PORT" ;;
      mariadb)
        # (no MYSQL_HOST/MYSQL_TCP_PORT here: the mariadb CLI reads those)
        echo "MARIADB_ADDR=$HOST:$MARIADB_PORT"
        echo "MARIADB_SOCKET=$MYSQL_SOCK"
        echo "MYSQL_DSN='$TEST_USER:$TEST_PASSWORD@tcp($HOST:$MARIADB_PORT)/$TEST_DB?parseTime=true'" ;;
      postgresql)
        # (no PGHOST/PGPORT here: libpq reads those)
        echo "PG_ADDR=$HOST:$PG_PORT"
        echo "PG_SOCKET_DIR=$PG_SOCKDIR"
        echo "PG_DSN='postgres://$TEST_USER:$TEST_PASSWORD@$HOST:$PG_PORT/$TEST_DB?sslmode=disable'" ;;
    esac
  done
} > "$ENVFILE"

log "all started in $(since "$T0"); addresses (also in $ENVFILE):"
grep -v '^#' "$ENVFILE"
