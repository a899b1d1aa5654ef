"""``sleuth diagnose``, ``explain`` and ``eval``: incidents to ranked causes, their HOW and their accuracy.

Results stream: each incident's output is printed as soon as it and those
before it are done (the order of the files is kept), so a long batch shows
progress on stdout and Ctrl-C keeps what finished.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import (
    INTERRUPTED,
    OK,
    SOME_FAILED,
    Stopped,
    add_diagnose_options,
    add_force_option,
    add_history_option,
    diagnose_options,
    guarded,
    one_line,
    positive_int,
    progress,
    recording,
    service,
    signal_exit_code,
    starting,
    status,
    stop_signals,
)
from tui.cli.live import add_live_arguments, capture, resolve_dsn

if TYPE_CHECKING:
    from models import Diagnosis
    from sleuth import DiagnoseOptions, Sleuth

    Trace = Callable[[str], None] | None


STREAMING = (
    "Results stream: each incident's output is printed as soon as it and every file before it "
    "are done, always in the order the files were given (a directory's files sorted by path), "
    "whatever --jobs says. A file that cannot be diagnosed is one line on stderr and the batch "
    "goes on. Ctrl-C keeps what finished and exits 130. Exit 0: all diagnosed; 1: some failed; "
    "2: bad usage (checked before any work, --trace included)."
)


def register(sub: Any) -> None:
    d = sub.add_parser("diagnose", help="diagnose incident files (rules first)", description=STREAMING)
    d.add_argument("paths", nargs="*", metavar="PATH", help="incident files or directories")
    add_live_arguments(d)
    d.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    d.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes")
    d.add_argument("--trace", metavar="FILE", help="write every model and tool call as JSON lines")
    add_force_option(d, "the --trace file")
    add_diagnose_options(d)
    add_history_option(d, record=True)
    d.set_defaults(handler=guarded(_diagnose))

    e = sub.add_parser("explain", help="HOW each cause was concluded, or WHY NOT another")
    e.add_argument("incident", metavar="INCIDENT", help="an incident file")
    e.add_argument("--why-not", metavar="CAUSE", help="explain why this cause was not concluded")
    e.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="markdown: the diagnose report, with WHY NOT when asked",
    )
    add_diagnose_options(e, llm=False)
    e.set_defaults(handler=guarded(_explain))

    v = sub.add_parser("eval", help="accuracy and latency over labelled incidents")
    v.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    v.add_argument("--format", choices=["table", "json"], default="table")
    v.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes")
    v.add_argument(
        "--learn",
        nargs="?",
        const="rules,retrieval,planner",
        metavar="PARTS",
        help="leave-one-out over the incidents: learned rules, retrieval and the planner with history, "
        "each alone (PARTS: a comma list of rules, retrieval, planner; default all)",
    )
    add_diagnose_options(v)
    add_history_option(v)
    v.set_defaults(handler=guarded(_eval))


# ---- diagnose ------------------------------------------------------------------------------------


def _diagnose(args: argparse.Namespace) -> int:
    from sleuth import UsageError

    with starting():
        app = service(args)
        options = diagnose_options(args)
        app.check(options)
    if not args.paths:
        args.dsn = resolve_dsn(app, args.dsn)  # $SLEUTH_DSN: the password stays out of `ps`
    if not args.paths and not args.dsn:
        raise UsageError("give incident files or --dsn DSN")
    paths = _files(app, args.paths) if args.paths else []
    staged = _open_trace(app, args.trace, args.force)
    trace = None if staged is None else staged.write
    try:
        if args.dsn:
            code = _diagnose_live(app, args, options, paths, trace)
        else:
            code = _diagnose_files(app, args, options, paths, trace)
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    if staged is not None:
        staged.commit()  # an interrupted batch returns here too: what finished is traced
    return code


def _diagnose_files(
    app: Sleuth, args: argparse.Namespace, options: DiagnoseOptions, paths: list[Path], trace: Trace
) -> int:
    printer = _Printer(app, args.format)
    record = recording(app, args)
    done = failed = 0
    # Unless the history or the trace needs the diagnosis itself, the job that made it renders it.
    render = printer.render if trace is None and not record else None
    with progress(len(paths), "diagnosing") as tick, stop_signals() as stops:
        try:
            keep = args.format == "markdown" or record  # the signals are shown, or signed into the history
            outcomes = app.diagnose_files(paths, options, jobs=args.jobs, signals=keep, render=render)
            for outcome in outcomes:
                tick()
                dx, text = outcome.diagnosis, outcome.text
                if dx is None and text is None:
                    failed += 1
                    print(outcome.error, file=sys.stderr)
                    continue
                with stops.deferred():  # a line is printed whole, and counted with its trace
                    try:
                        if text is not None:
                            printer.write(text)
                        elif dx is not None:
                            printer.show(dx)
                    except Exception as exc:  # one report that cannot be drawn must not end the batch
                        failed += 1
                        print(f"{outcome.path}: cannot show the diagnosis: {one_line(exc)}", file=sys.stderr)
                        continue
                    done += 1
                    if dx is not None:
                        _trace(trace, dx)
                        if record:
                            app.record(dx, path=outcome.path, rules=options.rules)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP from a service manager (Stopped)
            sys.stdout.flush()
            print(f"interrupted: {done} of {len(paths)} diagnosed, {failed} failed", file=sys.stderr)
            return signal_exit_code(exc.signum) if isinstance(exc, Stopped) else INTERRUPTED
    return status(len(paths), done)


def _diagnose_live(
    app: Sleuth, args: argparse.Namespace, options: DiagnoseOptions, paths: list[Path], trace: Trace
) -> int:
    """Collect from the server, then diagnose the capture; the planner's tools read the server too."""
    incident, _samples, code = capture(args)
    if incident is None:
        return code
    printer = _Printer(app, args.format)
    if paths:
        code = max(code, _diagnose_files(app, args, options, paths, trace))
    dx = app.diagnose(incident, options, source=app.live_source(incident, args.dsn))
    printer.show(dx)
    _trace(trace, dx)
    if recording(app, args):
        app.record(dx, incident, rules=options.rules)
    return code


