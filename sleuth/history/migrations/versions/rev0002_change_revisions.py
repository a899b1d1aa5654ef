"""Every change gets a revision number, so cached similar-incident indexes reload only what changed.

Existing rows take their id as their revision (they changed in that order at
the latest), and the counter starts after the largest. The database gets an
identity of its own, so a cache is never applied to another database that
happens to be at the same revision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diagnoses") as batch:
        batch.add_column(sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("UPDATE diagnoses SET revision = id")
    op.create_index("ix_diagnoses_revision", "diagnoses", ["revision"])
    op.create_table(
        "history_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("instance", sa.String(36), nullable=False),
    )
    op.execute(
        sa.text(
            "INSERT INTO history_state (id, revision, instance) SELECT 1, COALESCE(MAX(id), 0), :instance "
            "FROM diagnoses"
        ).bindparams(instance=str(uuid.uuid4()))
    )


def downgrade() -> None:
    op.drop_table("history_state")
    op.drop_index("ix_diagnoses_revision", table_name="diagnoses")
    with op.batch_alter_table("diagnoses") as batch:
        batch.drop_column("revision")
