"""Diagnoses and the DBA's verdicts on their causes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.Column("incident_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("path", sa.Text, nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("incident", sa.Text, nullable=True),
        sa.Column("diagnosis_path", sa.String(16), nullable=False),
        sa.Column("top_cause", sa.String(64), nullable=True),
        sa.Column("causes", sa.JSON, nullable=False),
        sa.Column("rulebook", sa.String(64), nullable=False),
        sa.Column("signature", sa.JSON, nullable=False),
        sa.Column("window_start", sa.Float, nullable=True),
        sa.Column("window_end", sa.Float, nullable=True),
        sa.Column("window_inferred", sa.Boolean, nullable=False),
    )
    op.create_index("ix_diagnoses_incident_id", "diagnoses", ["incident_id"])
    op.create_index("ix_diagnoses_digest", "diagnoses", ["digest"])
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "diagnosis_id", sa.Integer, sa.ForeignKey("diagnoses.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("cause", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("decided_at", sa.Float, nullable=False),
        sa.UniqueConstraint("diagnosis_id", "cause", name="uq_verdicts_diagnosis_cause"),
    )
    op.create_index("ix_verdicts_diagnosis_id", "verdicts", ["diagnosis_id"])


def downgrade() -> None:
    op.drop_table("verdicts")
    op.drop_table("diagnoses")
