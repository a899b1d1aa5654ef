#!/usr/bin/env bash
# Starts (or stops) the lab's PostgreSQL 15: a scratch cluster on a free loopback port with
# pg_stat_statements loaded, a lab database, a read-write role for the injectors and a read-only
# monitoring role holding pg_monitor and SELECT on the lab's tables (EXPLAIN needs it; a DBA's
# monitoring role gets it per schema or through pg_read_all_data). Idempotent: a running lab
# server is reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_BIN="${SLEUTH_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DIR="$LAB_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_PORT_FILE="$PG_DIR/port"

pg_running() {
  [ -f "$PG_PORT_FILE" ] && lab_as "$LAB_RUN_AS_PG" "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_psql() {
  PGOPTIONS="-c client_min_messages=warning" \
  lab_as "$LAB_RUN_AS_PG" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$(cat "$PG_PORT_FILE")" -U postgres "$@"
}

pg_start() {
  mkdir -p "$LAB_DIR"; chmod 755 "$LAB_DIR"
  if pg_running; then
    lab_log "postgres already running on port $(cat "$PG_PORT_FILE")"
  else
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      rm -rf "$PG_DIR"; mkdir -p "$PG_DIR"; lab_chown "$LAB_RUN_AS_PG" "$PG_DIR"
      lab_as "$LAB_RUN_AS_PG" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; lab_die "initdb failed"; }
      cat >>"$PG_DATA/postgresql.conf" <<CONF
# sleuth lab: loopback only, small, with the statistics the collectors read
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 60
shared_buffers = 64MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_io_timing = on
autovacuum_naptime = 2s
log_min_messages = warning
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    fi
    local port
    # A restart keeps the port, so a watcher's DSN still reaches the server when it is back.
    if [ "${LAB_REUSE_PORT:-0}" = 1 ] && [ -f "$PG_PORT_FILE" ]; then port="$(cat "$PG_PORT_FILE")"; else port="$(lab_free_port)"; fi
    echo "$port" >"$PG_PORT_FILE"
    lab_as "$LAB_RUN_AS_PG" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -o "-p $port" -w -t 60 start >/dev/null \
      || { tail -20 "$PG_DIR/server.log" >&2; lab_die "postgres did not start"; }
    lab_log "postgres started on 127.0.0.1:$port"
  fi
  pg_psql -d postgres <<SQL
SELECT 'CREATE DATABASE sleuth_lab' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'sleuth_lab')\gexec
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sleuth_lab') THEN CREATE ROLE sleuth_lab LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sleuth_monitor') THEN CREATE ROLE sleuth_monitor LOGIN; END IF;
END \$\$;
ALTER ROLE sleuth_lab PASSWORD '$LAB_PASSWORD';
ALTER ROLE sleuth_monitor PASSWORD '$LAB_MONITOR_PASSWORD';
ALTER ROLE sleuth_monitor SET default_transaction_read_only = on;
ALTER DATABASE sleuth_lab OWNER TO sleuth_lab;
GRANT pg_monitor TO sleuth_monitor;
-- The lab user may end sessions (to test a server "going away") and read every role's statements
-- (to prove the monitor role only ever ran reads).
GRANT pg_signal_backend, pg_read_all_stats TO sleuth_lab;
SQL
  pg_psql -d sleuth_lab -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  pg_psql -d sleuth_lab -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" >/dev/null
  pg_psql -d sleuth_lab <<SQL >/dev/null
GRANT USAGE ON SCHEMA public TO sleuth_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO sleuth_monitor;
ALTER DEFAULT PRIVILEGES FOR ROLE sleuth_lab IN SCHEMA public GRANT SELECT ON TABLES TO sleuth_monitor;
SQL
}

pg_stop() {
  if [ -f "$PG_DATA/PG_VERSION" ]; then
    lab_as "$LAB_RUN_AS_PG" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    lab_log "postgres stopped"
  fi
}

pg_dsns() {
  local port; port="$(cat "$PG_PORT_FILE")"
  echo "SLEUTH_PG_DSN=postgresql://sleuth_monitor:$LAB_MONITOR_PASSWORD@127.0.0.1:$port/sleuth_lab"
  echo "SLEUTH_PG_ADMIN_DSN=postgresql://sleuth_lab:$LAB_PASSWORD@127.0.0.1:$port/sleuth_lab"
}

case "${1:-}" in
  start) pg_start; pg_dsns ;;
  stop) pg_stop ;;
  restart) pg_stop; LAB_REUSE_PORT=1 pg_start; pg_dsns ;;
  clean) pg_stop; rm -rf "$PG_DIR" ;;
  dsn) pg_dsns ;;
  *) lab_die "usage: pg.sh start|stop|restart|clean|dsn" ;;
esac
