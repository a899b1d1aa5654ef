"""Keys a newcomer can see and rely on: the key line at 80 columns, tab keys that always switch,
text typed into a box that stays in the box, and focus that is always somewhere visible."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, TabbedContent

from tests.tui import world
from tests.tui.conftest import settle
from tui.app.screens.batch import BatchScreen
from tui.app.screens.export_dialog import ExportDialog
from tui.app.screens.graph import GraphScreen
from tui.app.screens.incident import IncidentScreen
from tui.app.widgets.key_hints import KeyHints

EVERY_GLOBAL_KEY = [
    "i Incidents",
    "g Graph",
    "r Rules",
    "b Batch",
    "? Help",
    "^t Theme",
    "q Quit",
    "^p Palette",
]


def hint_lines(app: object, width: int = 78) -> list[str]:
    from textual.app import App

    assert isinstance(app, App)
    return [line.plain for line in app.screen.query_one(KeyHints).lines(width)]


async def test_every_key_of_the_incident_screen_is_on_screen_at_80_columns(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        hints = app.screen.query_one(KeyHints)
        drawn = [line.plain for line in hints.lines(hints.content_region.width)]
        assert drawn == [
            "esc Back  m Metrics  d Diagnosis  p Planner  s Start planner  w Why not…",
            "y Confirm cause  n Reject cause  x Export  / Filter metrics │ i Incidents",
            "g Graph  r Rules  b Batch  f Fleet  ? Help  ^t Theme  q Quit  ^p Palette",
        ]
        # all of them inside the terminal, above nothing
        assert hints.region.bottom == 24 and hints.region.height == 3


async def test_tab_keys_keep_working_after_a_planner_run_and_shift_tabs(root: Path) -> None:
    app = world.app_in(root, world.MYSTERY_ANSWERS)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        tabs = screen.query_one("#incident-tabs", TabbedContent)
        await pilot.press("s")
        await settle(pilot)
        assert tabs.active == "planner"
        await pilot.press("shift+tab", "shift+tab")
        await settle(pilot)
        seen = []
        for key in ("d", "m", "p", "d", "w"):
            await pilot.press(key)
            await settle(pilot)
            seen.append(tabs.active)
        assert seen == ["diagnosis", "metrics", "planner", "diagnosis", "diagnosis"]
        assert type(app.screen).__name__ == "CausePicker"  # w opened WHY NOT, from any tab


async def test_tab_strip_is_no_focus_stop_and_each_tab_focuses_its_main_widget(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        assert app.focused is screen.query_one("#charts")
        for key, focused in (("d", "causes"), ("p", "plan-steps"), ("m", "charts")):
            await pilot.press(key)
            await settle(pilot)
            assert app.focused is not None and app.focused.id == focused
        for _ in range(6):  # Tab cycles through the tab's widgets only
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id in {"charts", "signals", "metrics-filter"}


async def test_letters_typed_into_the_batch_path_stay_in_it(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        path = screen.query_one("#batch-path", Input)
        assert app.focused is path  # where a newcomer types first
        await pilot.press("ctrl+u", *"/srv/qgri/bx?c")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert path.value == "/srv/qgri/bx?c"
        # while typing, the key line offers only keys that still act
        assert hint_lines(app) == ["^r Run batch │ ^t Theme  ^p Palette"]


async def test_letters_typed_into_the_export_path_stay_in_it(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        await pilot.press("ctrl+u", *"q-i-g-r-b-x-w.md")
        assert app.is_running and app.screen is dialog
        assert dialog.query_one("#export-path", Input).value == "q-i-g-r-b-x-w.md"
        # Tab goes from the path to the format, not past it
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "export-format"


async def test_graph_filter_takes_typing_on_arrival_and_escape_returns_the_keys(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await pilot.press(*"rbgiq")
        await settle(pilot)
        assert app.screen is screen and screen.query_one("#graph-filter", Input).value == "rbgiq"
        await pilot.press("escape")
        assert app.focused is screen.query_one("#graph-tree")
        await pilot.press("r")
        await settle(pilot)
        assert app.current_mode == "rules"


async def test_list_filter_narrows_and_escape_clears_it(root: Path) -> None:
    app = world.app_in(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#incidents-table", DataTable)
        await pilot.press("slash", *"error")
        await settle(pilot)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "broken.json",
            "orders-nometrics.json",
        ]
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("down", "enter")  # the second match, not the second incident of the list
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen) and app.screen.ref.name == "orders-nometrics.json"
        await pilot.press("escape", "slash", "escape")
        await settle(pilot)
        assert table.row_count == 4 and app.focused is table
