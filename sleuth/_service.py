"""``Sleuth``: the one headless service every entry point goes through.

It owns what is expensive to load and must be loaded once: the settings, the
knowledge graph, the rule books, the planner's model. The command line, the
terminal UI, the benchmarks and the tests all call these use cases instead of
composing the core themselves, so a diagnosis is the same whichever door it
came through.

Core packages are imported inside the methods: building a ``Sleuth`` costs
nothing, so ``sleuth tui`` paints before durable_rules, networkx and numpy are
loaded, and ``sleuth validate`` never loads them at all. The rule engine is
serialised by ``rules.engine`` itself, so the methods are safe to call from
worker threads.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from sleuth import _batch
from sleuth._errors import UsageError
from sleuth._options import DiagnoseOptions
from sleuth._rulebooks import RuleBooks
from sleuth._settings import Settings, load_settings

if TYPE_CHECKING:
    from knowledge_graph import KnowledgeGraph
    from models import Diagnosis, Engine, Fact, Incident, TimeWindow, WhyNot
    from planner.backends import Model
    from planner.config import PlannerConfig
    from planner.evaluation import PlannerScore
    from planner.observer import PlannerObserver
    from planner.tools.datasource import DataSource
    from planner.tools.history import IncidentHistory
    from rules import Problem, RuleBook
    from rules.evaluation import EvalReport
    from rules.learn import LearnedPack
    from sleuth._views import IncidentRef, KgCause, RuleTestOutcome
    from sleuth.history import History, HistoryEntry, VerdictKind
    from sleuth.history.loo import LearningEval, Part
    from sleuth.notify import Notifier
    from sleuth.watch import FleetRunner, Target, WatchEvent
    from sleuth.watch.spool import Spool
    from sources.errors import IncidentError
    from sources.evalsets import EvalSetOptions, EvalSets
    from sources.output_files import StagedFile

DEFAULT_OPTIONS = DiagnoseOptions()


class Sleuth:
    """The application: settings in, use cases out.

    ``model`` replaces the configured planner model (tests queue canned
    answers with a scripted one); ``graph`` replaces the shipped knowledge
    graph files (tests use a tiny fixture graph).
    """

    def __init__(self, settings: Settings | None = None, *, model: Model | None = None) -> None:
        self.settings = settings if settings is not None else load_settings()
        self._model = model
        self._lock = threading.RLock()
        self._graph: KnowledgeGraph | None = None
        self._history: History | None = None
        self.rules = RuleBooks(lambda: self.graph, self.settings.rules, self.settings.compiled_dir)

    # -- what is loaded once ----------------------------------------------------------------------

    @property
    def graph(self) -> KnowledgeGraph:
        """The knowledge graph; ``UsageError`` lists every problem of graph files that do not load."""
        with self._lock:
            if self._graph is None:
                from knowledge_graph import GraphLoadError
                from sleuth._compiled import load_graph

                try:
                    self._graph = load_graph(self.settings.graph, self.settings.compiled_dir)
                except GraphLoadError as exc:
                    raise UsageError("\n".join(str(p) for p in exc.problems)) from None
            return self._graph

    @property
    def history(self) -> History:
        """The history of diagnoses (``sleuth.history``); its database opens on first use."""
        with self._lock:
            if self._history is None:
                from sleuth.history import History

                self._history = History(self._history_url, self.load_incident)
            return self._history

    def history_available(self) -> bool:
        """Whether a history exists to compare diagnoses with, asked without opening (or importing) it.

        Every diagnosis asks, so the answer costs one look at the disk: a history created
        meanwhile (by ``record``, or by another process) is found by the next diagnosis.
        """
        if self._history is not None:
            return self._history.available()
        from sleuth.history.location import exists

        return exists(self._history_url)

    @functools.cached_property
    def _history_url(self) -> str:
        """Resolved once, as ``history`` is: the user's data directory is looked up through platformdirs."""
        from sleuth.history.location import default_url

        url = self.settings.history.url
        return url.get_secret_value() if url else default_url()

    def book(self, rules: tuple[str, ...] | None = None) -> RuleBook:
        return self.rules.get(rules)

    def preload(self, *, history: bool = True) -> None:
        """Load now what a first diagnosis would, by diagnosing a made-up incident per engine
        (``sleuth._preload``), and, with ``history``, open the history and read its past incidents.

        A process that runs for weeks (the watcher) then reaches its working size at start, so
        later growth is a leak rather than a first incident paying for lazy imports, and a rule
        book that cannot run says so before the first sample. A history that cannot be reached
        now is not an error here: recording retries it.
        """
        from typing import get_args

        from models.incident import Engine
        from sleuth._preload import warm_incident
        from sleuth.history import HistoryError

        if history:
            try:
                self.history.store  # noqa: B018 - opening it creates and migrates the database
            except HistoryError:
                history = False
        past = self.history.past() if history else None
        for engine in get_args(Engine):
            incident = warm_incident(engine)
            self.diagnose(incident, past=past).model_dump_json()
            incident.model_dump_json()

    def planner_config(self, options: DiagnoseOptions = DEFAULT_OPTIONS) -> PlannerConfig:
        """The configured planner with this run's mode and model file; a missing model file is a usage error."""
        from pydantic import ValidationError

        from planner.config import PlannerConfig

        data = self.settings.planner.model_dump()
        data["mode"] = options.llm
        if options.model is not None:
            data["model_path"] = options.model
        try:
            return PlannerConfig.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UsageError(f"planner.{where}: {first['msg'].removeprefix('Value error, ')}") from None

    def model(self, config: PlannerConfig) -> Model:
        """The planner's model for ``config``, created on first use and shared by every investigation."""
        if self._model is not None:
            return self._model
        return _shared_model(config.model_dump_json())

    def check(self, options: DiagnoseOptions) -> None:
        """Everything about ``options`` that can be wrong, found before any work: rules, ids, planner."""
        book = self.book(options.rules)
        unknown = sorted(r for r in options.disabled_rules if not book.has_rule(r))
        if unknown:
            raise UsageError(f"--disable-rule: unknown rule id {', '.join(unknown)}")
        if options.llm != "never":
            self.planner_config(options)
        self.graph  # noqa: B018 - a broken graph is a usage error now, not one per incident

    # -- incidents -----------------------------------------------------------------------------------

    def load_incident(self, path: Path) -> Incident:
        from sources.incident_files import load_incident

        return load_incident(path, max_bytes=self.settings.max_file_bytes)

    def write_incident(self, incident: Incident, path: Path, *, force: bool = False) -> Path:
        """Write an incident file atomically (``sources.output_files``): never over anything but a
        regular file, over an existing one only with ``force``; ``OutputError`` (an ``OSError``) if not."""
        from sources.incident_files import write_incident

        return write_incident(incident, path, force=force)

    def check_output(self, path: Path, *, force: bool = False, parents: bool = True) -> None:
        """Raise ``OutputError`` now if writing ``path`` later would fail or clobber, before any work."""
        from sources.output_files import check_destination

        check_destination(path, force=force, parents=parents)

    def check_output_folder(self, folder: Path) -> None:
        """Raise ``OutputError`` now unless files can be written in ``folder`` (created if missing)."""
        from sources.output_files import check_folder

        check_folder(folder)

    def open_output(self, path: Path, *, force: bool = False, parents: bool = False) -> StagedFile:
        """A file written beside ``path`` and moved into place whole by its ``commit`` (a trace, an export)."""
        from sources.output_files import StagedFile

        return StagedFile(path, force=force, parents=parents)

    def write_text(self, path: Path, text: str, *, force: bool = False, parents: bool = False) -> Path:
        """Write any other output (a graph export, a learned pack) as ``write_incident`` writes incidents."""
        from sources.output_files import write_text

        return write_text(path, text, force=force, parents=parents)

    def import_dbsherlock(self, directory: Path) -> Iterator[Incident | IncidentError]:
        """The cases of a DBSherlock directory, each an incident or the one-line reason it is not."""
        from sources.importers import import_dbsherlock

        return import_dbsherlock(directory)

    def make_eval_sets(self, cases: Sequence[Incident], options: EvalSetOptions) -> EvalSets:
        """Synthetic compounds and healthy slices of labelled single-cause cases (``sources.evalsets``).

        Metric units come from the graph, so the physical caps hold for vendor names too.
        """
        from sources.evalsets import generate

        graph = self.graph

        def unit_of(name: str) -> str:
            alias = graph.resolve_alias(name)
            return graph.metric_info(alias.metric).unit if alias is not None else ""

        return generate(cases, options, unit_of)

    def import_metrics(
        self,
        kind: Literal["prometheus", "cloudwatch"],
        path: Path,
        *,
        engine: Engine | None = None,
        incident_id: str | None = None,
        title: str = "",
        window: TimeWindow | None = None,
        labels: Sequence[str] = (),
    ) -> Incident:
        """A Prometheus ``query_range`` answer or CloudWatch ``GetMetricData`` output as an incident.

        ``UsageError`` for a label the knowledge graph does not know (evaluation could never match it).
        """
        from sources.importers import ImportOptions, import_cloudwatch, import_prometheus

        if labels:
            graph = self.graph
            for cause in labels:
                if not graph.has_cause(cause):
                    raise UsageError(f"--label {cause!r}: {_close_matches(cause, graph.cause_ids())}")

        options = ImportOptions(engine, incident_id, title, window, list(labels))
        importer = import_prometheus if kind == "prometheus" else import_cloudwatch
        return importer(path, options)

    def incident_files(self, paths: Sequence[str | Path]) -> list[Path]:
        from sources.incident_files import expand_paths

        return list(expand_paths(paths))

    def list_incidents(self, root: Path) -> list[IncidentRef]:
        from sleuth._discovery import find_incidents

        return find_incidents(root)

    # -- diagnosis ----------------------------------------------------------------------------------

    def diagnose(
        self,
        incident: Incident,
        options: DiagnoseOptions = DEFAULT_OPTIONS,
        *,
        source: DataSource | None = None,
        observer: PlannerObserver | None = None,
        cancel: threading.Event | None = None,
        past: IncidentHistory | None = None,
    ) -> Diagnosis:
        """Rules first; the planner as ``options.llm`` and triage decide. ``source`` is what its tools read.

        ``past`` replaces the history's confirmed incidents (which the planner may consult and
        the diagnosis lists when they resemble it); without a history there are none.
        """
        from rules import diagnose_with_rules

        book, graph = self.book(options.rules), self.graph
        if past is None and self.history_available():
            past = self.history.past()

        def run_rules(extra: Sequence[Fact]) -> Diagnosis:
            return diagnose_with_rules(
                incident,
                book,
                graph,
                infer_window=options.infer_window,
                disabled_rules=options.disabled_rules,
                extra_facts=tuple(extra),
            )

        if options.llm == "never":
            return self._with_similar(run_rules(()), incident, past)
        from planner.triage import diagnose as triage

        config = self.planner_config(options)
        dx = triage(
            incident,
            graph=graph,
            run_rules=run_rules,
            model_factory=lambda: self.model(config),
            config=config,
            source=source,
            cancel=cancel,
            observer=observer,
            history=past,
        )
        return self._with_similar(dx, incident, past)

    def _with_similar(self, dx: Diagnosis, incident: Incident, past: IncidentHistory | None) -> Diagnosis:
        k = self.settings.history.similar
        if past is None or k == 0:
            return dx
        found = past.similar(dx.signals, incident.instance.engine, k)
        return dx.model_copy(update={"similar": found}) if found else dx

    def diagnose_file(self, path: Path, options: DiagnoseOptions = DEFAULT_OPTIONS) -> Diagnosis:
        return self.diagnose(self.load_incident(path), options)

    def diagnose_files(
        self,
        paths: Sequence[Path],
        options: DiagnoseOptions = DEFAULT_OPTIONS,
        *,
        jobs: int = 1,
        signals: bool = True,
        render: Callable[[Diagnosis], str] | None = None,
    ) -> Iterator[_batch.Outcome]:
        """Outcomes in the order of ``paths``, streamed; everything is loaded before workers fork.

        ``signals=False`` leaves each diagnosis' signal facts out, for callers that show only the
        causes: they are most of a diagnosis, and a worker would copy them back for nothing.
        ``render``, for callers that only print each diagnosis, makes its text in the job that
        diagnosed it: the outcome holds that ``text`` instead of the diagnosis (a worker sends
        back a string, not a diagnosis to pickle). A diagnosis ``render`` fails on comes back
        whole, so the caller's own attempt to show it says why it cannot be shown.
        """
        import sources.incident_files  # noqa: F401 - loaded before workers fork, rather than in each

        self.check(options)
        if options.llm == "never":
            from rules.engine import prepare

            prepare(self.book(options.rules))
        if self.history_available():
            self.history.past()  # loaded before workers fork, so each inherits it
        worker = functools.partial(self._diagnose_file, options=options, signals=signals, render=render)
        return _batch.run(paths, worker, jobs=jobs)

    def _diagnose_file(
        self,
        path: Path,
        *,
        options: DiagnoseOptions,
        signals: bool,
        render: Callable[[Diagnosis], str] | None,
    ) -> Diagnosis | str:
        dx = self.diagnose_file(path, options)
        if render is not None:
            with contextlib.suppress(Exception):
                return render(dx)
        return dx if signals else dx.model_copy(update={"signals": []})

    def investigate(
        self,
        incident: Incident,
        observer: PlannerObserver | None = None,
        cancel: threading.Event | None = None,
    ) -> Diagnosis:
        """The planner's investigation whatever triage would say: the user asked for it."""
        return self.diagnose(incident, DiagnoseOptions(llm="always"), observer=observer, cancel=cancel)

    def why_not(self, incident: Incident, cause: str, options: DiagnoseOptions = DEFAULT_OPTIONS) -> WhyNot:
        """Why ``cause`` was not concluded; ``UsageError`` for a cause the graph does not know."""
        from rules.explain import why_not
        from rules.signals import SignalError

        graph = self.graph
        if not graph.has_cause(cause):
            raise UsageError(f"unknown cause {cause!r}: {_close_matches(cause, graph.cause_ids())}")
        try:
            return why_not(
                incident,
                cause,
                self.book(options.rules),
                graph,
                infer_window=options.infer_window,
                disabled_rules=options.disabled_rules,
            )
        except SignalError as exc:
            raise UsageError(str(exc)) from None

    def evaluate(self, diagnoses: Sequence[Diagnosis]) -> tuple[EvalReport, PlannerScore]:
        """Accuracy of labelled diagnoses, and of the planner where it ran."""
        from planner.evaluation import planner_score
        from rules.evaluation import EvalCase, evaluate_cases

        report = evaluate_cases(EvalCase.from_diagnosis(d) for d in diagnoses)
        return report, planner_score(diagnoses, self.graph)

    # -- history ----------------------------------------------------------------------------------

    def record(
        self,
        diagnosis: Diagnosis,
        incident: Incident | None = None,
        *,
        path: Path | None = None,
        source: str = "cli",
        rules: tuple[str, ...] | None = None,
    ) -> HistoryEntry:
        """Store a diagnosis with the version of the rules (``rules``, as ``DiagnoseOptions.rules``) behind it.

        The incident is read from ``path`` when not given; the history is created if it is not there.
        """
        from sleuth.history.desk import rulebook_version

        if incident is None:
            if path is None:
                raise UsageError("recording a diagnosis needs its incident or the incident's file")
            incident = self.load_incident(path)
        version = rulebook_version(self.rules.files(rules))
        return self.history.record(diagnosis, incident, path=path, source=source, rulebook=version)

    def confirm(self, ref: str, causes: Sequence[str], note: str = "") -> HistoryEntry:
        """The DBA confirms causes of an incident: a record number, an incident file or an incident id.

        A file never recorded is diagnosed (rules only) and recorded first; a cause the
        knowledge graph does not know is refused with the closest ones it does.
        """
        return self._judge(ref, causes, "confirmed", note)

    def reject(self, ref: str, cause: str, note: str = "") -> HistoryEntry:
        """The DBA says ``cause`` is not what happened (the incident is referred to as in ``confirm``)."""
        return self._judge(ref, [cause], "rejected", note)

    def _judge(self, ref: str, causes: Sequence[str], verdict: VerdictKind, note: str) -> HistoryEntry:
        graph = self.graph
        for cause in causes:
            if not graph.has_cause(cause):
                raise UsageError(f"unknown cause {cause!r}: {_close_matches(cause, graph.cause_ids())}")
        path = Path(ref).expanduser()
        if self.history.resolve(ref) is None and path.is_file():
            incident = self.load_incident(path)
            self.record(self.diagnose(incident), incident, path=path)
        return self.history.judge(ref, causes, verdict, note)

    def learn_rules(
        self,
        paths: Sequence[Path] = (),
        *,
        from_history: bool = False,
        out: Path | None = None,
        name: str = "learned",
        force: bool = False,
    ) -> LearnedPack:
        """A rule pack learned from labelled incident files and/or the history's confirmed incidents.

        ``out`` is where the pack will be written (its inline tests point at the incidents
        relative to it; confirmed incidents kept only in the history are written beside it,
        replacing files of an earlier run only with ``force``).
        """
        from rules.learn import learn_pack
        from sleuth.history.learning import file_examples, kept_beside

        examples, skipped = file_examples(self.incident_files(paths) if paths else [], self.load_incident)
        if from_history:
            confirmed, missed = self.history.examples()
            if out is not None:
                confirmed = kept_beside(confirmed, out, functools.partial(self.write_incident, force=force))
            examples += confirmed
            skipped += missed
        if not examples:
            why = "; ".join(skipped[:3]) or "no labelled incident files and no confirmed history"
            raise UsageError(f"nothing to learn from: {why}")
        learned = learn_pack(examples, self.graph, name=name, out=out)
        return replace(learned, skipped=(*skipped, *learned.skipped))

    def evaluate_learning(
        self, paths: Sequence[Path], parts: Sequence[Part], options: DiagnoseOptions = DEFAULT_OPTIONS
    ) -> LearningEval:
        """Leave-one-out over labelled incidents: learned rules, retrieval, the planner with history.

        The planner part diagnoses with no rules and the configured model, the other incidents
        as its history; it does not run when ``options.llm`` is ``never``.
        """
        from sleuth.history.learning import file_examples
        from sleuth.history.loo import leave_one_out

        examples, skipped = file_examples(list(paths), self.load_incident)
        planner = replace(options, rules=("none",))
        if options.llm == "never":
            parts = [p for p in parts if p != "planner"]
        elif "planner" in parts:
            self.check(planner)

        def with_history(incident: Incident, past: IncidentHistory) -> Diagnosis:
            return self.diagnose(incident, planner, past=past)

        result = leave_one_out(
            examples, self.graph, parts, infer_window=options.infer_window, diagnose_with_history=with_history
        )
        return replace(result, skipped=(*skipped, *result.skipped))

    # -- rule authoring -----------------------------------------------------------------------------

    def lint(self, paths: Sequence[Path]) -> tuple[int, int, list[Problem]]:
        """(files, rules, problems) of rule files, checked against the graph."""
        from rules.book import check

        packs, problems = check(list(paths), self.graph)
        return len(packs), sum(len(p.pack.rules) for p in packs), problems

    def test_rules(
        self, paths: Sequence[Path] | None = None, rule_id: str | None = None
    ) -> list[RuleTestOutcome]:
        """The inline tests of rule files (default: the configured rules), each incident diagnosed once.

        ``UsageError`` when the files do not load; ``rule_id`` keeps one rule's tests.
        """
        from rules import diagnose_with_rules
        from rules.ruletest import run_inline_tests
        from sleuth._views import RuleTestOutcome

        book = self.book(tuple(str(p) for p in paths) if paths is not None else None)
        graph = self.graph

        def diagnose(incident: Incident) -> Diagnosis:
            return diagnose_with_rules(incident, book, graph)

        return [
            RuleTestOutcome(r.where, r.rule, r.incident, r.passed, "; ".join(r.failures) or "ok")
            for r in run_inline_tests(book, self.load_incident, diagnose)
            if rule_id is None or r.rule == rule_id
        ]

    # -- the knowledge graph, for explorers -------------------------------------------------------

    def cause_ids(self) -> list[str]:
        return sorted(self.graph.cause_ids())

    def canonical_metrics(self, names: Sequence[str]) -> dict[str, str | None]:
        graph = self.graph
        return {n: (n if graph.has_metric(n) else graph.resolve_metric(n)) for n in names}

    def metric_aliases(self) -> dict[str, str]:
        """Every vendor name the graph knows, lower-cased, and the metric it names: an explorer's
        search by part of a name (``pg_locks`` for ``pg_locks.waiting``) needs the whole table."""
        graph = self.graph
        found: dict[str, str] = {}
        for name in graph.aliases():
            metric = graph.resolve_metric(name)
            if metric is not None:
                found[name.lower()] = metric
        return found

    def kg_causes(self) -> list[KgCause]:
        """Every cause with its symptoms (and the metrics showing them), checks and remediations."""
        from sleuth._views import KgCause, KgCheck, KgMetric, KgSymptom

        graph = self.graph
        causes: list[KgCause] = []
        for cause in graph.cause_ids():
            symptoms = tuple(
                KgSymptom(
                    symptom,
                    graph.title(symptom),
                    tuple(KgMetric(metric, direction) for metric, direction in graph.observed_by(symptom)),
                )
                for symptom in sorted(graph.symptoms_of(cause))
            )
            checks = tuple(KgCheck(c.id, c.title, c.tool) for c in graph.checks_for(cause))
            causes.append(
                KgCause(cause, graph.title(cause), symptoms, checks, tuple(graph.remediations(cause)))
            )
        return causes

    def check_graph(self, rule_dirs: Sequence[Path] = ()) -> tuple[dict[str, int], list[Problem]]:
        """The node counts of the configured graph files, and every problem in them and in the rule
        files' references into the graph (the files are checked even where they do not load)."""
        from knowledge_graph import check_graph, graph_stats
        from rules.book import check_references

        graph, problems = check_graph(self.settings.graph or None)
        return graph_stats(graph)["nodes"], sorted([*problems, *check_references(list(rule_dirs), graph)])

    def graph_stats(self) -> dict[str, dict[str, int]]:
        from knowledge_graph import graph_stats

        return graph_stats(self.graph)

    def export_graph(self, fmt: str) -> str:
        """The graph as GraphML, DOT or JSON (``GRAPH_FORMATS``)."""
        from knowledge_graph import export_graph

        return export_graph(self.graph, fmt)

    # -- live servers -----------------------------------------------------------------------------

    def live_source(self, incident: Incident, dsn: str) -> DataSource:
        """What the planner's tools read for a capture: the live server it came from, read-only."""
        from sources.live import parse_dsn
        from sources.live.datasource import LiveSource

        return LiveSource(incident, parse_dsn(dsn))

    # -- watching -----------------------------------------------------------------------------------

    def watch_targets(
        self, *, fleet: Path | None = None, dsn: str | None = None, name: str | None = None
    ) -> list[Target]:
        """The servers ``sleuth watch`` keeps an eye on: a fleet file's, else one DSN (default the
        configured ``dsn``); ``UsageError`` (``FILE:LINE:COL`` lines for a fleet file) when unusable."""
        from sleuth.watch.targets import fleet_targets, load_fleet, single_target

        config = self.settings.watch
        if fleet is not None:
            if dsn is not None:
                raise UsageError("give --fleet or --dsn, not both")
            return fleet_targets(load_fleet(fleet), config)
        given = dsn or (self.settings.dsn.get_secret_value() if self.settings.dsn is not None else None)
        if not given:
            raise UsageError("no server to watch: pass --dsn, set $SLEUTH_DSN, or give --fleet FILE")
        return [single_target(given, config, name)]

    def watch_spool(
        self, *, incidents: Path | None = None, state: Path | None = None, history: bool = True
    ) -> Spool:
        """Where the watcher keeps incident files and its state (created now, so a bad path fails first)."""
        from sleuth._settings import user_data_dir
        from sleuth.watch.spool import Spool

        config = self.settings.watch
        incidents = incidents or config.incidents_dir or user_data_dir() / "watch" / "incidents"
        state = state or config.state_dir or user_data_dir() / "watch" / "state"
        for folder in (incidents, state):
            self.check_output_folder(folder)
        return Spool(self, incidents, state, history=history)

    def notifier(
        self,
        out: IO[str] | None,
        *,
        urls: Sequence[str] = (),
        hook: Sequence[str] = (),
    ) -> Notifier:
        """JSON Lines to ``out``, and the configured Apprise URLs and hook plus those given."""
        from sleuth.notify import Notifier

        config = self.settings.watch
        try:
            return Notifier(
                urls=[*(u.get_secret_value() for u in config.notify), *urls],
                hook=list(hook) or list(config.hook),
                out=out,
                per_server_per_hour=config.per_server_per_hour,
                fleet_per_hour=config.fleet_per_hour,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def watcher(
        self, targets: Sequence[Target], spool: Spool, emit: Callable[[WatchEvent], None]
    ) -> FleetRunner:
        """The fleet's watch loops, one thread per server; ``start`` them, ``stop`` and ``join`` them."""
        from sleuth.watch.runner import FleetRunner

        return FleetRunner(self, targets, spool, emit)


@functools.lru_cache(maxsize=4)
def _shared_model(config_json: str) -> Model:
    """Loading a GGUF costs about a second; a batch reuses one, whose KV cache keeps the prompt prefix warm."""
    from planner.backends import make_model
    from planner.config import PlannerConfig

    return make_model(PlannerConfig.model_validate_json(config_json))


def _close_matches(word: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"not a cause of the knowledge graph (see `sleuth kg stats`, `sleuth kg show CAUSE`){hint}"
