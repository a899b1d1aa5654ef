"""``sleuth diagnose``, ``explain``, ``eval`` and ``rules lint|test|list``: the rules from the shell.

``diagnose_one`` is the single seam between a file and a ``Diagnosis``; the
planner swaps its rules-only body for triage (rules first, LLM fallback)
without touching batching, output or exit codes.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from models import Diagnosis, Incident, WhyNot
from planner.config import PlannerConfig
from planner.evaluation import PlannerScore
from rules import RuleBook, RuleLoadError, diagnose_with_rules, load_rulebook
from rules.batch import Outcome, run_batch
from rules.book import check
from rules.engine import prepare
from rules.evaluation import EvalCase, evaluate_cases, format_table
from rules.explain import why_not
from rules.facts import PipelineGraph
from rules.render import how_text, json_record, markdown, table, why_not_text
from rules.ruletest import run_inline_tests
from rules.signals import SignalError
from sources.importers import IncidentError, expand_paths, load_incident
from tui.commands.live_cli import add_live_arguments, live_capture

OK, SOME_FAILED, USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments discovered after parsing (unknown rule id, broken rule files): exit 2."""


@dataclass(frozen=True)
class DiagnoseOptions:
    """Everything ``diagnose_one`` needs; frozen and picklable so pool workers get a copy."""

    rules: tuple[str, ...] | None = None  # None: shipped packs; ("none",): no rules
    infer_window: bool = False
    disabled_rules: frozenset[str] = frozenset()
    llm: str = "never"  # planner fallback: auto | never | always (``--llm``, ``--no-llm``)
    config: str | None = None  # planner config file (``--config``)
    model: str | None = None  # GGUF path overriding the config (``--model``)
    # ``diagnose --dsn``: the capture's file, and the DSN its planner tools read the live server with.
    live_path: str | None = None
    dsn: str | None = field(default=None, repr=False)


def register(sub: Any) -> None:
    d = sub.add_parser("diagnose", help="diagnose incident files (rules first)")
    d.add_argument("paths", nargs="*", metavar="PATH", help="incident files or directories")
    add_live_arguments(d, dsn_required=False)  # --dsn: collect live first (tui.commands.live_cli)
    d.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    d.add_argument("--jobs", type=_positive, default=1, metavar="N", help="worker processes")
    d.add_argument("--trace", metavar="FILE", help="write every model and tool call as JSON lines")
    _common(d)
    d.set_defaults(handler=_diagnose)

    e = sub.add_parser("explain", help="HOW each cause was concluded, or WHY NOT another")
    e.add_argument("incident", metavar="INCIDENT", help="an incident file")
    e.add_argument("--why-not", metavar="CAUSE", help="explain why this cause was not concluded")
    e.add_argument("--format", choices=["text", "json"], default="text")
    _common(e, llm=False)
    e.set_defaults(handler=_explain)

    v = sub.add_parser("eval", help="accuracy and latency over labelled incidents")
    v.add_argument("paths", nargs="+", metavar="PATH", help="incident files or directories")
    v.add_argument("--format", choices=["table", "json"], default="table")
    v.add_argument("--jobs", type=_positive, default=1, metavar="N", help="worker processes")
    _common(v)
    v.set_defaults(handler=_eval)

    r = sub.add_parser("rules", help="lint, test and list rule files")
    rsub = r.add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
    lint = rsub.add_parser("lint", help="check rule files; FILE:LINE:COL rule-id: message per problem")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    lint.set_defaults(handler=_lint)
    test = rsub.add_parser("test", help="run the inline tests of rule files")
    test.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    test.set_defaults(handler=_test)
    listing = rsub.add_parser("list", help="list the loaded rules")
    listing.add_argument(
        "--rules", action="append", metavar="PATH", help="rule files (default: shipped packs)"
    )
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list)


