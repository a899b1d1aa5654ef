"""Which ``SHOW GLOBAL STATUS`` variables are gauges; every other numeric one is a cumulative counter.

Getting this wrong turns a level (threads running) into a rate of change of a
level, which hides exactly the saturation the rules look for, so the list is
explicit rather than guessed from names.
"""

from __future__ import annotations

GAUGES = frozenset(
    name.lower()
    for name in (
        "Threads_connected", "Threads_running", "Threads_cached", "Open_files", "Open_tables",
        "Open_table_definitions", "Open_streams", "Max_used_connections", "Memory_used",
        "Memory_used_initial", "Innodb_row_lock_current_waits", "Innodb_row_lock_time_avg",
        "Innodb_row_lock_time_max", "Innodb_history_list_length", "Innodb_buffer_pool_pages_data",
        "Innodb_buffer_pool_pages_dirty", "Innodb_buffer_pool_pages_free", "Innodb_buffer_pool_pages_misc",
        "Innodb_buffer_pool_pages_total", "Innodb_buffer_pool_bytes_data", "Innodb_buffer_pool_bytes_dirty",
        "Innodb_buffer_pool_pages_old", "Innodb_data_pending_fsyncs",
        "Innodb_data_pending_reads", "Innodb_data_pending_writes", "Innodb_os_log_pending_fsyncs",
        "Innodb_os_log_pending_writes", "Innodb_page_size", "Innodb_num_open_files", "Innodb_checkpoint_age",
        "Innodb_checkpoint_max_age", "Innodb_buffer_pool_load_incomplete", "Innodb_undo_truncations",
        "Key_blocks_not_flushed", "Key_blocks_unused", "Key_blocks_used", "Qcache_free_blocks",
        "Qcache_free_memory", "Qcache_queries_in_cache", "Qcache_total_blocks", "Slave_open_temp_tables",
        "Slaves_connected", "Slaves_running", "Uptime", "Uptime_since_flush_status", "Tc_log_page_size",
        "Innodb_mem_adaptive_hash", "Innodb_mem_dictionary", "Innodb_mem_total", "Innodb_buffer_pool_resize_status_code",
        "Innodb_buffer_pool_resize_status_progress", "Rpl_semi_sync_master_clients", "Delayed_insert_threads", "Not_flushed_delayed_rows",
        "Prepared_stmt_count", "Ssl_session_cache_size", "Innodb_encryption_rotation_pages_read_from_cache",
        "Innodb_onlineddl_pct_progress",
    )
)  # fmt: skip


def is_gauge(name: str) -> bool:
    return name.lower() in GAUGES
