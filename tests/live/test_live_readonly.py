"""On real servers: the collectors only ever run reads, as the servers' own statement records show."""

from __future__ import annotations

import psycopg
import pymysql
import pytest

from lab.db import connect, lab_dsn, run
from sources.live import collect, parse_dsn
from sources.live.errors import WriteRefused
from sources.live.pg_session import PgSession
from tests.live.lab_env import Lab

pytestmark = pytest.mark.live

PG_READ_PREFIXES = ("select", "show", "begin read only", "rollback")
MARIADB_READ_EVENTS = {
    "statement/sql/select",
    "statement/sql/show_status",
    "statement/sql/show_variables",
    "statement/sql/set_option",
    "statement/sql/begin",
    "statement/sql/rollback",
    "statement/com/Quit",
    "statement/com/Ping",
}


def test_postgres_monitor_role_ran_nothing_but_reads(lab: Lab) -> None:
    incident = collect(lab.pg, 2, 1)
    assert incident.instance.engine == "postgres"
    admin = connect(lab_dsn(lab.pg_admin))
    try:
        rows = run(
            admin,
            "SELECT s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
            "WHERE r.rolname = 'sleuth_monitor'",
        )
    finally:
        admin.close()
    queries = [str(r[0]).strip().lower() for r in rows]
    assert len(queries) >= 10
    assert [q for q in queries if not q.startswith(PG_READ_PREFIXES)] == []


def test_postgres_monitor_role_cannot_write_and_the_session_refuses_to_try(lab: Lab) -> None:
    dsn = parse_dsn(lab.pg)
    raw = psycopg.connect(
        host=dsn.host,
        port=dsn.port,
        user=dsn.user,
        password=dsn.password,
        dbname=dsn.database,
        autocommit=True,
    )
    try:
        with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
            raw.execute("UPDATE lab_accounts SET balance = 0 WHERE id = 1")
    finally:
        raw.close()
    session = PgSession(dsn)
    try:
        with pytest.raises(WriteRefused):
            session.query("DELETE FROM lab_accounts")
        assert session.query("SHOW transaction_read_only") == [{"transaction_read_only": "on"}]
    finally:
        session.close()


def test_mariadb_monitor_user_ran_nothing_but_reads(lab: Lab) -> None:
    incident = collect(lab.mysql, 2, 1)
    assert incident.instance.engine == "mariadb"
    admin = connect(lab_dsn(lab.mysql_admin))
    try:
        rows = run(
            admin,
            "SELECT EVENT_NAME FROM performance_schema.events_statements_summary_by_user_by_event_name "
            "WHERE USER = 'sleuth_monitor' AND COUNT_STAR > 0",
        )
    finally:
        admin.close()
    events = {str(r[0]) for r in rows}
    assert {"statement/sql/select", "statement/sql/show_status"} <= events
    assert events - MARIADB_READ_EVENTS == set()


def test_mariadb_monitor_user_cannot_write(lab: Lab) -> None:
    dsn = parse_dsn(lab.mysql)
    raw = pymysql.connect(host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password, autocommit=True)
    try:
        with pytest.raises(pymysql.err.OperationalError) as info, raw.cursor() as cur:
            cur.execute("UPDATE sleuth_lab.lab_accounts SET balance = 0 WHERE id = 1")
        assert info.value.args[0] == 1142  # UPDATE command denied
    finally:
        raw.close()