def diagnose_one(path: Path, options: DiagnoseOptions) -> Diagnosis:
    """One incident file to one diagnosis: rules first, then the planner as triage decides."""
    book, kg = _context(options.rules)
    incident = load_incident(path)
    if options.llm == "never":
        return diagnose_with_rules(
            incident, book, kg, infer_window=options.infer_window, disabled_rules=options.disabled_rules
        )
    from knowledge_graph import load_default_graph
    from planner.runner import triage_incident

    return triage_incident(
        incident,
        book,
        load_default_graph(),
        config=_planner_config(options),
        infer_window=options.infer_window,
        disabled_rules=options.disabled_rules,
        source=_live_source(path, incident, options),
    )


def _live_source(path: Path, incident: Incident, options: DiagnoseOptions) -> Any:
    """For the capture of ``diagnose --dsn``, planner tools read the live server too (read-only);
    any other file is read as it is."""
    if options.dsn is None or options.live_path != str(path):
        return None
    from sources.live import parse_dsn
    from sources.live.datasource import LiveSource

    return LiveSource(incident, parse_dsn(options.dsn))


# ---- handlers ------------------------------------------------------------------------------


def _diagnose(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_diagnose(args))


def _run_diagnose(args: argparse.Namespace) -> int:
    options = _options(args)
    given = set(args.paths or [])
    with live_capture(args) as (paths, live_code):
        if not paths:
            if live_code:
                return live_code
            raise UsageError("give incident files or --dsn DSN")
        captured = [p for p in paths if p not in given]
        if captured and args.dsn:
            options = replace(options, live_path=captured[0], dsn=args.dsn)
        outcomes = _batch(paths, options, args.jobs)
    done: list[Diagnosis] = []
    for outcome in outcomes:
        if outcome.diagnosis is None:
            print(outcome.error, file=sys.stderr)
            continue
        done.append(outcome.diagnosis)
        if args.format == "json":
            print(json.dumps(json_record(outcome.diagnosis)), flush=True)
        elif args.format == "markdown":
            print(markdown(outcome.diagnosis))
    if args.format == "table" and done:
        print(table(done))
    if args.trace:
        _write_trace(Path(args.trace), done)
    return max(_status(len(outcomes), len(done)), live_code)


def _explain(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_explain(args))


def _run_explain(args: argparse.Namespace) -> int:
    options = _options(args)
    book, kg = _context(options.rules)
    try:
        incident = load_incident(Path(args.incident))
    except IncidentError as exc:
        print(exc, file=sys.stderr)
        return SOME_FAILED
    if args.why_not is None:
        diagnosis = diagnose_with_rules(
            incident, book, kg, infer_window=options.infer_window, disabled_rules=options.disabled_rules
        )
        print(diagnosis.model_dump_json(indent=1) if args.format == "json" else how_text(diagnosis))
        return OK
    if not kg.has_cause(args.why_not):
        raise UsageError(
            f"unknown cause {args.why_not!r}: not a cause of the knowledge graph (see `sleuth kg stats`, `sleuth kg show CAUSE`)"
        )
    why = _why_not(incident, args.why_not, book, kg, options)
    print(why.model_dump_json(indent=1) if args.format == "json" else why_not_text(why))
    return OK


def _eval(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_eval(args))


def _run_eval(args: argparse.Namespace) -> int:
    options = _options(args)
    outcomes = _batch(args.paths, options, args.jobs)
    cases: list[EvalCase] = []
    for outcome in outcomes:
        if outcome.diagnosis is None:
            print(outcome.error, file=sys.stderr)
        else:
            cases.append(EvalCase.from_diagnosis(outcome.diagnosis))
    report = evaluate_cases(cases)
    planner = _planner_score([o.diagnosis for o in outcomes if o.diagnosis is not None])
    if args.format == "json":
        print(json.dumps({**report.model_dump(mode="json"), "planner": planner.model_dump()}))
    else:
        print(format_table(report))
        if planner.cases:
            print(
                f"planner ({planner.cases} cases): top-1 {planner.top1:.1%}  top-3 {planner.top3:.1%}  "
                f"tool selection {planner.tool_selection:.1%}"
            )
    return _status(len(outcomes), len(cases))


