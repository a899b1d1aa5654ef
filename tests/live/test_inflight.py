"""Statements in flight as evidence: running executions in the statement load, without a server."""

from __future__ import annotations

from typing import Any

from models import StatementActivity, StatementCounters
from sources.live.dsn import Dsn, parse_dsn
from sources.live.inflight import InFlight, Running
from sources.live.mysql import MySqlCollector
from sources.live.mysql import queries as myq
from sources.live.postgres import PostgresCollector
from sources.live.postgres import queries as pgq
from sources.live.sample import Sample, StatementReading
from sources.live.session import Row, Session
from sources.live.sqltext import canonical, stand_in
from sources.live.workload import statement_activity
from tests.live.fakes import FakeSession

JOIN = "SELECT count(*) FROM lab_ja a JOIN lab_jb b ON b.v > a.lo AND b.v < a.hi"
JOIN_DIGEST_TEXT = "SELECT COUNT ( * ) FROM `lab_ja` `a` JOIN `lab_jb` `b` ON `b` . `v` > `a` . `lo` AND `b` . `v` < `a` . `hi` "


def _server(calls: float, ms: float, text: str | None = None) -> StatementReading:
    return StatementReading(counters={"calls": calls, "total_time_ms": ms}, text=text)


def _add(
    flight: InFlight,
    server: dict[str, StatementReading] | None,
    running: list[Running],
    known: set[str] | None = None,
) -> dict[str, StatementReading]:
    return flight.add(server, running, lambda t: f"masked: {t}", lambda k: k in (known or set()))


def _counts(readings: dict[str, StatementReading], key: str) -> tuple[float, float]:
    c = readings[key].counters
    return c["calls"], c["total_time_ms"]


def test_a_running_execution_counts_as_it_runs_and_its_end_moves_the_counter_on_by_the_rest() -> None:
    flight = InFlight()
    q = "SELECT count(*) FROM big WHERE c = 7"
    # Before: the server has counted 10 calls, 500 ms. Then one session runs it for 2.5 s.
    assert _counts(_add(flight, {"q": _server(10, 500.0)}, []), "q") == (10, 500.0)
    at_1 = _add(flight, {"q": _server(10, 500.0)}, [Running("s1", "q", 1000.0, q)])
    assert _counts(at_1, "q") == (11, 1500.0)
    at_2 = _add(flight, {"q": _server(10, 500.0)}, [Running("s1", "q", 2000.0, q)])
    assert _counts(at_2, "q") == (11, 2500.0)
    # It ended after 2.5 s: the server counts the call and its whole time, the running part is gone.
    at_3 = _add(flight, {"q": _server(11, 3000.0)}, [])
    assert _counts(at_3, "q") == (11, 3000.0)
    samples = [
        Sample(t, statements=r)
        for t, r in ((0.0, {"q": _server(10, 500.0, q)}), (1.0, at_1), (2.0, at_2), (3.0, at_3))
    ]
    [a] = statement_activity(samples)
    assert a.series.time_ms == [1000.0, 1000.0, 500.0]
    assert a.series.calls == [1.0, 0.0, 0.0]
    assert (a.total.calls, a.total.total_time_ms) == (1, 2500.0)


def test_the_load_never_goes_back_when_the_server_times_an_execution_shorter_than_it_was_seen() -> None:
    flight = InFlight()
    _add(flight, {"q": _server(0, 0.0)}, [Running("s1", "q", 1200.0, "SELECT 1 FROM t")])
    # The server timed the execution only, 1150 ms; the session's clock started at its parse.
    assert _counts(_add(flight, {"q": _server(1, 1150.0)}, []), "q") == (1, 1200.0)
    assert _counts(_add(flight, {"q": _server(2, 1250.0)}, []), "q") == (2, 1250.0)
    # A statistics reset is not held back: the interval arithmetic sees it as one.
    assert _counts(_add(flight, {"q": _server(0, 0.0)}, []), "q") == (0, 0.0)


def test_an_execution_the_server_never_counts_keeps_what_it_was_seen_to_spend() -> None:
    flight = InFlight()
    text = "SELECT sum(v) FROM t WHERE x = 5"
    first = _add(flight, None, [Running("s1", "k", 800.0, text)])
    assert _counts(first, "k") == (1, 800.0)
    assert (first["k"].text, first["k"].schema) == (f"masked: {text}", None)
    # Cancelled after the sample at 800 ms; the same session starts it again.
    again = _add(flight, {}, [Running("s1", "k", 300.0, text)])
    assert _counts(again, "k") == (2, 1100.0)
    assert _counts(_add(flight, {}, []), "k") == (2, 1100.0)
    assert flight.sample_text("k") == (text, None)  # the session's own text, for EXPLAIN only
    # A text cut short is counted, shown masked, and never planned: cut, it can parse as another query.
    cut = _add(flight, {}, [Running("s2", "long", 50.0, "SELECT a FROM t WHERE b = 1 AND c", truncated=True)])
    assert (_counts(cut, "long"), cut["long"].text) == (
        (1, 50.0),
        "masked: SELECT a FROM t WHERE b = 1 AND c",
    )
    assert flight.sample_text("long") is None


