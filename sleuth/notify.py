"""Telling people: JSON Lines on stdout, Apprise (Slack, e-mail, webhooks...), and an optional hook.

Every watcher event is one JSON line on stdout. The ones a person should
hear about (an incident opened, its top cause changed, it resolved, a server
out of reach) also go to the Apprise URLs and the hook, within two rate
limits: per server and for the whole fleet, per rolling hour. What the limits
hold back is counted and said with the next notification that goes out; the
resolution of an incident whose opening was told always goes out, so no one
is left believing an incident is still open.

Incident text is data. For Apprise it is plain text (``NotifyFormat.TEXT``:
each service escapes it for its own markup) with control characters removed;
the hook is run as an argument list, never through a shell, with the event
as JSON on its stdin and in ``SLEUTH_EVENT_*`` environment variables, so no
statement text or label can become part of a command.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import IO

from sleuth.watch.events import NOTIFIED, WatchEvent

HOUR_S = 3600.0
HOOK_TIMEOUT_S = 30.0
TEXT_LIMIT = 1000
ENV_LIMIT = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

Deliver = Callable[[str, str], bool]


def clean(text: str, limit: int = TEXT_LIMIT) -> str:
    """One line safe to show anywhere: no line breaks (a value cannot pose as another line of the
    notification), control or bidi-override characters, and a bounded length."""
    out = _CONTROL.sub(" ", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def body(event: WatchEvent) -> str:
    """The notification's text: what, where, the top causes, the statement and table, the file."""
    lines = [f"server: {clean(event.server, 100)}"]
    if event.tags:
        lines.append(f"tags: {clean(', '.join(event.tags), 300)}")
    if event.incident:
        lines.append(f"incident: {clean(event.incident, 200)}")
    if event.onset is not None:
        lines.append(f"since: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(event.onset))}")
    if event.end is not None:
        lines.append(f"until: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(event.end))}")
    for i, cause in enumerate(event.causes, 1):
        title = f" ({clean(cause.title, 120)})" if cause.title else ""
        lines.append(f"cause {i}: {clean(cause.cause, 100)}{title}, certainty {cause.certainty:.2f}")
    if event.statement:
        lines.append(f"statement: {clean(event.statement)}")
    if event.table:
        lines.append(f"table: {clean(event.table, 200)}")
    if event.path:
        lines.append(f"incident file: {clean(event.path, 500)}")
    if event.message:
        lines.append(clean(event.message))
    if event.suppressed:
        lines.append(f"({event.suppressed} earlier notification(s) held back by the rate limit)")
    return "\n".join(lines)


def hook_environment(event: WatchEvent) -> dict[str, str]:
    """The event in environment variables (values bounded, NUL-free: the environment cannot hold NUL)."""
    fields = {
        "KIND": event.kind,
        "SERVER": event.server,
        "TAGS": ",".join(event.tags),
        "INCIDENT": event.incident or "",
        "TOP_CAUSE": event.top or "",
        "CERTAINTY": f"{event.causes[0].certainty:.3f}" if event.causes else "",
        "STATEMENT": event.statement or "",
        "TABLE": event.table or "",
        "FILE": event.path or "",
        "MESSAGE": event.message,
    }
    return {f"SLEUTH_EVENT_{k}": v.replace("\x00", " ")[:ENV_LIMIT] for k, v in fields.items()}


class RateLimit:
    """At most ``limit`` notifications in any rolling ``span_s``."""

    def __init__(self, limit: int, span_s: float = HOUR_S) -> None:
        self.limit = limit
        self.span_s = span_s
        self._sent: deque[float] = deque()

    def room(self, now: float) -> bool:
        while self._sent and now - self._sent[0] >= self.span_s:
            self._sent.popleft()
        return len(self._sent) < self.limit

    def take(self, now: float) -> None:
        self._sent.append(now)


class Notifier:
    """Delivers watcher events; thread-safe (the watch threads and Ray's poller call it)."""

    def __init__(
        self,
        *,
        urls: Sequence[str] = (),
        hook: Sequence[str] = (),
        out: IO[str] | None = None,
        per_server_per_hour: int = 12,
        fleet_per_hour: int = 60,
        clock: Callable[[], float] = time.time,
        apprise_deliver: Deliver | None = None,
    ) -> None:
        self._out = out
        self._hook = list(hook)
        self._per_server = per_server_per_hour
        self._fleet = RateLimit(fleet_per_hour)
        self._servers: dict[str, RateLimit] = {}
        self._held: dict[str, int] = {}
        self._told_open: set[str] = set()
        self._clock = clock
        self._lock = threading.Lock()
        self._deliver = apprise_deliver or (_apprise(urls) if urls else None)
        self.sent: list[WatchEvent] = []
        self.failures: list[str] = []

    def __call__(self, event: WatchEvent) -> None:
        self.deliver(event)

    def deliver(self, event: WatchEvent) -> None:
        with self._lock:
            self._write_line(event)
            if event.kind not in NOTIFIED:
                return
            now = self._clock()
            server = self._servers.setdefault(event.server, RateLimit(self._per_server))
            owed = event.kind == "resolved" and event.incident in self._told_open
            if not owed and not (server.room(now) and self._fleet.room(now)):
                self._held[event.server] = self._held.get(event.server, 0) + 1
                return
            server.take(now)
            self._fleet.take(now)
            held = self._held.pop(event.server, 0)
            told = event.model_copy(update={"suppressed": held}) if held else event
            if event.kind == "opened" and event.incident:
                self._told_open.add(event.incident)
            if event.kind == "resolved" and event.incident:
                self._told_open.discard(event.incident)
            self.sent.append(told)
        self._notify(told)

    def _write_line(self, event: WatchEvent) -> None:
        if self._out is None:
            return
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._out.write(event.model_dump_json() + "\n")
            self._out.flush()

    def _notify(self, event: WatchEvent) -> None:
        if self._deliver is not None:
            try:
                if not self._deliver(event.headline(), body(event)):
                    self._failed("apprise: a notification service refused the message")
            except Exception as exc:  # a notification service must never stop the watch
                self._failed(f"apprise: {exc}")
        if self._hook:
            self._run_hook(event)

    def _run_hook(self, event: WatchEvent) -> None:
        env = {**os.environ, **hook_environment(event)}
        try:
            done = subprocess.run(
                self._hook,
                input=event.model_dump_json(),
                text=True,
                env=env,
                timeout=HOOK_TIMEOUT_S,
                check=False,
                capture_output=True,
                shell=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self._failed(f"hook: {exc}")
            return
        if done.returncode != 0:
            self._failed(f"hook: exit {done.returncode}: {clean(done.stderr.strip(), 200)}")

    def _failed(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)
        print(f"sleuth watch: {message}", file=sys.stderr)


def _apprise(urls: Sequence[str]) -> Deliver:
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            # Apprise's own message would quote the URL, and its token with it.
            raise ValueError(f"not an Apprise URL sleuth can use: {url.split('://', 1)[0]}://...")

    def deliver(title: str, text: str) -> bool:
        return bool(sender.notify(body=text, title=title, body_format=apprise.NotifyFormat.TEXT))

    return deliver
