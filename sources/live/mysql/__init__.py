"""MySQL and MariaDB: the read-only PyMySQL session, status parsing, the queries and the collector."""

from sources.live.mysql.collector import MySqlCollector

__all__ = ["MySqlCollector"]
