"""Every renderer on real diagnoses of the shipped examples, through the service as the entry points use it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from models import Diagnosis, TimeWindow
from sleuth import DiagnoseOptions, Settings, Sleuth
from sleuth.render import how_text, json_record, markdown, metric_units, table_header, table_row
from tests.render.zones import CET, local_zone
from tests.rules.fakes import incident
from tui.app.export import export_diagnosis
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "incidents"
RULES_ONLY = DiagnoseOptions(llm="never")


@pytest.fixture(scope="module")
def app() -> Sleuth:
    return Sleuth(Settings())


@pytest.fixture()
def cet() -> Iterator[None]:
    with local_zone(CET):
        yield


@pytest.fixture(scope="module")
def lock(app: Sleuth) -> Diagnosis:
    """A compound PostgreSQL incident: a blocker idle in transaction and the lock queue behind it."""
    d = app.diagnose(app.load_incident(EXAMPLES / "rds-pg-lock-contention.json"), RULES_ONLY)
    return d.model_copy(update={"elapsed_ms": 26.2})  # the one figure that varies from run to run


LOCK_WAITS = (
    "observation lock_waits: max_wait_s=35 s, blockers_idle_in_transaction=1, count=6, sessions_waiting=6, "
    "blockers=1, total_wait_s=195 s, top_blocker_share=100%, objects=1 — 6 lock waits, longest 35 s, "
    "behind 1 blocking session(s), 1 idle in transaction"
)
# The same lock waits as another rule quotes them: what it tested first.
LOCK_QUEUE = (
    "observation lock_waits: count=6, sessions_waiting=6, max_wait_s=35 s, blockers=1, total_wait_s=195 s, "
    "blockers_idle_in_transaction=1, top_blocker_share=100%, objects=1 — 6 lock waits, longest 35 s, "
    "behind 1 blocking session(s), 1 idle in transaction"
)
QUEUE = (
    "signal lock_waits_current (level shift, up): 0.491 sessions → 42 sessions "
    "(×85.5, z 98, peak 42.6 sessions)"
)


def test_table_streams_one_row_per_incident(lock: Diagnosis) -> None:
    assert table_header().splitlines() == [
        "incident                         path              time  causes (certainty)",
        "-" * 75,
    ]
    assert table_row(lock) == (
        "rds-pg-lock-contention           rules          26.2 ms  idle_in_transaction (0.99), lock_contention (0.98)"
    )


def test_how_names_units_and_local_time(app: Sleuth, lock: Diagnosis, cet: None) -> None:
    lines = how_text(lock, metric_units(app, [lock])).splitlines()
    assert lines[:5] == [
        "rds-pg-lock-contention: rules, window 2025-11-23 13:20:50 – 13:25:40 CET (290 s), given, 26.2 ms",
        "1. Sessions idle in transaction (idle_in_transaction): certainty 0.99, score 0.55, graph coverage 30%, "
        "from rules",
        "  evidence:",
        f"    {LOCK_WAITS}",
        "  how:",
    ]
    second = lines.index(
        "2. Lock contention (lock_contention): certainty 0.98, score 0.51, graph coverage 38%, from rules"
    )
    assert lines[second + 1 : second + 6] == [
        "  evidence:",
        f"    {LOCK_QUEUE}",
        f"    {QUEUE}",
        "  how:",
        "    rule pg_lock_queue_named [postgres] on lock_waits, lock_waits_current ⇒ cause lock_contention "
        "(premise 1.00 → 0.80)",
    ]


def test_markdown_report_of_a_compound_incident(app: Sleuth, lock: Diagnosis, cet: None) -> None:
    report = markdown(lock, units=metric_units(app, [lock]))
    head, _, rest = report.partition("### 1. ")
    assert head == (
        "## rds-pg-lock-contention — orders-db: checkout latency x20 while a batch job idles in a transaction "
        "holding row locks\n\n"
        "Diagnosed by **rules**; window 2025-11-23 13:20:50 – 13:25:40 CET (290 s), given; "
        "labelled lock_contention, idle_in_transaction.\n\n"
    )
    assert rest.startswith(
        "Sessions idle in transaction (`idle_in_transaction`)\n\n"
        "Certainty 0.99, score 0.55, graph coverage 30%, from rules.\n\n"
        f"Evidence:\n\n- {LOCK_WAITS.replace('lock_waits', '`lock_waits`', 1)}\n\n"
        "How:\n\n"
        "- rule `pg_blocker_idle_in_transaction` [postgres] on lock_waits ⇒ cause `idle_in_transaction` "
        "(premise 1.00 → 0.85)\n\n"
        "Blamed:\n\n"
        "- statement `UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2` on `inventory`: "
        "`UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2`\n"
        "- table `inventory` (count=6, sessions_waiting=6, max_wait_s=35 s, blockers=1)\n\n"
        "Remediation:\n\n"
        "1. **Time out idle transactions** (low risk) — Set idle_in_transaction_session_timeout (PostgreSQL)"
    )
    # a DBA pastes this into a ticket: text that would be an HTML tag when rendered is escaped
    assert "KILL \\<id>" in rest and "KILL <id>" not in rest
    assert rest.endswith(
        "### Signals that moved\n\n"
        "| Metric | Shape | Normally | In window | Change | z | Confidence |\n"
        "| --- | :-- | --: | --: | --: | --: | --: |\n"
        "| `lock_waits_current` | level shift, up | 0.491 sessions | 42 sessions | ×85.5 | 98 | 1.00 |\n"
        "| `deadlocks` | level shift, up | 0/s | 0.303/s | from 0 | 97.6 | 1.00 |\n"
        "| `commit_latency` | level shift, up | 1.97 ms | 40 ms | ×20.3 | 94.7 | 1.00 |\n"
        "| `commits` | level shift, down | 898/s | 183/s | ×0.204 | -23.1 | 1.00 |\n"
        "| `open_connections` | level shift, up | 59.6 connections | 94.9 connections | ×1.59 | 16.2 | 0.90 |\n"
    )


def test_the_command_line_and_the_export_write_the_same_report(
    app: Sleuth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = EXAMPLES / "db_backup-01.json"
    assert main(["diagnose", str(case), "--no-llm", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    d = app.diagnose(app.load_incident(case), RULES_ONLY)
    written = export_diagnosis(d, tmp_path / "db_backup.md", "markdown", units=metric_units(app, [d]))
    assert printed == written.read_text(encoding="utf-8") + "\n"
    assert (
        "| `network_transmit` | level shift, up | 320 KiB/s | 7.58 MiB/s | ×24.2 | 31.1 | 1.00 |" in printed
    )


def test_explain_markdown_adds_the_why_not_asked(capsys: pytest.CaptureFixture[str]) -> None:
    case = str(EXAMPLES / "db_backup-01.json")
    assert main(["explain", case, "--why-not", "cpu_saturation", "--format", "markdown"]) == 0
    report = capsys.readouterr().out
    why = report[report.index("### Why not `cpu_saturation`") :]
    assert "- rule `mysql_cpu_exhausted` [mysql] (failed, CF 0.95): The host ran out of CPU\n" in why
    assert (
        "  - ✗ all signal cpu_system: anomaly=3.51% (needs ≥ 20%), ratio=0.668 (needs ≥ 3), "
        "direction=none (needs = up)\n" in why
    )


def test_why_not_json_is_typed_and_lists_the_incidents_engine_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = str(EXAMPLES / "rds-pg-missing-index.json")
    assert main(["explain", case, "--why-not", "cpu_saturation", "--format", "json"]) == 0
    why = json.loads(capsys.readouterr().out)
    statuses = [r["status"] for r in why["rules"]]
    assert statuses == sorted(statuses, key=lambda s: s == "other engine") and "other engine" in statuses
    first = why["rules"][0]
    assert list(first) == ["rule", "title", "pack", "status", "certainty", "conditions", "failed"]
    assert list(first["conditions"][0]) == [
        "group",
        "condition",
        "passed",
        "tests",
        "failed_tests",
        "checks",
        "text",
        "because",
    ]


def test_json_record_keeps_its_keys(lock: Diagnosis) -> None:
    record = json_record(lock)
    assert list(record) == ["incident", "path", "causes", "elapsed_ms", "window_inferred"]
    assert list(record["causes"][0]) == [
        "cause",
        "certainty",
        "evidence",
        "rules",
        "remediations",
        "subjects",
        "window",
    ]
    assert record["causes"][0]["window"] == {"start": 1763900450.0, "end": 1763900740.0}
    assert json_record(lock.model_copy(update={"errors": ["x"]}))["errors"] == ["x"]


def _far_future(tmp_path: Path) -> Path:
    """A capture stamped in year 33,714: past what ``datetime`` can hold."""
    case = incident({"cpu_user": 3.0, "latency": 2.5})
    shifted = case.model_copy(
        update={
            "metrics": [
                m.model_copy(update={"timestamps": [1e12 + t for t in m.timestamps]}) for m in case.metrics
            ],
            "window": TimeWindow(start=1e12 + 100, end=1e12 + 129),
        }
    )
    path = tmp_path / "future.json"
    path.write_text(shifted.model_dump_json())
    return path


def test_far_future_timestamps_are_numbers_not_crashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(_far_future(tmp_path))
    assert main(["summary", path]) == 0
    assert "window unix 1T s – unix 1T s (29 s)" in capsys.readouterr().out
    assert main(["explain", path]) == 0
    assert (
        "synthetic-1: inconclusive, window unix 1T s – unix 1T s (29 s), given, " in capsys.readouterr().out
    )
    assert main(["diagnose", path, "--no-llm", "--format", "markdown"]) == 0
    assert "**Inconclusive**; window unix 1T s – unix 1T s (29 s), given." in capsys.readouterr().out
