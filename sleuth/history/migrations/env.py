"""Alembic's entry point: migrate the connection ``sleuth.history.migrate`` hands over, in its transaction."""

from __future__ import annotations

from alembic import context

from sleuth.history.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
