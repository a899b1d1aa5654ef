"""The SQL the MySQL/MariaDB collector runs: SHOW and SELECT over status and statistics tables only."""

from __future__ import annotations

STATUS = "SHOW GLOBAL STATUS"
VARIABLES = "SHOW GLOBAL VARIABLES"

PROCESSLIST = """
SELECT count(*) AS total,
       coalesce(sum(command <> 'Sleep'), 0) AS active,
       coalesce(sum(command = 'Sleep'), 0) AS sleeping,
       coalesce(max(CASE WHEN command <> 'Sleep' THEN time END), 0) AS max_query_age
FROM information_schema.PROCESSLIST
WHERE id <> connection_id() AND command NOT IN ('Daemon', 'Binlog Dump')
"""

TRANSACTIONS = """
SELECT count(*) AS total,
       coalesce(sum(trx_state = 'LOCK WAIT'), 0) AS lock_wait,
       coalesce(max(timestampdiff(SECOND, trx_started, now())), 0) AS max_age,
       coalesce(sum(trx_query IS NULL), 0) AS idle,
       coalesce(max(CASE WHEN trx_query IS NULL THEN timestampdiff(SECOND, trx_started, now()) END), 0)
           AS max_idle_age,
       coalesce(sum(trx_rows_modified), 0) AS rows_modified,
       coalesce(sum(trx_rows_locked), 0) AS rows_locked
FROM information_schema.INNODB_TRX
WHERE trx_mysql_thread_id <> connection_id()
"""

_LOCK_WAIT_COLUMNS = """
       r.trx_mysql_thread_id AS waiting_thread, b.trx_mysql_thread_id AS blocking_thread,
       coalesce(timestampdiff(SECOND, r.trx_wait_started, now()), 0) AS wait_s,
       left(r.trx_query, 300) AS waiting_query, left(b.trx_query, 300) AS blocking_query,
       CASE WHEN b.trx_query IS NULL THEN 'idle in transaction' ELSE b.trx_state END AS blocking_state
"""

# MariaDB (and MySQL 5.7) keep the information_schema lock-wait views.
LOCK_WAITS_MARIADB = f"""
SELECT {_LOCK_WAIT_COLUMNS}, coalesce(l.lock_mode, '') AS lock_type, l.lock_table AS object
FROM information_schema.INNODB_LOCK_WAITS w
JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
ORDER BY wait_s DESC
LIMIT 50
"""

# MySQL 8 moved them to performance_schema.
LOCK_WAITS_MYSQL8 = f"""
SELECT {_LOCK_WAIT_COLUMNS}, coalesce(rl.LOCK_MODE, '') AS lock_type,
       concat(rl.OBJECT_SCHEMA, '.', rl.OBJECT_NAME) AS object
FROM performance_schema.data_lock_waits w
JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID
JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
LEFT JOIN performance_schema.data_locks rl ON rl.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID
ORDER BY wait_s DESC
LIMIT 50
"""

PERFORMANCE_SCHEMA_ON = "SHOW GLOBAL VARIABLES LIKE 'performance_schema'"

# Where the server wrote its process id (a local server's own file; read here only when local).
PID_FILE = "SELECT @@pid_file AS pid_file"

TOP_STATEMENTS = """
SELECT coalesce(DIGEST, '') AS digest, coalesce(DIGEST_TEXT, '') AS text, COUNT_STAR AS calls,
       SUM_TIMER_WAIT / 1000000000 AS total_ms, AVG_TIMER_WAIT / 1000000000 AS mean_ms,
       SUM_ROWS_EXAMINED AS rows_examined, SUM_ROWS_SENT AS rows_sent, SUM_ROWS_AFFECTED AS rows_affected,
       SUM_CREATED_TMP_DISK_TABLES AS temp_disk_tables, SUM_NO_INDEX_USED AS no_index_used
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL
ORDER BY SUM_TIMER_WAIT DESC
LIMIT 200
"""

STATEMENT_TOTALS = """
SELECT coalesce(sum(COUNT_STAR), 0) AS count_star, coalesce(sum(SUM_TIMER_WAIT), 0) AS sum_timer_wait,
       coalesce(sum(SUM_ROWS_EXAMINED), 0) AS sum_rows_examined,
       coalesce(sum(SUM_NO_INDEX_USED), 0) AS sum_no_index_used,
       coalesce(sum(SUM_CREATED_TMP_DISK_TABLES), 0) AS sum_created_tmp_disk_tables
FROM performance_schema.events_statements_summary_by_digest
"""

