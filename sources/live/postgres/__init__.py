"""PostgreSQL: the read-only psycopg session, the statistics-view queries and the collector over them."""

from sources.live.postgres.collector import PostgresCollector

__all__ = ["PostgresCollector"]
