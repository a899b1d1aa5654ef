#!/usr/bin/env bash
# Starts (or stops) the lab's MariaDB: a scratch data directory on a free loopback port with
# performance_schema on (statement digests, recent statement texts for EXPLAIN), a lab database, a
# read-write user for the injectors and a monitoring user holding PROCESS, REPLICATION CLIENT, SELECT
# on performance_schema and SELECT on the lab schema (table metadata and EXPLAIN need it).
# Idempotent: a running lab server is reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MY_DIR="$LAB_DIR/mariadb"
MY_DATA="$MY_DIR/data"
MY_SOCK="$MY_DIR/mariadb.sock"
MY_PORT_FILE="$MY_DIR/port"
MY_PID="$MY_DIR/mariadb.pid"

my_client() { mariadb --no-defaults -S "$MY_SOCK" -u root "$@"; }

my_running() {
  [ -f "$MY_PORT_FILE" ] && [ -S "$MY_SOCK" ] && my_client -e "SELECT 1" >/dev/null 2>&1
}

my_start() {
  mkdir -p "$LAB_DIR"; chmod 755 "$LAB_DIR"
  if my_running; then
    lab_log "mariadb already running on port $(cat "$MY_PORT_FILE")"
  else
    if [ ! -d "$MY_DATA/mysql" ]; then
      rm -rf "$MY_DIR"; mkdir -p "$MY_DATA"; lab_chown "$LAB_RUN_AS_MY" "$MY_DIR"
      local user_opt=()
      if [ "$(id -u)" = "0" ]; then user_opt=(--user="$LAB_RUN_AS_MY"); fi
      mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$MY_DATA" \
        --auth-root-authentication-method=normal --skip-test-db >"$MY_DIR/install.log" 2>&1 \
        || { cat "$MY_DIR/install.log" >&2; lab_die "mariadb-install-db failed"; }
    fi
    local port
    # A restart keeps the port, so a watcher's DSN still reaches the server when it is back.
    if [ "${LAB_REUSE_PORT:-0}" = 1 ] && [ -f "$MY_PORT_FILE" ]; then port="$(cat "$MY_PORT_FILE")"; else port="$(lab_free_port)"; fi
    echo "$port" >"$MY_PORT_FILE"
    local user_opt=()
    if [ "$(id -u)" = "0" ]; then user_opt=(--user="$LAB_RUN_AS_MY"); fi
    # nohup + setsid: the server outlives this script and the test session that called it.
    setsid nohup mariadbd --no-defaults "${user_opt[@]}" --datadir="$MY_DATA" --socket="$MY_SOCK" \
      --pid-file="$MY_PID" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
      --max-connections=60 --innodb-buffer-pool-size=128M --innodb-log-file-size=64M \
      --innodb-flush-log-at-trx-commit=2 --performance-schema=ON \
      --performance-schema-consumer-events-statements-current=ON \
      --performance-schema-consumer-events-statements-history=ON \
      --innodb-lock-wait-timeout=10 --log-error="$MY_DIR/error.log" >/dev/null 2>&1 < /dev/null &
    lab_wait_for "mariadb" my_client -e "SELECT 1"
    lab_log "mariadb started on 127.0.0.1:$port"
  fi
  my_client <<SQL
CREATE DATABASE IF NOT EXISTS sleuth_lab;
CREATE USER IF NOT EXISTS 'sleuth_lab'@'127.0.0.1' IDENTIFIED BY '$LAB_PASSWORD';
GRANT ALL ON sleuth_lab.* TO 'sleuth_lab'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'sleuth_monitor'@'127.0.0.1' IDENTIFIED BY '$LAB_MONITOR_PASSWORD';
GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'sleuth_monitor'@'127.0.0.1';
GRANT SELECT ON performance_schema.* TO 'sleuth_monitor'@'127.0.0.1';
GRANT SELECT ON sleuth_lab.* TO 'sleuth_monitor'@'127.0.0.1';
-- The lab user may kill sessions (to test a server "going away") and read performance_schema
-- (to prove the monitor user only ever ran reads). A user with no monitoring grant at all shows
-- how the collector degrades on a missing privilege.
GRANT CONNECTION ADMIN, PROCESS ON *.* TO 'sleuth_lab'@'127.0.0.1';
GRANT SELECT ON performance_schema.* TO 'sleuth_lab'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'sleuth_noprivs'@'127.0.0.1' IDENTIFIED BY '$LAB_MONITOR_PASSWORD';
FLUSH PRIVILEGES;
SQL
}

my_stop() {
  if [ -f "$MY_PID" ]; then
    local pid; pid="$(cat "$MY_PID")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$MY_PID"
    lab_log "mariadb stopped"
  fi
}

my_dsns() {
  local port; port="$(cat "$MY_PORT_FILE")"
  echo "SLEUTH_MYSQL_DSN=mysql://sleuth_monitor:$LAB_MONITOR_PASSWORD@127.0.0.1:$port/"
  echo "SLEUTH_MYSQL_ADMIN_DSN=mysql://sleuth_lab:$LAB_PASSWORD@127.0.0.1:$port/sleuth_lab"
}

case "${1:-}" in
  start) my_start; my_dsns ;;
  stop) my_stop ;;
  restart) my_stop; LAB_REUSE_PORT=1 my_start; my_dsns ;;
  clean) my_stop; rm -rf "$MY_DIR" ;;
  dsn) my_dsns ;;
  *) lab_die "usage: mariadb.sh start|stop|restart|clean|dsn" ;;
esac
