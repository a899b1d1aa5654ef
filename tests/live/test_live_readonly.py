"""On real servers: the collectors only ever run reads, as the servers' own statement records show."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pymysql
import pytest

from lab.db import connect, lab_dsn, run
from lab.env import Lab
from lab.injectors import background, prepare
from models import Incident
from sources.live import collect, parse_dsn
from sources.live.errors import WriteRefused
from sources.live.postgres.session import PgSession

pytestmark = pytest.mark.live

PG_READ_PREFIXES = ("select", "show", "begin read only", "rollback")
# Plans: EXPLAIN without ANALYZE, and the generic-plan steps for a normalised text.
PG_PLAN_PREFIXES = (
    "explain (format json) ",
    "prepare sleuth_plan_",
    "deallocate sleuth_plan_",
    "set local plan_cache_mode = force_generic_plan",
)
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


def _counts(admin_dsn: str, sql: str) -> dict[str, int]:
    admin = connect(lab_dsn(admin_dsn))
    try:
        return {str(key): int(count) for key, count in run(admin, sql)}
    finally:
        admin.close()


def _ran_during(admin_dsn: str, sql: str, capture: Callable[[], None]) -> dict[str, int]:
    """What the server counted for the monitoring account while ``capture`` ran (counters are cumulative)."""
    before = _counts(admin_dsn, sql)
    capture()
    after = _counts(admin_dsn, sql)
    return {k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}


# Keyed by database and query id: the same text run in two databases is two entries.
PG_MONITOR_STATEMENTS = (
    "SELECT s.dbid || ':' || s.queryid || ' ' || s.query, s.calls FROM pg_stat_statements s "
    "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'sleuth_monitor'"
)
MARIADB_MONITOR_EVENTS = (
    "SELECT EVENT_NAME, COUNT_STAR FROM performance_schema.events_statements_summary_by_user_by_event_name "
    "WHERE USER = 'sleuth_monitor'"
)


def test_postgres_monitor_role_ran_nothing_but_reads(lab: Lab) -> None:
    ran = _ran_during(lab.pg_admin, PG_MONITOR_STATEMENTS, lambda: _collect_postgres(lab))
    queries = [key.split(" ", 1)[1].strip().lower() for key in ran]
    assert sum(ran.values()) >= 20
    assert [q for q in queries if not q.startswith(PG_READ_PREFIXES + PG_PLAN_PREFIXES)] == []
    assert not any("analyze" in q for q in queries if q.startswith("explain"))


def _under_load(dsn: str, run_capture: Callable[[], Incident]) -> Incident:
    """A capture while the lab's normal workload runs, so there are statements to explain."""
    admin = lab_dsn(dsn)
    prepare(admin)
    with background(admin):
        return run_capture()


def _collect_postgres(lab: Lab) -> None:
    incident = _under_load(lab.pg_admin, lambda: collect(lab.pg, 3, 1))
    assert incident.instance.engine == "postgres"
    assert incident.plans, "the capture explained its statements"


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
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            raw.execute("CREATE TABLE sleuth_write_probe (a int)")
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
    ran = _ran_during(lab.mysql_admin, MARIADB_MONITOR_EVENTS, lambda: _collect_mariadb(lab))
    assert {"statement/sql/select", "statement/sql/show_status"} <= set(ran)
    assert set(ran) - MARIADB_READ_EVENTS == set()


def _collect_mariadb(lab: Lab) -> None:
    incident = _under_load(lab.mysql_admin, lambda: collect(lab.mysql, 3, 1))
    assert incident.instance.engine == "mariadb"
    assert incident.plans, "the capture explained its statements"


def test_mariadb_monitor_user_cannot_write(lab: Lab) -> None:
    dsn = parse_dsn(lab.mysql)
    raw = pymysql.connect(host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password, autocommit=True)
    try:
        with pytest.raises(pymysql.err.OperationalError) as info, raw.cursor() as cur:
            cur.execute("UPDATE sleuth_lab.lab_accounts SET balance = 0 WHERE id = 1")
        assert info.value.args[0] == 1142  # UPDATE command denied
    finally:
        raw.close()
