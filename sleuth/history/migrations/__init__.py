"""Alembic migrations of the history database, run by ``sleuth.history.migrate`` (no alembic.ini)."""
