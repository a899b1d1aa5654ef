"""Exporting a diagnosis: Markdown for the ticket, JSON that round-trips to ``models.Diagnosis``."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from models import Diagnosis
from tests.tui.conftest import settle
from tests.tui.fakes import FakeServices, lock_diagnosis, make_incident
from tui.app.app import SleuthApp
from tui.app.export import default_export_path, diagnosis_markdown
from tui.app.screens.export_dialog import ExportDialog

EXPECTED_MARKDOWN = """\
# Diagnosis: inc on orders-db

Incident `inc`, path: rules.
Anomaly window 40–49.

## 1. Lock contention (`lock_contention`)

Certainty **0.86**, score 0.91, coverage 75%, from rules.

### Evidence

- signal `row_lock_waits` baseline=1.5, anomaly=40 — lock waits x27

### How

- rule `lock_waits_up` (mysql_locks) on row_lock_waits: premise 0.90 → fact `lock_pressure` at 0.81
- rule `lock_contention_from_waits` (mysql_locks) on no facts: premise 0.81 → cause `lock_contention` at 0.86

### Remediation

- [medium risk] Find and end the blocking session
- [low risk] Shorten transactions: commit sooner

## 2. CPU saturation (`cpu_saturation`)

Certainty **0.55**, score 0.50, coverage 50%, from rules.

### Evidence

- signal `cpu_user` baseline=21, anomaly=95

### Remediation

- [high risk] Scale up the instance class
"""


def test_markdown_report_carries_causes_evidence_chain_and_remediation() -> None:
    assert diagnosis_markdown(lock_diagnosis("inc")) == EXPECTED_MARKDOWN


def test_default_export_path_sits_next_to_the_incident(tmp_path: Path) -> None:
    incident = tmp_path / "orders.json"
    incident.write_text("{}")
    assert default_export_path(incident, "markdown") == tmp_path / "orders.diagnosis.md"
    assert default_export_path(incident, "json") == tmp_path / "orders.diagnosis.json"
    assert default_export_path(tmp_path / "case-7", "json") == tmp_path / "case-7.diagnosis.json"


async def test_export_dialog_writes_json_next_to_the_incident(tmp_path: Path) -> None:
    incident = tmp_path / "orders.json"
    incident.write_text(make_incident("orders").model_dump_json())
    app = SleuthApp(FakeServices(diagnoses={"orders": lock_diagnosis("orders")}), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path_input = dialog.query_one("#export-path", Input)
        assert path_input.value == str(tmp_path / "orders.diagnosis.md")
        await pilot.click("#fmt-json")
        await pilot.pause()
        assert path_input.value == str(tmp_path / "orders.diagnosis.json")
        await pilot.click("#export-save")
        await settle(pilot)
        written = tmp_path / "orders.diagnosis.json"
        assert Diagnosis.model_validate_json(written.read_text()) == lock_diagnosis("orders")
        # the report is not itself listed as an incident
        assert [r.name for r in app.state.services.list_incidents(tmp_path)] == ["orders.json"]


async def test_export_to_a_typed_markdown_path(tmp_path: Path) -> None:
    incident = tmp_path / "orders.json"
    incident.write_text(make_incident("orders").model_dump_json())
    target = tmp_path / "ticket-4711.md"
    app = SleuthApp(FakeServices(diagnoses={"orders": lock_diagnosis("orders")}), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == diagnosis_markdown(lock_diagnosis("orders"))