def test_running_texts_are_given_until_the_server_text_is_known_and_monitoring_is_left_out() -> None:
    flight = InFlight()
    readings = _add(
        flight,
        {"q": _server(3, 30.0)},
        [
            Running("s1", "q", 100.0, "SELECT * FROM t WHERE id = 1", "shop"),
            Running("s2", "new", 50.0, "SELECT * FROM u WHERE id = 2", "shop"),
            Running("s3", "mon", 50.0, "SELECT * FROM performance_schema.threads"),
        ],
        known={"q"},
    )
    assert readings["q"].text is None
    assert (readings["new"].text, readings["new"].schema) == ("masked: SELECT * FROM u WHERE id = 2", "shop")
    assert "mon" not in readings


def test_canonical_texts_of_an_execution_and_of_its_digest_agree() -> None:
    assert canonical(JOIN, "mysql") == canonical(JOIN_DIGEST_TEXT, "mysql")
    assert canonical("SELECT `payload` FROM `lab_big` WHERE ID = ? ", "mysql") == canonical(
        "select payload from lab_big where id = -42", "mysql"
    )
    assert canonical("SELECT * FROM `t` WHERE `a` IN (...) ", "mysql") == canonical(
        "SELECT * FROM t WHERE a IN (1, 2, 'x')", "mysql"
    )
    assert canonical("INSERT INTO `b` ( `p` ) SELECT `md5` ( `seq` ) FROM `s` ", "mysql") == canonical(
        "INSERT INTO b (p) SELECT md5(seq) FROM s", "mysql"
    )
    assert canonical("SELECT `myfunc` ( `X` , ? ) FROM `t` ", "mysql") == canonical(
        "SELECT myfunc(x, 7) FROM t", "mysql"
    )
    assert canonical("SELECT a FROM t WHERE a = 1", "mysql") != canonical(
        "SELECT a FROM t WHERE b = 1", "mysql"
    )


def test_a_statement_seen_running_before_it_was_counted_continues_under_its_digest() -> None:
    k = stand_in(canonical(JOIN, "mysql"))
    other = "UPDATE lab_jb SET v = v + 1 WHERE id = 5"
    samples = [
        Sample(0.0, statements={}),
        # Two sessions run the join (MariaDB names no digest yet); the stand-in carries its masked text.
        Sample(1.0, statements={k: StatementReading({"calls": 2, "total_time_ms": 1000.0}, JOIN)}),
        Sample(2.0, statements={k: StatementReading({"calls": 2, "total_time_ms": 3000.0})}),
        # Both ended: the server counts them under the digest, whose text is the same statement.
        Sample(
            3.0,
            statements={
                "1b1f": StatementReading({"calls": 2, "total_time_ms": 4600.0}, JOIN_DIGEST_TEXT),
                stand_in(canonical(other, "mysql")): StatementReading(
                    {"calls": 1, "total_time_ms": 5.0}, other
                ),
            },
        ),
    ]
    [a, b] = statement_activity(samples)
    assert (a.digest, b.text) == ("1b1f", other)  # a stand-in of another text stays itself
    assert a.series.time_ms == [1000.0, 2000.0, 1600.0]
    assert (a.total.calls, a.total.total_time_ms) == (2, 4600.0)


# -- the collectors --------------------------------------------------------------------------------


def _session(answers: dict[str, list[Row]], version: str) -> FakeSession:
    def respond(sql: str) -> list[Row]:
        flat = " ".join(sql.split())
        return next((rows for key, rows in answers.items() if flat == " ".join(key.split())), [])

    return FakeSession(respond=respond, version=version)


def _factory(session: FakeSession) -> Any:
    def make(_: Dsn) -> Session:
        return session

    return make