# Per-statement counters, read every sample without the texts; one row per digest over all schemas.
STATEMENTS = """
SELECT DIGEST AS digest, sum(COUNT_STAR) AS calls, sum(SUM_TIMER_WAIT) / 1000000000 AS total_time_ms,
       sum(SUM_LOCK_TIME) / 1000000000 AS lock_time_ms, sum(SUM_ROWS_EXAMINED) AS rows_examined,
       sum(SUM_ROWS_SENT) AS rows_sent, sum(SUM_ROWS_AFFECTED) AS rows_affected,
       sum(SUM_NO_INDEX_USED) AS no_index_used, sum(SUM_NO_GOOD_INDEX_USED) AS no_good_index_used,
       sum(SUM_CREATED_TMP_TABLES) AS tmp_tables, sum(SUM_CREATED_TMP_DISK_TABLES) AS tmp_disk_tables,
       sum(SUM_SORT_MERGE_PASSES) AS sort_merge_passes
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL
GROUP BY DIGEST
ORDER BY sum(SUM_TIMER_WAIT) DESC
LIMIT 200
"""

# Texts of digests not seen before ({digests}: quoted hex digests the server gave, checked).
STATEMENT_TEXTS = """
SELECT DIGEST AS digest, min(DIGEST_TEXT) AS text, min(SCHEMA_NAME) AS schema_name
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IN ({digests})
GROUP BY DIGEST
"""

# A recent execution's text per digest, for EXPLAIN only: it carries the literals, so it is never stored.
SAMPLE_TEXTS = """
SELECT DIGEST AS digest, SQL_TEXT AS text, CURRENT_SCHEMA AS schema_name
FROM performance_schema.events_statements_history
WHERE DIGEST IN ({digests}) AND SQL_TEXT IS NOT NULL
ORDER BY EVENT_ID DESC
"""

# Statements in flight: each session running one, how long it has run, its text (literals included,
# masked before it is stored) and whether the text was cut here. performance_schema gives a running
# statement no digest, so the collector matches the text to one. The monitoring account's own
# sessions are left out.
_RUNNING = """
SELECT ID AS session, DB AS schema_name, {elapsed} AS elapsed_ms, left(INFO, 4000) AS text,
       char_length(INFO) > 4000 AS truncated
FROM information_schema.PROCESSLIST
WHERE COMMAND = 'Query' AND INFO IS NOT NULL AND ID <> connection_id()
      AND USER <> substring_index(current_user(), '@', 1)
ORDER BY elapsed_ms DESC
LIMIT 50
"""
RUNNING_MARIADB = _RUNNING.format(elapsed="TIME_MS")
# MySQL's processlist counts whole seconds only.
RUNNING_MYSQL = _RUNNING.format(elapsed="TIME * 1000")

_USER_SCHEMAS = "NOT IN ('mysql', 'performance_schema', 'information_schema', 'sys')"

TABLE_READINGS = f"""
SELECT OBJECT_SCHEMA AS schema_name, OBJECT_NAME AS name, COUNT_FETCH AS rows_fetched,
       COUNT_INSERT AS n_tup_ins, COUNT_UPDATE AS n_tup_upd, COUNT_DELETE AS n_tup_del
FROM performance_schema.table_io_waits_summary_by_table
WHERE OBJECT_SCHEMA {_USER_SCHEMAS}
ORDER BY SUM_TIMER_WAIT DESC
LIMIT 500
"""

# Rows read through each index; the row without an index name counts rows read by full scans.
INDEX_READINGS = f"""
SELECT OBJECT_SCHEMA AS schema_name, OBJECT_NAME AS name, INDEX_NAME AS index_name, COUNT_FETCH AS fetched
FROM performance_schema.table_io_waits_summary_by_index_usage
WHERE OBJECT_SCHEMA {_USER_SCHEMAS}
"""

# {pairs}: ('schema', 'table') pairs parsed from statement texts, checked to be plain identifiers.
TABLE_DETAILS = """
SELECT TABLE_SCHEMA AS schema_name, TABLE_NAME AS name, DATA_LENGTH + INDEX_LENGTH AS size_bytes,
       TABLE_ROWS AS live_rows
FROM information_schema.TABLES
WHERE (TABLE_SCHEMA, TABLE_NAME) IN ({pairs})
"""

TABLE_COLUMNS = """
SELECT TABLE_SCHEMA AS schema_name, TABLE_NAME AS name, COLUMN_NAME AS column_name
FROM information_schema.COLUMNS
WHERE (TABLE_SCHEMA, TABLE_NAME) IN ({pairs})
ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION
"""

INDEX_DETAILS = """
SELECT TABLE_SCHEMA AS schema_name, TABLE_NAME AS name, INDEX_NAME AS index_name, SEQ_IN_INDEX AS position,
       COLUMN_NAME AS column_name, SUB_PART AS prefix, NON_UNIQUE AS non_unique
FROM information_schema.STATISTICS
WHERE (TABLE_SCHEMA, TABLE_NAME) IN ({pairs})
ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""
