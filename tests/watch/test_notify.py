"""Notifications: one line per event on stdout, rate limits, Apprise over a real webhook, a hook that
never lets incident text become a command."""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sleuth.notify import Notifier, body, clean, hook_environment
from sleuth.watch.events import CauseBrief, WatchEvent

HOSTILE_SQL = "SELECT 1; $(touch {pwned}) `touch {pwned}` && touch {pwned} \x1b[31m\u202e'; DROP TABLE t; --"


def event(
    kind: str = "opened", server: str = "db1", incident: str = "watch-db1-1", **extra: Any
) -> WatchEvent:
    return WatchEvent.model_validate(
        {
            "kind": kind,
            "server": server,
            "time": 1_800_000_000.0,
            "incident": incident,
            "causes": [{"cause": "lock_contention", "certainty": 0.97, "title": "Lock contention"}],
            "table": "public.accounts",
            "path": "/var/lib/sleuth/watch-db1-1.json",
            **extra,
        }
    )


def keeping(into: list[Any]) -> Any:
    """An Apprise stand-in at the boundary: keeps what would have been sent, says it was sent."""

    def deliver(title: str, text: str) -> bool:
        into.append((title, text))
        return True

    return deliver


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_every_event_is_one_json_line_and_only_news_is_notified() -> None:
    out = io.StringIO()
    told: list[tuple[str, str]] = []
    notifier = Notifier(out=out, apprise_deliver=keeping(told))
    for kind in ("connected", "opened", "updated", "resolved", "discarded", "reconnected", "stopped"):
        notifier.deliver(event(kind))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == [
        "connected",
        "opened",
        "updated",
        "resolved",
        "discarded",
        "reconnected",
        "stopped",
    ]
    assert lines[1]["causes"][0] == {
        "cause": "lock_contention",
        "certainty": 0.97,
        "title": "Lock contention",
    }
    assert [title for title, _ in told] == [
        "sleuth incident on db1: lock_contention (0.97)",
        "sleuth incident update on db1: lock_contention (0.97)",
        "sleuth incident resolved on db1: lock_contention (0.97)",
    ]
    assert told[0][1].splitlines() == [
        "server: db1",
        "incident: watch-db1-1",
        "cause 1: lock_contention (Lock contention), certainty 0.97",
        "table: public.accounts",
        "incident file: /var/lib/sleuth/watch-db1-1.json",
    ]


def test_rate_limits_hold_back_per_server_and_per_fleet_and_count_what_they_held() -> None:
    clock = Clock()
    told: list[tuple[str, str]] = []
    notifier = Notifier(
        per_server_per_hour=2,
        fleet_per_hour=3,
        clock=clock,
        apprise_deliver=keeping(told),
    )
    for i in range(4):
        notifier.deliver(event("updated", server="db1", incident=f"i{i}"))
    assert len(notifier.sent) == 2  # db1's two per hour
    notifier.deliver(event("updated", server="db2", incident="j0"))
    notifier.deliver(event("updated", server="db2", incident="j1"))
    assert [e.server for e in notifier.sent] == ["db1", "db1", "db2"]  # the fleet's three per hour
    clock.now += 3600
    notifier.deliver(event("updated", server="db1", incident="i9"))
    assert notifier.sent[-1].suppressed == 2
    assert told[-1][1].endswith("(2 earlier notification(s) held back by the rate limit)")


def test_the_resolution_of_an_incident_whose_opening_was_told_always_goes_out() -> None:
    notifier = Notifier(
        per_server_per_hour=1, fleet_per_hour=1, clock=Clock(), apprise_deliver=lambda t, b: True
    )
    notifier.deliver(event("opened"))
    notifier.deliver(event("updated"))
    notifier.deliver(event("resolved"))
    assert [e.kind for e in notifier.sent] == ["opened", "resolved"]


def test_text_loses_control_and_direction_characters_and_is_bounded() -> None:
    assert clean("a\x1b[31mb\u202ec\x00d\ne") == "a [31mb c d e"
    assert len(clean("x" * 5000)) == 1000
    text = body(event(statement="SELECT '\x07'; \u202e" + "y" * 3000))
    statement = next(line for line in text.splitlines() if line.startswith("statement: "))
    assert "\x07" not in statement and "\u202e" not in statement and len(statement) <= 1011


def test_the_hook_gets_the_event_on_stdin_and_in_variables_and_runs_nothing_it_says(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    got = tmp_path / "got.json"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, sys\n"
        "data = json.load(sys.stdin)\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('SLEUTH_EVENT_')}\n"
        f"open({str(got)!r}, 'w').write(json.dumps({{'stdin': data, 'env': env, 'argv': sys.argv[1:]}}))\n"
    )
    sql = HOSTILE_SQL.format(pwned=pwned)
    notifier = Notifier(hook=[sys.executable, str(script), "--from-sleuth"])
    notifier.deliver(event(statement=sql, table="t; touch " + str(pwned)))
    seen = json.loads(got.read_text())
    assert seen["argv"] == ["--from-sleuth"]
    assert seen["stdin"]["statement"] == sql
    assert seen["env"]["SLEUTH_EVENT_STATEMENT"] == sql.replace("\x00", " ")
    assert seen["env"]["SLEUTH_EVENT_TOP_CAUSE"] == "lock_contention"
    assert seen["env"]["SLEUTH_EVENT_KIND"] == "opened"
    assert not pwned.exists()
    assert notifier.failures == []


def test_a_failing_hook_is_said_and_the_watch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notifier = Notifier(hook=[sys.executable, "-c", "import sys; sys.stderr.write('no route'); sys.exit(3)"])
    notifier.deliver(event())
    assert notifier.failures == ["hook: exit 3: no route"]
    assert "sleuth watch: hook: exit 3: no route" in capsys.readouterr().err
    missing = Notifier(hook=[str(tmp_path / "no-such-hook")])
    missing.deliver(event())
    assert missing.failures and missing.failures[0].startswith("hook: ")


def test_environment_values_are_bounded_and_nul_free() -> None:
    env = hook_environment(event(statement="a\x00b" + "z" * 10_000))
    assert env["SLEUTH_EVENT_STATEMENT"].startswith("a b") and len(env["SLEUTH_EVENT_STATEMENT"]) == 4096


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/", _Webhook.received
    server.shutdown()
    server.server_close()


def test_apprise_posts_the_notification_to_a_webhook_on_loopback(
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = webhook
    notifier = Notifier(urls=[url])
    notifier.deliver(event(statement="SELECT * FROM accounts WHERE id = ?"))
    assert notifier.failures == []
    (posted,) = received
    assert posted["title"] == "sleuth incident on db1: lock_contention (0.97)"
    assert "statement: SELECT * FROM accounts WHERE id = ?" in posted["message"]


def test_a_url_apprise_cannot_use_is_refused_without_showing_its_token() -> None:
    with pytest.raises(ValueError) as caught:
        Notifier(urls=["nosuchservice://tok3n@x/"])
    assert "tok3n" not in str(caught.value)


def test_causes_are_data_in_the_event_model() -> None:
    brief = CauseBrief(cause="x", certainty=0.5)
    assert event(causes=[brief.model_dump()]).top == "x"