_RENDERERS = {"json": "json_record", "markdown": "markdown"}


class _Printer:
    """One incident's output in the chosen format, printed as it arrives.

    ``render`` may run in a forked worker: the renderers are imported here, before the fork,
    rather than once in each worker.
    """

    def __init__(self, app: Sleuth, fmt: str) -> None:
        import sleuth.render as renderers

        self.app = app
        self.fmt = fmt
        self.header = False
        # the chosen format's renderer alone, loaded before any worker forks
        getattr(renderers, _RENDERERS.get(fmt, "table_row"))

    def render(self, dx: Diagnosis) -> str:
        """The diagnosis as printed (without the table's header)."""
        if self.fmt == "json":
            from sleuth.render import json_record

            return json.dumps(json_record(dx))
        if self.fmt == "markdown":
            from sleuth.render import markdown, metric_units

            return markdown(dx, units=metric_units(self.app, [dx]))
        from sleuth.render import table_row

        return table_row(dx)

    def show(self, dx: Diagnosis) -> None:
        self._table_header()
        print(self.render(dx), flush=True)

    def write(self, text: str) -> None:
        """Print what ``render`` made."""
        self._table_header()
        print(text, flush=True)

    def _table_header(self) -> None:
        if self.fmt == "table" and not self.header:
            from sleuth.render import table_header

            print(table_header())
            self.header = True


def _open_trace(app: Sleuth, path: str | None, force: bool) -> Any:
    """The trace file, staged before any work so a bad path is found at once, not at the end."""
    from sleuth import UsageError

    if path is None:
        return None
    try:
        return app.open_output(Path(path), force=force)
    except OSError as exc:
        raise UsageError(f"--trace {exc}") from None


def _trace(trace: Trace, dx: Diagnosis) -> None:
    from models import TraceEvent

    if trace is None:
        return
    head = TraceEvent(kind="note", name="incident", output={"incident": dx.incident, "path": dx.path})
    trace("".join(event.model_dump_json() + "\n" for event in (head, *dx.trace)))


def _files(app: Sleuth, raw: list[str]) -> list[Path]:
    from sleuth import UsageError

    paths = app.incident_files(raw)
    if not paths:
        raise UsageError("no incident files found in " + " ".join(raw))
    return paths


# ---- explain ---------------------------------------------------------------------------------------


