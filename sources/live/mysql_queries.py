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