def _lint(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_lint(args))


def _run_lint(args: argparse.Namespace) -> int:
    packs, problems = check([Path(p) for p in args.paths], _graph())
    for problem in problems:
        print(problem)
    rules = sum(len(p.pack.rules) for p in packs)
    print(f"{rules} rules in {len(packs)} files, {len(problems)} problems", file=sys.stderr)
    return SOME_FAILED if problems else OK


def _test(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_test(args))


def _run_test(args: argparse.Namespace) -> int:
    kg = _graph()
    try:
        book = load_rulebook([Path(p) for p in args.paths], graph=kg)
    except RuleLoadError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return SOME_FAILED

    def diagnose(incident: Incident) -> Diagnosis:
        return diagnose_with_rules(incident, book, kg)

    results = run_inline_tests(book, load_incident, diagnose)
    for result in results:
        print(result, file=sys.stdout if result.passed else sys.stderr)
    failed = sum(1 for r in results if not r.passed)
    print(f"{len(results) - failed} passed, {failed} failed", file=sys.stderr)
    return SOME_FAILED if failed else OK


def _list(args: argparse.Namespace) -> int:
    return _guard(lambda: _run_list(args))


def _run_list(args: argparse.Namespace) -> int:
    book, _kg = _context(tuple(args.rules) if args.rules else None)
    rows = [
        {
            "id": rule.id,
            "pack": book.pack_of(rule.id),
            "concludes": rule.then.cause or f"fact:{rule.then.fact}",
            "certainty": rule.certainty,
            "salience": rule.salience,
            "engines": rule.engines,
            "title": rule.title,
        }
        for rule in book.rules
    ]
    if args.format == "json":
        for row in rows:
            print(json.dumps(row))
        return OK
    print(f"{'id':<36} {'pack':<10} {'concludes':<30} {'cf':>4} {'sal':>4}  title")
    for row in rows:
        print(
            f"{row['id']:<36} {row['pack']:<10} {row['concludes']:<30} "
            f"{row['certainty']:>4.2f} {row['salience']:>4}  {row['title']}"
        )
    return OK