def _explain(args: argparse.Namespace) -> int:
    from sleuth import IncidentError
    from sleuth.render import how_text, markdown, metric_units, why_not_text

    app = service(args)
    options = diagnose_options(args)
    app.check(options)
    try:
        incident = app.load_incident(Path(args.incident))
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return SOME_FAILED
    why = app.why_not(incident, args.why_not, options) if args.why_not is not None else None
    if args.format == "json":
        print((why or app.diagnose(incident, options)).model_dump_json(indent=1))
        return OK
    if why is not None and args.format == "text":
        print(why_not_text(why, metric_units(app, [why])))
        return OK
    dx = app.diagnose(incident, options)
    units = metric_units(app, [dx] if why is None else [dx, why])
    if args.format == "markdown":
        print(markdown(dx, units=units, why_not=[why] if why is not None else []), flush=True)
    else:
        print(how_text(dx, units))
    return OK


# ---- eval ---------------------------------------------------------------------------------------------


def _eval(args: argparse.Namespace) -> int:
    from sleuth.render import evaluation_table as format_table

    app = service(args)
    options = diagnose_options(args)
    if args.learn is not None:
        return _eval_learning(app, args, options)
    app.check(options)
    paths = _files(app, args.paths)
    diagnoses: list[Diagnosis] = []
    with progress(len(paths), "evaluating") as tick:
        for outcome in app.diagnose_files(paths, options, jobs=args.jobs, signals=False):
            tick()
            if outcome.diagnosis is None:
                print(outcome.error, file=sys.stderr)
            else:
                diagnoses.append(outcome.diagnosis)
    report, planner = app.evaluate(diagnoses)
    if args.format == "json":
        print(json.dumps({**report.model_dump(mode="json"), "planner": planner.model_dump()}))
    else:
        print(format_table(report))
        if planner.cases:
            print(
                f"planner ({planner.cases} cases): top-1 {planner.top1:.1%}  top-3 {planner.top3:.1%}  "
                f"tool selection {planner.tool_selection:.1%}"
            )
    return status(len(paths), len(diagnoses))


def _eval_learning(app: Sleuth, args: argparse.Namespace, options: DiagnoseOptions) -> int:
    """``eval --learn``: each use of the past, leave-one-out, scored alone."""
    from sleuth import UsageError
    from sleuth.history.loo import PARTS
    from sleuth.render import evaluation_table as format_table

    parts = [p.strip() for p in args.learn.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise UsageError(
            f"--learn: unknown part {', '.join(unknown) or '(none)'}; choose from {', '.join(PARTS)}"
        )
    paths = _files(app, args.paths)
    result = app.evaluate_learning(paths, [p for p in PARTS if p in parts], options)
    for line in result.skipped:
        print(line, file=sys.stderr)
    if "planner" in parts and result.planner is None:
        print("planner part skipped: it needs the model (drop --no-llm)", file=sys.stderr)
    sections: dict[str, Any] = {}
    if result.rules is not None:
        sections["rules"] = result.rules.model_dump(mode="json")
    if result.retrieval is not None:
        sections["retrieval"] = result.retrieval.model_dump(mode="json")
    if result.planner is not None:
        sections["planner"] = {
            **result.planner[0].model_dump(mode="json"),
            "planner": result.planner[1].model_dump(),
        }
    if args.format == "json":
        print(json.dumps({"cases": result.cases, "learn_s": result.learn_s, **sections}))
        return status(len(paths), result.cases)
    print(
        f"leave-one-out over {result.cases} incidents; learning from all of them took {result.learn_s:.2f} s"
    )
    titles = {
        "rules": "learned rules alone (shipped packs off)",
        "retrieval": "similar-incident retrieval alone",
        "planner": "planner, no rules, the other incidents as history",
    }
    for part, report in (("rules", result.rules), ("retrieval", result.retrieval)):
        if report is not None:
            print(f"\n== {titles[part]}\n{format_table(report)}")
    if result.planner is not None:
        report, score = result.planner
        print(f"\n== {titles['planner']}\n{format_table(report)}")
        print(
            f"planner ({score.cases} cases): top-1 {score.top1:.1%}  top-3 {score.top3:.1%}  "
            f"tool selection {score.tool_selection:.1%}"
        )
    return status(len(paths), result.cases)
