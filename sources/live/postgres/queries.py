"""The SQL the PostgreSQL collector runs: plain SELECTs over the statistics views, nothing else.

Every query excludes sleuth's own session, so the collector never shows up
in the activity it reports.
"""

from __future__ import annotations

DATABASE = """
SELECT sum(xact_commit) AS xact_commit, sum(xact_rollback) AS xact_rollback,
       sum(blks_read) AS blks_read, sum(blks_hit) AS blks_hit,
       sum(tup_returned) AS tup_returned, sum(tup_fetched) AS tup_fetched,
       sum(tup_inserted) AS tup_inserted, sum(tup_updated) AS tup_updated,
       sum(tup_deleted) AS tup_deleted, sum(conflicts) AS conflicts,
       sum(temp_files) AS temp_files, sum(temp_bytes) AS temp_bytes,
       sum(deadlocks) AS deadlocks, sum(blk_read_time) AS blk_read_time,
       sum(blk_write_time) AS blk_write_time, sum(numbackends) AS numbackends
FROM pg_stat_database WHERE datname IS NOT NULL
"""

ACTIVITY = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE state = 'active') AS active,
       count(*) FILTER (WHERE state = 'idle') AS idle,
       count(*) FILTER (WHERE state = 'idle in transaction') AS idle_in_transaction,
       count(*) FILTER (WHERE state = 'idle in transaction (aborted)') AS idle_in_transaction_aborted,
       count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting_lock,
       count(*) FILTER (WHERE wait_event_type = 'LWLock') AS waiting_lwlock,
       count(*) FILTER (WHERE wait_event_type = 'IO') AS waiting_io,
       count(*) FILTER (WHERE wait_event_type = 'Client') AS waiting_client,
       count(*) FILTER (WHERE wait_event_type = 'IPC') AS waiting_ipc,
       count(*) FILTER (WHERE state = 'active' AND wait_event_type IS NULL) AS active_on_cpu,
       coalesce(max(extract(epoch FROM now() - xact_start)), 0) AS max_transaction_age,
       coalesce(max(extract(epoch FROM now() - query_start)) FILTER (WHERE state = 'active'), 0)
           AS max_query_age,
       coalesce(max(extract(epoch FROM now() - state_change))
           FILTER (WHERE state LIKE 'idle in transaction%'), 0) AS max_idle_in_transaction_age,
       coalesce(max(age(backend_xmin)), 0) AS oldest_xmin_xids
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
"""

# This session's backend process, a child of the server's main process (the postmaster).
BACKEND_PID = "SELECT pg_backend_pid() AS pid"

CONNECTION_LIMIT = """
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS reserved
"""

LOCKS = """
SELECT count(*) FILTER (WHERE NOT granted) AS waiting,
       count(*) AS total,
       count(DISTINCT pid) FILTER (WHERE NOT granted) AS waiting_sessions
FROM pg_locks WHERE pid <> pg_backend_pid()
"""

BLOCKING = """
SELECT w.pid AS waiting_pid, b.pid AS blocking_pid,
       coalesce(l.locktype, '') AS lock_type,
       l.relation::regclass::text AS object,
       coalesce(extract(epoch FROM now() - l.waitstart), extract(epoch FROM now() - w.query_start), 0)
           AS wait_s,
       left(w.query, 300) AS waiting_query, left(b.query, 300) AS blocking_query, b.state AS blocking_state
FROM pg_stat_activity w
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
JOIN pg_stat_activity b ON b.pid = bp.pid
LEFT JOIN LATERAL (
    SELECT locktype, relation, waitstart FROM pg_locks
    WHERE pg_locks.pid = w.pid AND NOT pg_locks.granted LIMIT 1
) l ON true
WHERE w.pid <> pg_backend_pid()
ORDER BY wait_s DESC
LIMIT 50
"""

TABLES = """
SELECT coalesce(sum(seq_scan), 0) AS seq_scan, coalesce(sum(seq_tup_read), 0) AS seq_tup_read,
       coalesce(sum(idx_scan), 0) AS idx_scan, coalesce(sum(idx_tup_fetch), 0) AS idx_tup_fetch,
       coalesce(sum(n_tup_ins), 0) AS n_tup_ins, coalesce(sum(n_tup_upd), 0) AS n_tup_upd,
       coalesce(sum(n_tup_del), 0) AS n_tup_del, coalesce(sum(n_tup_hot_upd), 0) AS n_tup_hot_upd,
       coalesce(sum(n_live_tup), 0) AS n_live_tup, coalesce(sum(n_dead_tup), 0) AS n_dead_tup,
       coalesce(sum(autovacuum_count), 0) AS autovacuum_count,
       coalesce(sum(autoanalyze_count), 0) AS autoanalyze_count,
       coalesce(max(n_dead_tup::float8 / greatest(n_live_tup + n_dead_tup, 1)), 0) AS max_dead_tup_ratio,
       coalesce(max(extract(epoch FROM now() - last_autovacuum)), 0) AS max_seconds_since_autovacuum
FROM pg_stat_user_tables
"""

BGWRITER = """
SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time, checkpoint_sync_time,
       buffers_checkpoint, buffers_clean, maxwritten_clean, buffers_backend, buffers_alloc
FROM pg_stat_bgwriter
"""

WAL = "SELECT wal_records, wal_bytes, wal_fpi FROM pg_stat_wal"

STATEMENTS_TOTALS = """
SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(total_exec_time), 0) AS total_exec_time,
       coalesce(sum(rows), 0) AS rows