# ---- helpers -------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, *, llm: bool = True) -> None:
    if llm:
        p.add_argument("--no-llm", action="store_true", help="rules only (no model fallback); = --llm never")
        p.add_argument(
            "--llm",
            choices=["auto", "never", "always"],
            default=None,
            help="model fallback: auto (when rules are unsure), never, always (to compare)",
        )
        p.add_argument(
            "--config", metavar="FILE", help="planner config (default ~/.config/sleuth/config.toml)"
        )
        p.add_argument(
            "--model", metavar="PATH", help="a GGUF model file (default: the bundled Gemma 3 270M)"
        )
    p.add_argument("--infer-window", action="store_true", help="ignore the labelled window and find it")
    p.add_argument(
        "--rules",
        action="append",
        metavar="PATH|none",
        help="rule files or directories, or `none` (repeatable)",
    )
    p.add_argument(
        "--disable-rule", action="append", default=[], metavar="ID", help="skip a rule (repeatable)"
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _options(args: argparse.Namespace) -> DiagnoseOptions:
    rules = tuple(args.rules) if args.rules else None
    if rules is not None and "none" in rules and len(rules) > 1:
        raise UsageError("--rules none cannot be combined with rule paths")
    options = DiagnoseOptions(
        rules=rules,
        infer_window=bool(args.infer_window),
        disabled_rules=frozenset(args.disable_rule),
        llm=_llm_mode(args),
        config=getattr(args, "config", None),
        model=getattr(args, "model", None),
    )
    if options.llm != "never":
        _planner_config(options)  # a bad config file is a usage error, before any work
    book, _kg = _context(options.rules)
    unknown = sorted(r for r in options.disabled_rules if not book.has_rule(r))
    if unknown:
        raise UsageError(f"--disable-rule: unknown rule id {', '.join(unknown)}")
    return options


def _llm_mode(args: argparse.Namespace) -> str:
    if getattr(args, "no_llm", False):
        if getattr(args, "llm", None) not in (None, "never"):
            raise UsageError("--no-llm contradicts --llm " + str(args.llm))
        return "never"
    mode: str | None = getattr(args, "llm", None)
    return mode or ("auto" if hasattr(args, "llm") else "never")


@functools.lru_cache(maxsize=4)
def _planner_config(options: DiagnoseOptions) -> PlannerConfig:
    from planner.config import ConfigError, load_config

    try:
        return load_config(
            Path(options.config) if options.config else None,
            mode=options.llm,
            model_path=options.model,
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _planner_score(diagnoses: Sequence[Diagnosis]) -> PlannerScore:
    from knowledge_graph import load_default_graph
    from planner.evaluation import planner_score

    return planner_score(diagnoses, load_default_graph())


def _write_trace(path: Path, diagnoses: Sequence[Diagnosis]) -> None:
    from models import TraceEvent
    from planner.trace import write_jsonl

    events = [
        e
        for dx in diagnoses
        for e in (
            TraceEvent(kind="note", name="incident", output={"incident": dx.incident, "path": dx.path}),
            *dx.trace,
        )
    ]
    try:
        write_jsonl(path, events)
    except OSError as exc:
        raise UsageError(f"--trace {path}: {exc.strerror or exc}") from None


@functools.lru_cache(maxsize=8)
def _context(rules: tuple[str, ...] | None) -> tuple[RuleBook, PipelineGraph]:
    """The rule book and graph, loaded once per process (pool workers included)."""
    kg = _graph()
    if rules == ("none",):
        return RuleBook.empty(), kg
    try:
        book = load_rulebook([Path(p) for p in rules] if rules else None, graph=kg)
    except RuleLoadError as exc:
        raise UsageError("\n".join(exc.lines)) from None
    prepare(book)  # compile once here, so no diagnosis's elapsed_ms carries it
    return book, kg


@functools.lru_cache(maxsize=1)
def _graph() -> PipelineGraph:
    from knowledge_graph import GraphLoadError, load_default_graph

    try:
        graph: PipelineGraph = load_default_graph()
    except GraphLoadError as exc:
        raise UsageError(f"knowledge graph: {exc}") from None
    return graph


def _batch(raw_paths: Sequence[str], options: DiagnoseOptions, jobs: int) -> list[Outcome]:
    paths = list(expand_paths(raw_paths))
    if not paths:
        raise UsageError("no incident files found in " + " ".join(raw_paths))
    worker = functools.partial(diagnose_one, options=options)
    if len(paths) == 1:
        return list(run_batch(paths, worker, jobs=1))
    return _with_progress(paths, lambda tick: list(run_batch(paths, worker, jobs=jobs, on_done=tick)))


def _with_progress(
    paths: Sequence[Path], run: Callable[[Callable[[Outcome], None]], list[Outcome]]
) -> list[Outcome]:
    """A rich progress bar on stderr, only when stderr is a terminal so pipes and logs stay clean."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("diagnosing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("diagnose", total=len(paths))
        return run(lambda _outcome: progress.advance(task))


def _why_not(
    incident: Incident, cause: str, book: RuleBook, kg: PipelineGraph, options: DiagnoseOptions
) -> WhyNot:
    try:
        return why_not(
            incident,
            cause,
            book,
            kg,
            infer_window=options.infer_window,
            disabled_rules=options.disabled_rules,
        )
    except SignalError as exc:
        raise UsageError(str(exc)) from None


def _status(total: int, diagnosed: int) -> int:
    return OK if diagnosed == total else SOME_FAILED


def _guard(run: Callable[[], int]) -> int:
    try:
        return run()
    except UsageError as exc:
        for line in str(exc).splitlines():
            print(f"sleuth: {line}", file=sys.stderr)
        return USAGE
