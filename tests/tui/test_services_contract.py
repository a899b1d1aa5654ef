"""Both implementations of the facade satisfy ``Services`` (mypy checks the signatures; this the names)."""

from __future__ import annotations

from tests.tui.fakes import FakeServices
from tui.app.core_services import CoreServices
from tui.app.services import Services


def test_fake_and_core_services_implement_every_method() -> None:
    fake: Services = FakeServices()
    core: Services = CoreServices()
    wanted = {name for name in vars(Services) if not name.startswith("_")}
    assert wanted == {
        "list_incidents",
        "load_incident",
        "diagnose",
        "why_not",
        "cause_ids",
        "canonical_metrics",
        "kg_causes",
        "rules",
        "rule_files",
        "reload_rules",
        "lint",
        "run_rule_tests",
        "investigate",
    }
    for implementation in (fake, core):
        assert all(callable(getattr(implementation, name)) for name in wanted)