FROM pg_stat_statements
"""

STATEMENTS_INSTALLED = "SELECT 1 AS installed FROM pg_extension WHERE extname = 'pg_stat_statements'"

TOP_STATEMENTS = """
SELECT queryid::text AS digest, left(query, 1000) AS text, calls, total_exec_time, mean_exec_time, rows,
       shared_blks_read, shared_blks_hit, temp_blks_written, total_plan_time
FROM pg_stat_statements
WHERE queryid IS NOT NULL
ORDER BY total_exec_time DESC
LIMIT 200
"""

# current_setting() gives the human form ("64MB"), which is what a DBA reads and the rules quote.
SETTINGS = "SELECT name, current_setting(name) AS setting FROM pg_settings"

VERSION = "SELECT current_setting('server_version') AS version"

# Per-statement counters, read every sample without the texts (reading the texts means reading
# pg_stat_statements' whole query file). The collector's own role is left out: its statements are
# not the workload. One row per queryid, summed over users, databases and nesting levels.
_STATEMENTS = """
SELECT queryid::text AS digest, sum(calls) AS calls, sum({time}) AS total_time_ms,
       sum(rows) AS rows, sum(shared_blks_hit) AS shared_blks_hit, sum(shared_blks_read) AS shared_blks_read,
       sum(shared_blks_dirtied) AS shared_blks_dirtied, sum(shared_blks_written) AS shared_blks_written,
       sum(temp_blks_read) AS temp_blks_read, sum(temp_blks_written) AS temp_blks_written{more}
FROM pg_stat_statements(false)
WHERE queryid IS NOT NULL AND userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
GROUP BY queryid
ORDER BY sum({time}) DESC
LIMIT 200
"""
STATEMENTS = _STATEMENTS.format(
    time="total_exec_time", more=", sum(wal_bytes) AS wal_bytes, sum(total_plan_time) AS plan_time_ms"
)
# PostgreSQL 12 and older: one time column, no planning time, no WAL figures.
STATEMENTS_PG12 = _STATEMENTS.format(time="total_time", more="")

# Statements in flight: each session running one, how long it has run, its text (literals included,
# masked before it is stored) and whether the text was cut (at track_activity_query_size, or here).
# query_id is pg_stat_statements' queryid (PostgreSQL 14 and later, with compute_query_id on, or auto
# with pg_stat_statements loaded). The collector's own role is left out, as in STATEMENTS; now() is
# the snapshot's time, as in ACTIVITY.
RUNNING = """
SELECT pid::text AS session, query_id::text AS digest, datname AS schema_name,
       greatest(extract(epoch FROM now() - query_start) * 1000, 0) AS elapsed_ms, left(query, 4000) AS text,
       char_length(query) > 4000 OR octet_length(query) >=
           (SELECT setting::int FROM pg_settings WHERE name = 'track_activity_query_size') - 1 AS truncated
FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
      AND usename IS DISTINCT FROM current_user AND query_id IS NOT NULL AND query_start IS NOT NULL
ORDER BY query_start
LIMIT 50
"""

# Texts of statements not seen before ({ids}: queryids the server gave, checked to be integers).
STATEMENT_TEXTS = """
SELECT s.queryid::text AS digest, min(left(s.query, 4000)) AS text, min(d.datname) AS schema_name
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE s.queryid IN ({ids})
GROUP BY s.queryid
"""

_BUSIEST_TABLES = """
SELECT relid FROM pg_stat_user_tables
ORDER BY seq_tup_read + coalesce(idx_tup_fetch, 0) + n_tup_ins + n_tup_upd + n_tup_del DESC
LIMIT 500
"""

TABLE_READINGS = f"""
SELECT schemaname AS schema_name, relname AS name, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan,
       n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd
FROM pg_stat_user_tables
WHERE relid IN ({_BUSIEST_TABLES})
"""

INDEX_READINGS = f"""
SELECT schemaname AS schema_name, relname AS name, indexrelname AS index_name, idx_scan
FROM pg_stat_user_indexes
WHERE relid IN ({_BUSIEST_TABLES})
"""

# {names}: quoted table names parsed from statement texts, checked to be plain identifiers.
TABLE_DETAILS = """
SELECT t.schemaname AS schema_name, t.relname AS name, pg_table_size(t.relid) AS size_bytes,
       t.n_live_tup AS live_rows, t.n_dead_tup AS dead_rows,
       extract(epoch FROM t.last_vacuum) AS last_vacuum, extract(epoch FROM t.last_autovacuum) AS last_autovacuum,
       extract(epoch FROM t.last_analyze) AS last_analyze,
       extract(epoch FROM t.last_autoanalyze) AS last_autoanalyze,
       current_setting('autovacuum') AS autovacuum_global,
       (SELECT o.option_value FROM pg_options_to_table(c.reloptions) o
        WHERE o.option_name = 'autovacuum_enabled') AS autovacuum_table,
       (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = t.relid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
WHERE t.relname IN ({names})
"""

INDEX_DETAILS = """
SELECT i.schemaname AS schema_name, i.relname AS name, i.indexrelname AS index_name,
       pg_get_indexdef(i.indexrelid) AS definition, x.indisunique AS is_unique,
       x.indisprimary AS is_primary, pg_relation_size(i.indexrelid) AS size_bytes, i.idx_scan AS scans,
       (SELECT string_agg(coalesce(a.attname, '(expression)'), ',' ORDER BY k.ord)
        FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
        WHERE k.ord <= x.indnkeyatts) AS columns
FROM pg_stat_user_indexes i JOIN pg_index x ON x.indexrelid = i.indexrelid
WHERE i.relname IN ({names})
"""
