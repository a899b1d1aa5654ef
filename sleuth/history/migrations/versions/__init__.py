"""One file per revision of the history database; each runs on SQLite and PostgreSQL."""
