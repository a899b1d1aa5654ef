"""Diagnosis text as the DBA reads it: WHY NOT with marked conditions, evidence with the comparison first."""

from __future__ import annotations

from models import WhyNot
from tui.app.widgets.diagnosis_view import evidence_values, why_not_text


def cond(group: str, name: str, passed: bool, tests: list[str], failed: list[str]) -> dict[str, object]:
    return {"group": group, "condition": name, "passed": passed, "tests": tests, "failed_tests": failed}


def test_nested_rules_and_none_conditions() -> None:
    inner = {
        "rule": "cpu_exhausted",
        "title": "The host ran out of CPU",
        "pack": "mysql",
        "status": "failed",
        "certainty": 0.95,
        "conditions": [
            cond(
                "all", "signal cpu_idle", False, ["ratio=1.05 (needs <= 0.3)"], ["ratio=1.05 (needs <= 0.3)"]
            )
        ],
    }
    outer_fact = cond(
        "all",
        "fact cpu_exhausted",
        False,
        ["present=false (needs is true)"],
        ["present=false (needs is true)"],
    )
    outer_fact["because"] = [inner]
    why = WhyNot(
        cause="cpu_saturation",
        summary="cpu_saturation was not concluded",
        rules=[
            {
                "rule": "cpu_hog",
                "title": "CPU taken by another process",
                "pack": "mysql",
                "status": "failed",
                "certainty": 0.9,
                "conditions": [
                    outer_fact,
                    cond(
                        "none",
                        "signal db_cpu",
                        True,
                        ["ratio=1.2 (needs >= 1.5)"],
                        ["ratio=1.2 (needs >= 1.5)"],
                    ),
                    cond("none", "signal table_scan_rows", False, ["ratio=43.8 (needs >= 3)"], []),
                ],
            },
            {"rule": "legacy_shape", "failed": "x > 1", "seen": 0.5},
        ],
    )
    assert why_not_text(why).plain.splitlines() == [
        "WHY NOT cpu_saturation",
        "cpu_saturation was not concluded",
        "• cpu_hog [mysql] CPU taken by another process (failed, CF 0.90)",
        "    ✗ all fact cpu_exhausted: present=false (needs is true)",
        "        • cpu_exhausted [mysql] The host ran out of CPU (failed, CF 0.95)",
        "            ✗ all signal cpu_idle: ratio=1.05 (needs <= 0.3)",
        "    ✓ none signal db_cpu: absent, as required (ratio=1.2 (needs >= 1.5))",
        "    ✗ none signal table_scan_rows: present, but must be absent (ratio=43.8 (needs >= 3))",
        "• legacy_shape: rule=legacy_shape, failed=x > 1, seen=0.5",
    ]


def test_no_rule_for_the_cause() -> None:
    assert why_not_text(WhyNot(cause="failover")).plain == "WHY NOT failover\nno rule concludes this cause"


def test_evidence_values_put_the_comparison_first() -> None:
    values: dict[str, float | str | bool] = {
        "baseline": 342.0,
        "anomaly": 65930.0,
        "delta": 65588.0,
        "ratio": 192.8,
        "score": 63.35,
        "confidence": 0.99,
        "rows": 12.0,
    }
    assert evidence_values(values) == "342 → 6.593e+04  ×192.8  z 63.35  rows=12"
    assert evidence_values({"state": "idle in transaction", "seconds": 75.0}) == (
        "state=idle in transaction  seconds=75"
    )
