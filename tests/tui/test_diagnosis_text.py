"""The UI's diagnosis text: the same words as the terminal, with marks and risks styled."""

from __future__ import annotations

from models import CauseFinding, ConditionReport, Evidence, Remediation, RuleFiring, RuleReport, WhyNot
from models.diagnosis import ConditionGroup
from sleuth.render import evidence_view, why_not_text
from sleuth.render import rich_text as rendered


def cond(
    group: ConditionGroup, name: str, passed: bool, tests: list[str], failed: list[str]
) -> ConditionReport:
    return ConditionReport(group=group, condition=name, passed=passed, tests=tests, failed_tests=failed)


CPU_IDLE = "ratio=1.05 (needs <= 0.3)"

WHY = WhyNot(
    cause="cpu_saturation",
    summary="cpu_saturation was not concluded",
    rules=[
        RuleReport(
            rule="cpu_hog",
            title="CPU taken by another process",
            pack="mysql",
            status="failed",
            certainty=0.9,
            conditions=[
                cond(
                    "all",
                    "fact cpu_exhausted",
                    False,
                    ["present=false (needs is true)"],
                    ["present=false (needs is true)"],
                ).model_copy(
                    update={
                        "because": [
                            RuleReport(
                                rule="cpu_exhausted",
                                title="The host ran out of CPU",
                                pack="mysql",
                                status="failed",
                                certainty=0.95,
                                conditions=[cond("all", "signal cpu_idle", False, [CPU_IDLE], [CPU_IDLE])],
                            )
                        ]
                    }
                ),
                cond(
                    "none", "signal db_cpu", True, ["ratio=1.2 (needs >= 1.5)"], ["ratio=1.2 (needs >= 1.5)"]
                ),
                cond("none", "signal table_scan_rows", False, ["ratio=43.8 (needs >= 3)"], []),
                cond("all", "observation top_sql", True, ["share_of_time=0.9 (needs >= 0.5)"], []).model_copy(
                    update={"text": "statement #1 took 90% of statement time"}
                ),
            ],
        )
    ],
)


def test_nested_rules_and_none_conditions() -> None:
    text = rendered.why_not(WHY)
    assert text.plain.splitlines() == [
        "why not cpu_saturation: cpu_saturation was not concluded",
        "  rule cpu_hog [mysql] (failed, CF 0.90): CPU taken by another process",
        "    ✗ all fact cpu_exhausted: present=false (needs is true)",
        "      rule cpu_exhausted [mysql] (failed, CF 0.95): The host ran out of CPU",
        "        ✗ all signal cpu_idle: ratio=1.05 (needs <= 0.3)",
        "    ✓ none signal db_cpu: absent, as required (ratio=1.2 (needs >= 1.5))",
        "    ✗ none signal table_scan_rows: present, but must be absent (ratio=43.8 (needs >= 3))",
        "    ✓ all observation top_sql: share_of_time=0.9 (needs >= 0.5)",
        "      statement #1 took 90% of statement time",
    ]
    # the terminal prints the very same words
    assert text.plain == why_not_text(WHY)
    styles = {text.plain[s.start : s.end]: str(s.style) for s in text.spans}
    assert (styles["✗"], styles["✓"], styles["cpu_hog"]) == ("bold red", "green", "bold")
    assert styles["statement #1 took 90% of statement time"] == "dim"


def test_no_rule_for_the_cause() -> None:
    assert (
        rendered.why_not(WhyNot(cause="failover")).plain == "why not failover: no rule concludes this cause"
    )


LOCK = CauseFinding(
    cause="lock_contention",
    title="Lock contention",
    certainty=0.86,
    chain=[
        RuleFiring(
            rule="lock_waits_up",
            pack="mysql_locks",
            concludes="lock_pressure",
            conclusion_kind="fact",
            premise=0.9,
            certainty=0.81,
            facts=[Evidence(kind="signal", name="row_lock_waits")],
        ),
        RuleFiring(
            rule="lock_contention_from_waits",
            pack="mysql_locks",
            concludes="lock_contention",
            conclusion_kind="cause",
            premise=0.81,
            certainty=0.86,
        ),
    ],
    remediations=[
        Remediation(id="kill_blocker", title="Find and end the blocking session", risk="medium"),
        Remediation(id="shorter_tx", title="Shorten transactions", risk="low", description="commit sooner"),
    ],
)


def test_how_and_remediation_are_the_terminal_lines() -> None:
    lock = LOCK
    assert rendered.how(lock).plain.splitlines() == [
        "rule lock_waits_up [mysql_locks] on row_lock_waits ⇒ fact lock_pressure (premise 0.90 → 0.81)",
        "rule lock_contention_from_waits [mysql_locks] ⇒ cause lock_contention (premise 0.81 → 0.86)",
    ]
    remediation = rendered.remediation(lock)
    assert remediation.plain.splitlines() == [
        "1. Find and end the blocking session (medium risk)",
        "2. Shorten transactions (low risk) — commit sooner",
    ]
    styles = {remediation.plain[s.start : s.end]: str(s.style) for s in remediation.spans}
    assert (styles["medium risk"], styles["low risk"]) == ("yellow", "green")


def test_evidence_puts_the_comparison_first_in_units() -> None:
    values: dict[str, float | str | bool] = {
        "baseline": 342.0,
        "anomaly": 65930.0,
        "delta": 65588.0,
        "ratio": 192.8,
        "score": 63.35,
        "peak": 311200.0,
        "confidence": 0.99,
        "shape": "level_shift",
        "direction": "up",
    }
    row = evidence_view(
        Evidence(kind="signal", name="table_scan_rows", values=values), {"table_scan_rows": "rows_per_second"}
    )
    assert (row.values, row.note) == (
        "342 rows/s → 65.9K rows/s (×193, z 63.4, peak 311K rows/s)",
        "level shift, up",
    )
    observed = evidence_view(
        Evidence(
            kind="observation",
            name="idle_in_transaction",
            values={"state": "idle in transaction", "seconds": 75.0, "pid": 48213.0, "certainty": 0.9},
            text="a session held its transaction open",
        )
    )
    assert (observed.values, observed.note) == (
        "state=idle in transaction, seconds=75 s, pid=48213",
        "a session held its transaction open",
    )
