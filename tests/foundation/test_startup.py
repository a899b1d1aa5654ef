"""Start-up loads without the cyclic collector and freezes what it loaded; an in-process caller of the
command line gets its collector back as it was, and the plain views load only when named."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from models import CauseFinding, Diagnosis
from tests.fresh import fresh_python
from tui.cli import main
from tui.cli.common import starting


@pytest.fixture
def thawed() -> Iterator[None]:
    """Each test starts and ends with nothing frozen, as the batch's own tests expect."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_pauses_the_collector_and_gives_it_back_as_it_was(thawed: None, enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with starting():
            during = gc.isenabled()
            loaded = [[i] for i in range(100)]
        assert (during, gc.isenabled()) == (False, enabled)
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.enable()


def test_loading_that_fails_still_gives_the_collector_back(thawed: None) -> None:
    with pytest.raises(ValueError, match="boom"), starting():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_command_run_in_process_leaves_nothing_frozen(
    thawed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "incident"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Incident"
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_the_service_loads_its_plain_views_only_when_one_is_named() -> None:
    code = (
        "import sys\n"
        "import sleuth\n"
        "print('sleuth._views' in sys.modules)\n"
        "from sleuth import RulesState\n"
        "import sleuth._views as views\n"
        "print(RulesState is views.RulesState, sleuth.IncidentRef is views.IncidentRef)\n"
    )
    assert fresh_python(code).split() == ["False", "True", "True"]


def test_every_instance_starts_with_its_own_empty_lists() -> None:
    first, second = Diagnosis(incident="a", path="rules"), Diagnosis(incident="b", path="rules")
    first.causes.append(CauseFinding(cause="cpu_saturation", certainty=0.9))
    first.errors.append("late")
    assert (second.causes, second.errors) == ([], [])
    assert first.signals is not second.signals
