"""What every command shares: exit codes, usage errors, the service built from flags, progress."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sleuth import DiagnoseOptions, LlmMode, Sleuth

OK, SOME_FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
"""0: everything done; 1: some inputs failed (each said why); 2: bad usage; 130: interrupted."""


def fail(message: str) -> int:
    """A usage error: one ``sleuth: `` line per line of the message, exit 2."""
    for line in message.splitlines() or [message]:
        print(f"sleuth: {line}", file=sys.stderr)
    return USAGE


def guard(run: Callable[[], int]) -> int:
    """Run a handler; the service's usage and settings errors become exit 2 with their lines.

    A file that cannot be read or written (a bad incident, an ``--out`` that is
    refused) is one line and exit 1, never a traceback.
    """
    with starting():  # the core's modules: most of every command's start-up
        from sleuth import IncidentError, SettingsError, UsageError

    try:
        return run()
    except (UsageError, SettingsError) as exc:
        return fail(str(exc))
    except BrokenPipeError:
        raise
    except (IncidentError, OSError) as exc:
        print(f"sleuth: {one_line(exc)}", file=sys.stderr)
        return SOME_FAILED


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def add_force_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--force``: the one way to replace an existing file (never a FIFO, device or link)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"replace {what} if it exists (a regular file only; never a FIFO, device or link)",
    )


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``handler`` under ``guard``, for ``set_defaults(handler=...)``."""
    return lambda args: guard(lambda: handler(args))


def status(total: int, done: int) -> int:
    return OK if done == total else SOME_FAILED


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="sleuth's config file (default $SLEUTH_CONFIG, else config.toml in the user config directory)",
    )


def add_diagnose_options(parser: argparse.ArgumentParser, *, llm: bool = True) -> None:
    """The options that say how to diagnose, shared by diagnose, explain and eval."""
    add_config_option(parser)
    if llm:
        parser.add_argument(
            "--no-llm", action="store_true", help="rules only (no model fallback); = --llm never"
        )
        parser.add_argument(
            "--llm",
            choices=["auto", "never", "always"],
            default=None,
            help="model fallback: auto (when rules are unsure), never, always (to compare)",
        )
        parser.add_argument(
            "--model", metavar="PATH", help="a GGUF model file (default: the bundled Gemma 3 270M)"
        )
    parser.add_argument("--infer-window", action="store_true", help="ignore the labelled window and find it")
    parser.add_argument(
        "--rules",
        action="append",
        metavar="PATH|none",
        help="rule files or directories, or `none` (repeatable)",
    )
    parser.add_argument(
        "--disable-rule", action="append", default=[], metavar="ID", help="skip a rule (repeatable)"
    )


def add_history_option(parser: argparse.ArgumentParser, *, record: bool = False) -> None:
    """``--history URL`` (and, for commands that diagnose, ``--record``)."""
    parser.add_argument(
        "--history",
        metavar="URL",
        help="history database: sqlite:///FILE or postgresql://... (default: [history] url in the "
        "config, else history.sqlite in the user data directory)",
    )
    if record:
        parser.add_argument(
            "--record",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="record each diagnosis in the history (default: [history] record in the config)",
        )


def service(args: argparse.Namespace) -> Sleuth:
    """The service with the settings of ``--config`` (and the environment); ``--history URL`` on top."""
    from sleuth import Sleuth, load_settings

    url = getattr(args, "history", None)
    overrides = {"history": {"url": url}} if isinstance(url, str) and url else {}
    return Sleuth(load_settings(getattr(args, "config", None), **overrides))


@contextlib.contextmanager
def starting() -> Iterator[None]:
    """Loading the core (its modules, the settings, the graph, the rule book) without the cyclic collector.

    Start-up makes hundreds of thousands of objects that live as long as the process and next to
    no cyclic garbage: collecting every 700 allocations would walk them over and over, and so
    would every later full collection. What was loaded is frozen, out of the collector's reach
    (``gc.freeze``), and the collector is back on, as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def recording(app: Sleuth, args: argparse.Namespace) -> bool:
    """Whether to record diagnoses: ``--record``/``--no-record``, else the config's ``[history] record``."""
    flag = getattr(args, "record", None)
    return bool(app.settings.history.record if flag is None else flag)


def diagnose_options(args: argparse.Namespace) -> DiagnoseOptions:
    from sleuth import DiagnoseOptions, UsageError

    no_llm = bool(getattr(args, "no_llm", False))
    mode = getattr(args, "llm", None)
    if no_llm and mode not in (None, "never"):
        raise UsageError(f"--no-llm contradicts --llm {mode}")
    llm: LlmMode = "never" if no_llm else (mode or ("auto" if hasattr(args, "llm") else "never"))
    return DiagnoseOptions(
        rules=tuple(args.rules) if args.rules else None,
        infer_window=bool(args.infer_window),
        disabled_rules=frozenset(args.disable_rule),
        llm=llm,
        model=getattr(args, "model", None),
    )


# The variables with which rich treats a stream that is not a terminal as one.
_RICH_TERMINAL_ENV = frozenset({"FORCE_COLOR", "TTY_COMPATIBLE"})


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, only when it is a terminal, so pipes and logs stay clean.

    It never refreshes from a thread of its own: workers are forked while it runs.
    """
    if total <= 1 or not (_stderr_is_tty() or _RICH_TERMINAL_ENV & os.environ.keys()):
        yield lambda: None  # rich decides the same, but importing it costs more than a small batch
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda: None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance() -> None:
            bar.advance(task)
            bar.refresh()

        yield advance


def print_lines(lines: Any, *, err: bool = False) -> None:
    for line in lines:
        print(line, file=sys.stderr if err else sys.stdout)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived: what was done so far is kept (a capture's samples, a batch's results), as on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def signal_exit_code(signum: int) -> int:
    """128 + the signal's number, as a shell reports a process the signal stopped."""
    return 128 + signum


class StopRequests:
    """The stop signals received so far; ``deferred()`` holds them off while something must finish whole."""

    def __init__(self, *, defer: bool) -> None:
        self.received: list[int] = []
        self.defer = defer

    def __bool__(self) -> bool:
        return bool(self.received)

    def __getitem__(self, index: int) -> int:
        return self.received[index]

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal arriving inside the block stops the work only once the block is done (a line is
        printed whole, a file written whole)."""
        before, self.defer = self.defer, True
        try:
            yield
        finally:
            self.defer = before
        if self.received and not before:
            raise Stopped(self.received[0])


@contextlib.contextmanager
def stop_signals(*, defer: bool = False) -> Iterator[StopRequests]:
    """Ctrl-C, SIGTERM and SIGHUP, caught and recorded.

    They stop the work in hand (``Stopped``, on which a capture keeps what it
    sampled and a batch what it finished); with ``defer``, or inside
    ``deferred()``, they only wait until what is being written is complete. A
    signal the caller set to be ignored (``nohup``) stays ignored.
    """
    requests = StopRequests(defer=defer)

    def caught(signum: int, _frame: FrameType | None) -> None:
        requests.received.append(signum)
        if not requests.defer:
            raise Stopped(signum)

    previous = {}
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, caught)
    try:
        yield requests
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