def test_postgres_adds_each_session_running_a_statement_under_its_query_id() -> None:
    running = {"session": "4242", "digest": "77", "schema_name": "shop", "elapsed_ms": 1500.0,
               "text": "SELECT count(*) FROM lab_big WHERE customer = 42"}  # fmt: skip
    session = _session(
        {
            pgq.STATEMENTS_INSTALLED: [{"installed": 1}],
            pgq.STATEMENTS: [{"digest": "77", "calls": 4, "total_time_ms": 100.0}],
            pgq.STATEMENT_TEXTS.format(ids="77"): [
                {
                    "digest": "77",
                    "text": "SELECT count(*) FROM lab_big WHERE customer = $1",
                    "schema_name": "shop",
                }
            ],
            pgq.RUNNING: [running],
        },
        "15.4",
    )
    coll = PostgresCollector(parse_dsn("postgresql://mon:pw@db:5432/shop"), session_factory=_factory(session))
    coll.connect()
    statements = coll.sample(1.0).statements
    assert statements is not None
    assert (statements["77"].counters["calls"], statements["77"].counters["total_time_ms"]) == (5.0, 1600.0)
    assert statements["77"].text == "SELECT count(*) FROM lab_big WHERE customer = $1"  # the server's text


def test_postgres_before_14_has_no_query_id_and_says_so_once() -> None:
    session = _session({pgq.STATEMENTS_INSTALLED: [{"installed": 1}]}, "13.11")
    coll = PostgresCollector(parse_dsn("postgresql://mon:pw@db:5432/shop"), session_factory=_factory(session))
    coll.connect()
    coll.sample(1.0)
    assert (
        "statements in flight: not collected (pg_stat_activity has no query_id before PostgreSQL 14)"
        in coll.notes()
    )
    assert not any("pg_stat_activity" in s and "query_id" in s for s in session.statements)


def _maria(
    running: list[Row], explain: dict[str, list[Row]] | None = None
) -> tuple[MySqlCollector, FakeSession]:
    session = _session(
        {
            myq.PERFORMANCE_SCHEMA_ON: [{"Variable_name": "performance_schema", "Value": "ON"}],
            myq.STATEMENTS: [{"digest": "1b1f", "calls": 3, "total_time_ms": 9000.0}],
            myq.STATEMENT_TEXTS.format(digests="'1b1f'"): [
                {"digest": "1b1f", "text": JOIN_DIGEST_TEXT, "schema_name": "lab"}
            ],
            myq.RUNNING_MARIADB: running,
            **(explain or {}),
        },
        "10.11.6-MariaDB",
    )
    coll = MySqlCollector(parse_dsn("mysql://mon:pw@db:3306/"), session_factory=_factory(session))
    coll.connect()
    return coll, session


def test_mariadb_names_a_running_statement_by_the_digest_of_the_same_text_else_by_a_stand_in() -> None:
    other = "SELECT v FROM lab_jb WHERE v > 900"
    coll, _ = _maria(
        [
            {"session": "25", "schema_name": "lab", "elapsed_ms": 1200.0, "text": JOIN},
            {"session": "26", "schema_name": "lab", "elapsed_ms": 400.0, "text": other},
        ]
    )
    statements = coll.sample(1.0).statements
    assert statements is not None
    assert (statements["1b1f"].counters["calls"], statements["1b1f"].counters["total_time_ms"]) == (
        4.0,
        10200.0,
    )
    new = stand_in(canonical(other, "mysql"))
    assert new.startswith("running:")
    assert (statements[new].counters, statements[new].text) == (
        {"calls": 1.0, "total_time_ms": 400.0},
        "SELECT v FROM lab_jb WHERE v > ?",
    )


def test_mariadb_explains_a_statement_seen_running_from_its_session_text() -> None:
    other = "SELECT v FROM lab_jb WHERE v > 900"
    qualified = "SELECT v FROM lab.lab_jb WHERE v > 900"
    plan = '{"query_block": {"select_id": 1, "table": {"table_name": "lab_jb", "access_type": "ALL", "rows": 9000}}}'
    coll, session = _maria(
        [{"session": "26", "schema_name": "lab", "elapsed_ms": 400.0, "text": other}],
        {f"EXPLAIN {qualified}": [{"EXPLAIN": plan}]},
    )
    coll.sample(1.0)
    key = stand_in(canonical(other, "mysql"))
    activity = StatementActivity(
        digest=key, text="SELECT v FROM lab_jb WHERE v > ?", total=StatementCounters(calls=1)
    )
    [made] = coll.plans([activity])
    assert (made.digest, [(n.node_type, n.relation) for n in made.nodes]) == (
        key,
        [("Seq Scan", "lab.lab_jb")],
    )
    assert [s for s in session.statements if s.startswith("EXPLAIN")] == [f"EXPLAIN {qualified}"]
    assert coll.notes() == []
