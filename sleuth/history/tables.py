"""The history database's tables at the newest revision (``migrations/`` says how each came to be).

One row per recorded diagnosis, one per verdict on one of its causes. Times
are unix seconds (floats), portable between SQLite and PostgreSQL. The
incident itself is kept only when it has no file (a live capture, an unsaved
import); otherwise its path and the SHA-256 of the file's bytes are.
``revision`` orders every change, so a reader that cached the confirmed
signatures reloads only what changed since it last looked.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

diagnoses = Table(
    "diagnoses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", Float, nullable=False),
    Column("incident_id", String(200), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("engine", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("path", Text, nullable=True),
    Column("digest", String(64), nullable=False),
    Column("incident", Text, nullable=True),
    Column("diagnosis_path", String(16), nullable=False),
    Column("top_cause", String(64), nullable=True),
    Column("causes", JSON, nullable=False),
    Column("rulebook", String(64), nullable=False),
    Column("signature", JSON, nullable=False),
    Column("window_start", Float, nullable=True),
    Column("window_end", Float, nullable=True),
    Column("window_inferred", Boolean, nullable=False, default=False),
    Column("revision", BigInteger, nullable=False, default=0),
    Index("ix_diagnoses_incident_id", "incident_id"),
    Index("ix_diagnoses_digest", "digest"),
    Index("ix_diagnoses_revision", "revision"),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("diagnosis_id", Integer, ForeignKey("diagnoses.id", ondelete="CASCADE"), nullable=False),
    Column("cause", String(64), nullable=False),
    Column("verdict", String(10), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("decided_at", Float, nullable=False),
    UniqueConstraint("diagnosis_id", "cause", name="uq_verdicts_diagnosis_cause"),
    Index("ix_verdicts_diagnosis_id", "diagnosis_id"),
)

state = Table(
    "history_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("instance", String(36), nullable=False),
)
