"""Observations from statements, locks, events, settings and the instance; parsers under hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import (
    CauseFinding,
    Event,
    Evidence,
    Fact,
    Incident,
    IndexInfo,
    Instance,
    LockWait,
    Remediation,
    RuleFiring,
    SqlDigest,
    StatementActivity,
    StatementCounters,
    StatementSeries,
    TableInfo,
    TimeWindow,
)
from rules.observations import (
    EVENT_LEAD_S,
    TOP_SQL_LIMIT,
    event_facts,
    instance_fact,
    lock_wait_fact,
    observe,
    parse_setting,
    settings_fact,
    sql_shape,
    top_sql_facts,
)
from rules.workload import name_subjects, onsets, workload_facts
from sources.incident_files import load_incident
from tests.rules.signal_support import PACKS


@pytest.mark.parametrize(
    ("sql", "statement", "joins", "subqueries", "correlated"),
    [
        ("SELECT * FROM orders WHERE email = $1", "select", 0, 0, False),
        ("select a.x from a, b, c where a.id = b.id and b.id = c.id", "select", 2, 0, False),
        (
            "SELECT o.id FROM orders o JOIN items i ON i.o = o.id LEFT JOIN p ON p.id = i.p",
            "select",
            2,
            0,
            False,
        ),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE u.flag)", "select", 0, 1, False),
        (
            "SELECT c.id FROM customers c WHERE c.credit > (SELECT avg(o.total) FROM orders o "
            "WHERE o.customer_id = c.id)",
            "select",
            0,
            1,
            True,
        ),
        ("INSERT INTO t (a) SELECT a FROM s", "insert", 0, 1, False),
        (
            "SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id)",
            "select",
            0,
            1,
            True,
        ),
        ("UPDATE t SET a = 'select x from y' WHERE id = $1", "update", 0, 0, False),
        ("ALTER TABLE t ADD COLUMN x int", "ddl", 0, 0, False),
        ("", "other", 0, 0, False),
    ],
)
def test_sql_shape(sql: str, statement: str, joins: int, subqueries: int, correlated: bool) -> None:
    shape = sql_shape(sql)
    assert (shape["statement"], shape["joins"], shape["subqueries"], shape["correlated_subquery"]) == (
        statement,
        joins,
        subqueries,
        correlated,
    )


def test_top_sql_ranks_by_time_and_derives_ratios() -> None:
    digests = [
        SqlDigest(
            digest="small", text="SELECT 1", calls=10, total_time_ms=100.0, rows_examined=10, rows_sent=10
        ),
        SqlDigest(
            digest="scan",
            text="SELECT * FROM big WHERE note LIKE $1",
            calls=50,
            total_time_ms=900.0,
            rows_examined=5_000_000,
            rows_sent=500,
            no_index_used=50,
            temp_disk_tables=5,
            shared_blks_hit=300,
            shared_blks_read=100,
            plan_time_ms=100.0,
        ),
    ]
    first, second = top_sql_facts(digests)
    assert (first.attrs["digest"], first.attrs["rank"], second.attrs["digest"]) == ("scan", 1.0, "small")
    assert first.attrs["share_of_time"] == 0.9 and second.attrs["share_of_time"] == 0.1
    assert first.attrs["rows_examined_per_sent"] == 10_000.0
    assert first.attrs["no_index_share"] == 1.0 and first.attrs["temp_disk_tables_per_call"] == 0.1
    assert first.attrs["cache_hit_ratio"] == 0.75 and first.attrs["plan_share"] == 0.1
    assert first.attrs["mean_ms"] == 18.0 and first.attrs["rows_sent_per_call"] == 10.0
    assert "cache_hit_ratio" not in second.attrs  # not measured, not invented
    assert first.kind == "observation" and first.name == "top_sql" and "90%" in first.text


def test_top_sql_keeps_the_heaviest_few() -> None:
    digests = [SqlDigest(digest=f"d{i}", text="SELECT 1", total_time_ms=float(i)) for i in range(25)]
    facts = top_sql_facts(digests)
    assert len(facts) == TOP_SQL_LIMIT and facts[0].attrs["digest"] == "d24"


def test_lock_waits_name_idle_blockers() -> None:
    waits = [
        LockWait(waiting_session="a", blocking_session="x", wait_s=3.0, object="t1", blocking_state="active"),
        LockWait(
            waiting_session="b",
            blocking_session="y",
            wait_s=9.5,
            object="t1",
            blocking_state="idle in transaction",
        ),
        LockWait(
            waiting_session="c",
            blocking_session="y",
            wait_s=1.5,
            object="t2",
            blocking_state="idle in transaction",
        ),
    ]
    fact = lock_wait_fact(waits)
    assert fact is not None
    assert fact.attrs == {
        "count": 3.0,
        "sessions_waiting": 3.0,
        "blockers": 2.0,
        "max_wait_s": 9.5,
        "total_wait_s": 14.0,
        "blockers_idle_in_transaction": 1.0,
        "top_blocker_share": 0.6667,
        "objects": 2.0,
        "table": "t1",
    }
    assert lock_wait_fact([]) is None


def test_events_relative_to_the_window() -> None:
    window = TimeWindow(start=1000.0, end=2000.0)
    events = [
        Event(time=1500.0, kind="failover"),
        Event(time=1000.0 - EVENT_LEAD_S, kind="config_change", details={"parameter": "work_mem"}),
        Event(time=100.0, kind="deploy"),
        Event(time=2500.0, kind="reboot"),
    ]
    got = [
        (f.attrs["kind"], f.attrs["in_window"], f.attrs["near_window"]) for f in event_facts(events, window)
    ]
    assert got == [
        ("failover", True, True),
        ("config_change", False, True),
        ("deploy", False, False),
        ("reboot", False, False),
    ]
    assert event_facts(events[1:2], window)[0].attrs["parameter"] == "work_mem"
    assert "in_window" not in event_facts(events, None)[0].attrs


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100", 100.0),
        ("4MB", 4 * 1024**2),
        ("1GB", 1024**3),
        ("128kB", 128 * 1024),
        ("30s", 30_000.0),
        ("5min", 300_000.0),
        ("200ms", 200.0),
        ("on", 1.0),
        ("OFF", 0.0),
        ("0.9", 0.9),
        ("utf8", None),
        ("12 furlongs", None),
    ],
)
def test_parse_setting(text: str, value: float | None) -> None:
    assert parse_setting(text) == value


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["kB", "MB", "GB"]))
def test_memory_settings_are_bytes(n: int, unit: str) -> None:
    factor = {"kB": 1024, "MB": 1024**2, "GB": 1024**3}[unit]
    assert parse_setting(f"{n}{unit}") == n * factor


@given(st.text(max_size=30))
def test_any_setting_text_parses_or_is_none(text: str) -> None:
    value = parse_setting(text)
    assert value is None or isinstance(value, float)


def test_settings_use_signal_peaks_for_headroom() -> None:
    peak = Fact(kind="signal", name="open_connections", attrs={"peak": 950.0})
    fact = settings_fact({"max_connections": "1000", "work_mem": "4MB", "timezone": "UTC"}, [peak])
    assert fact is not None
    assert fact.attrs == {"max_connections": 1000.0, "work_mem": 4194304.0, "connections_used_share": 0.95}
    assert settings_fact({}) is None


def test_instance_reports_iops_headroom() -> None:
    reads = Fact(kind="signal", name="read_iops", attrs={"anomaly": 2000.0})
    writes = Fact(kind="signal", name="write_iops", attrs={"anomaly": 700.0})
    fact = instance_fact(
        Instance(engine="postgres", vcpu=4, provisioned_iops=3000, storage_type="io1"), [reads, writes]
    )
    assert fact.attrs == {
        "engine": "postgres",
        "vcpu": 4.0,
        "storage_type": "io1",
        "provisioned_iops": 3000.0,
        "iops_used_share": 0.9,
    }


def test_observe_a_real_incident_file() -> None:
    incident = load_incident(PACKS / "cases" / "pg_idle_in_transaction.json")
    facts = observe(incident)
    names = [f.name for f in facts]
    assert names == ["lock_waits", "instance"]
    assert facts[0].attrs["blockers_idle_in_transaction"] == 1.0
    assert facts[0].attrs["count"] == 4.0


@given(st.text(max_size=200))
def test_sql_shape_never_fails_and_counts_are_sane(text: str) -> None:
    shape = sql_shape(text)
    assert shape["statement"] in {"select", "insert", "update", "delete", "ddl", "other"}
    assert int(shape["joins"]) >= 0 and int(shape["subqueries"]) >= 0
    assert not shape["correlated_subquery"] or int(shape["subqueries"]) > 0


SQL = st.sampled_from(
    [
        "SELECT * FROM orders WHERE email = $1",
        "select a.x from a, b where a.id = b.id",
        "SELECT c.id FROM customers c WHERE c.credit > (SELECT avg(o.total) FROM orders o WHERE o.cid = c.id)",
        "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u)",
    ]
)


@given(SQL, st.booleans(), st.sampled_from([" ", "  ", "\n", "\t"]))
def test_sql_shape_ignores_case_and_spacing(sql: str, upper: bool, gap: str) -> None:
    variant = gap.join((sql.upper() if upper else sql.lower()).split(" "))
    assert sql_shape(variant) == sql_shape(sql)


# -- statement, table and index evidence (rules.workload) -----------------------------------------
WINDOW = TimeWindow(start=105.5, end=110.0)
TIMES = [float(t) for t in range(101, 111)]  # five intervals before the window, five inside


def _activity(
    digest: str, text: str, calls: list[float], time_ms: list[float], reads: list[float], rows: float = 1.0
) -> StatementActivity:
    total_calls = int(sum(calls))
    return StatementActivity(
        digest=digest,
        text=text,
        total=StatementCounters(
            calls=total_calls,
            total_time_ms=sum(time_ms),
            rows=int(rows * total_calls),
            shared_blks_hit=int(sum(reads)),
            shared_blks_read=0,
        ),
        series=StatementSeries(
            timestamps=TIMES, calls=calls, time_ms=time_ms, rows=[rows * c for c in calls], reads=reads
        ),
    )


SCAN = _activity(
    "7",
    "SELECT count(*) FROM public.big WHERE customer = $1",
    [0.0] * 5 + [50.0] * 5,
    [0.0] * 5 + [900.0] * 5,
    [0.0] * 5 + [90000.0] * 5,
)
SLOWED = _activity(
    "8", "SELECT payload FROM public.big WHERE id = $1", [100.0] * 10, [10.0] * 5 + [40.0] * 5, [400.0] * 10
)
STEADY = _activity(
    "9", "UPDATE public.acct SET n = n + 1 WHERE id = $1", [100.0] * 10, [20.0] * 10, [400.0] * 10
)
BIG = TableInfo(
    schema_name="public",
    name="big",
    live_rows=200_000,
    dead_rows=150_000,
    autovacuum_enabled=False,
    columns=["id", "customer", "payload"],
    seq_scans_in_capture=250,
    indexes=[
        IndexInfo(name="big_pkey", columns=["id"], primary=True, unique=True, scans=900),
        IndexInfo(name="big_payload", columns=["payload"], scans=0),
        IndexInfo(name="big_payload_id", columns=["payload", "id"], scans=3),
    ],
)


def _workload(
    *, tables: list[TableInfo] | None = None, statements: list[StatementActivity] | None = None
) -> Incident:
    return Incident(
        id="w",
        instance=Instance(engine="postgres"),
        statements=statements if statements is not None else [SCAN, SLOWED, STEADY],
        tables=tables if tables is not None else [BIG],
    )


def _named(facts: list[Fact], name: str) -> list[Fact]:
    return [f for f in facts if f.name == name]


def test_onsets_tell_the_statement_that_took_over_from_the_one_that_only_got_slower() -> None:
    found = onsets([SCAN, SLOWED, STEADY], WINDOW)
    assert {d: (o.role, o.started) for d, o in found.items()} == {
        "7": ("cause", True),
        "8": ("victim", False),
        "9": ("steady", False),
    }
    # reads decide: 450 000 of 454 000 blocks in the window (time alone: 4 500 of 4 800 ms)
    assert found["7"].share_before == 0.0 and found["7"].share_in_window == 0.9912
    assert found["8"].mean_ratio == 4.0
    assert onsets([SCAN], None) == {}


def test_a_join_that_took_the_time_but_not_the_reads_took_over_the_window() -> None:
    # it began two intervals before the window; in it, it takes 99 % of the time while the steady
    # updates keep most of the buffer reads: the time, whose share it took most of, speaks for it
    join = _activity(
        "10", "SELECT count(*) FROM a JOIN b ON b.v BETWEEN a.lo AND a.hi",
        [0.0] * 3 + [2.0] * 7, [0.0] * 3 + [2000.0] * 7, [0.0] * 3 + [112.0] * 7,
    )  # fmt: skip
    found = onsets([join, STEADY], WINDOW)
    assert (found["10"].role, found["10"].started) == ("cause", False)
    assert (found["10"].share_before, found["10"].share_in_window) == (0.9615, 0.9901)


def test_the_interval_at_the_edge_of_the_window_is_neither_before_nor_in_it() -> None:
    # the scan's first interval lands just before the window's start: it started with the window
    early = _activity(
        "11", "SELECT count(*) FROM public.big WHERE customer = $1",
        [0.0] * 4 + [50.0] * 6, [0.0] * 4 + [900.0] * 6, [0.0] * 4 + [90000.0] * 6,
    )  # fmt: skip
    found = onsets([early, STEADY], WINDOW)
    assert (found["11"].role, found["11"].started, found["11"].share_before) == ("cause", True, 0.0)


def test_statement_facts_carry_load_shape_and_onset() -> None:
    [scan, slowed, steady] = _named(workload_facts(_workload(), WINDOW), "statement")
    assert (
        scan.attrs["digest"],
        scan.attrs["table"],
        scan.attrs["role"],
        scan.attrs["rose_with_window"],
    ) == (
        "7",
        "public.big",
        "cause",
        True,
    )
    assert (scan.attrs["blocks_per_call"], scan.attrs["rows_per_call"], scan.attrs["has_where"]) == (
        1800.0,
        1.0,
        True,
    )
    assert (slowed.attrs["role"], steady.attrs["role"]) == ("victim", "steady")


def test_table_facts_weigh_dead_rows_against_autovacuums_own_trigger() -> None:
    [table] = _named(workload_facts(_workload(), WINDOW, {"autovacuum_vacuum_scale_factor": 0.1}), "table")
    assert {
        k: table.attrs[k]
        for k in ("dead_ratio", "vacuum_trigger_rows", "vacuum_behind", "read_by_rising_statement")
    } == {
        "dead_ratio": 0.4286,
        "vacuum_trigger_rows": 20050.0,
        "vacuum_behind": True,
        "read_by_rising_statement": True,
    }
    # big_payload_id is read (3 scans); big_payload only repeats its leading column.
    assert (table.attrs["excess_indexes"], table.attrs["excess_index_names"]) == (1.0, "big_payload")
    assert table.attrs["fix_vacuum_bloated_tables"] == (
        "VACUUM (VERBOSE, ANALYZE) public.big; ALTER TABLE public.big RESET (autovacuum_enabled)"
    )


def test_an_unindexed_filter_of_a_rising_statement_is_an_index_candidate() -> None:
    facts = workload_facts(_workload(), WINDOW)
    [candidate] = _named(facts, "index_candidate")
    assert (candidate.attrs["table"], candidate.attrs["columns"], candidate.attrs["role"]) == (
        "public.big",
        "customer",
        "cause",
    )
    assert candidate.attrs["fix_add_missing_index"] == "CREATE INDEX CONCURRENTLY ON public.big (customer)"
    assert _named(facts, "workload")[0].attrs == {
        "statements": 3.0,
        "rising_statements": 1.0,
        "index_gap": True,
    }


@pytest.mark.parametrize(
    "text",
    [
        "SELECT count(*) FROM public.big",  # nothing to filter on
        "SELECT count(*) FROM public.big WHERE payload = $1",  # already indexed
        "SELECT count(*) FROM public.big WHERE customer % $1 = 0",  # no plain index serves arithmetic
        "SELECT count(*) FROM public.big WHERE payload LIKE $1",
    ],
)
def test_no_index_is_missing_for_statements_an_index_cannot_or_already_does_serve(text: str) -> None:
    rising = SCAN.model_copy(update={"text": text})
    facts = workload_facts(_workload(statements=[rising, SLOWED, STEADY]), WINDOW)
    assert _named(facts, "index_candidate") == []
    assert _named(facts, "workload")[0].attrs["index_gap"] is False


def test_duplicate_overlapping_and_unused_indexes_are_named_with_the_sql_to_drop_them() -> None:
    dup = BIG.model_copy(
        update={
            "indexes": [
                *BIG.indexes,
                IndexInfo(name="big_customer", columns=["customer"], scans=5),
                IndexInfo(name="big_customer2", columns=["customer"], scans=1),
            ]
        }
    )
    found = {
        (f.attrs["index"], f.attrs["kind"], f.attrs.get("covered_by"))
        for f in _named(workload_facts(_workload(tables=[dup]), WINDOW), "redundant_index")
    }
    assert found == {
        ("big_payload", "overlap", "big_payload_id"),
        ("big_customer2", "duplicate", "big_customer"),
    }


def test_without_a_window_no_statement_is_blamed() -> None:
    facts = workload_facts(_workload(), None)
    assert all("role" not in f.attrs for f in _named(facts, "statement"))
    assert _named(facts, "index_candidate")[0].attrs.get("rose_with_window") is None


def test_name_subjects_takes_the_statement_table_and_fix_from_the_causes_own_rules() -> None:
    [candidate] = _named(workload_facts(_workload(), WINDOW), "index_candidate")
    values: dict[str, float | str | bool] = dict(candidate.attrs)
    finding = CauseFinding(
        cause="missing_index",
        certainty=0.85,
        chain=[
            RuleFiring(
                rule="r",
                concludes="missing_index",
                conclusion_kind="cause",
                premise=1.0,
                certainty=0.85,
                facts=[Evidence(kind="observation", name="index_candidate", values=values)],
            )
        ],
        remediations=[
            Remediation(id="add_missing_index", title="Add the missing index", risk="medium"),
            Remediation(id="vacuum_bloated_tables", title="Vacuum", risk="low"),
        ],
    )
    named = name_subjects(finding)
    assert [(s.kind, s.name, s.table, s.columns) for s in named.subjects] == [
        ("statement", "7", "public.big", []),
        ("table", "public.big", "public.big", ["customer"]),
    ]
    assert named.subjects[0].values["calls"] == 250.0
    assert [r.statements for r in named.remediations] == [
        ["CREATE INDEX CONCURRENTLY ON public.big (customer)"],
        [],
    ]


WITH_SECTIONS = {
    "pg_dead_tuples_unindexed_lookups",
    "pg_correlated_subquery_unindexed",
    "mariadb_writes_saturate_cpu",
    "mariadb_outside_cpu_hog",
    "pg_own_cpu_bound_queries",
    "pg_locks_beside_cpu_hog",
}


def test_old_incident_files_load_with_empty_workload_sections() -> None:
    files = sorted((PACKS / "cases").glob("*.json")) + sorted(
        (PACKS.parents[1] / "examples" / "incidents").glob("*.json")
    )
    old = [f for f in files if f.stem not in WITH_SECTIONS]
    assert len(old) > 50
    for path in old:
        incident = load_incident(path)
        assert (incident.statements, incident.tables, incident.plans) == ([], [], [])
    for name in WITH_SECTIONS:
        assert load_incident(PACKS / "cases" / f"{name}.json").statements
