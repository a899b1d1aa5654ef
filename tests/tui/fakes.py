"""A fake of ``tui.app.services.Services`` for UI tests: deterministic, fast, and honest about files.

Incidents and diagnoses are scripted; rule packs are real YAML files validated
with ``models.RulePack`` (so a broken edit is a real error with a line
number); the "model" can be made to block on an event, to prove the UI keeps
answering while it waits.
"""

from __future__ import annotations

import threading
from pathlib import Path

import yaml
from pydantic import ValidationError

from models import (
    CauseFinding,
    Diagnosis,
    Evidence,
    Fact,
    Incident,
    Instance,
    MetricSeries,
    Plan,
    PlanStep,
    Remediation,
    RuleFiring,
    RulePack,
    TimeWindow,
    WhyNot,
)
from tui.app.discovery import find_incidents
from tui.app.services import (
    IncidentRef,
    Investigation,
    InvestigationListener,
    KgCause,
    KgCheck,
    KgMetric,
    KgSymptom,
    PackInfo,
    RuleInfo,
    RulesState,
    RuleTestOutcome,
    StepUpdate,
)

CAUSES = ["cpu_saturation", "io_saturation", "lock_contention", "missing_index", "workload_spike"]
WAIT_LIMIT_S = 10.0  # a fake that waits forever would hang the test run instead of failing it


def make_incident(incident_id: str, *, labels: list[str] | None = None) -> Incident:
    """Sixty samples per metric with a clear step inside the window 40..49."""
    ts = [float(t) for t in range(60)]
    cpu: list[float | None] = [20.0 + (t % 3) for t in range(60)]
    locks: list[float | None] = [1.0 + (t % 2) for t in range(60)]
    for t in range(40, 50):
        cpu[t] = 95.0
        locks[t] = 40.0
    locks[10] = None
    return Incident(
        id=incident_id,
        title=f"{incident_id} on orders-db",
        instance=Instance(engine="mysql", version="8.0.35", instance_class="db.r6g.large", vcpu=2),
        metrics=[
            MetricSeries(name="cpu_user", unit="%", timestamps=ts, values=cpu),
            MetricSeries(name="row_lock_waits", unit="/s", timestamps=ts, values=locks),
        ],
        window=TimeWindow(start=40.0, end=49.0),
        labels=labels or [],
    )


def signal(name: str, baseline: float, anomaly: float) -> Fact:
    return Fact(
        kind="signal",
        name=name,
        attrs={
            "baseline": baseline,
            "anomaly": anomaly,
            "delta": anomaly - baseline,
            "ratio": anomaly / baseline,
            "score": 12.5,
            "peak": anomaly,
            "confidence": 0.9,
            "shape": "level_shift",
            "direction": "up",
        },
        text=f"{name} rose from {baseline:g} to {anomaly:g}",
    )


def lock_diagnosis(incident_id: str) -> Diagnosis:
    """Two causes: lock contention (with a two-rule chain) ahead of CPU saturation."""
    locks = Evidence(
        kind="signal", name="row_lock_waits", values={"baseline": 1.5, "anomaly": 40.0}, text="lock waits x27"
    )
    cpu = Evidence(kind="signal", name="cpu_user", values={"baseline": 21.0, "anomaly": 95.0})
    return Diagnosis(
        incident=incident_id,
        title=f"{incident_id} on orders-db",
        path="rules",
        window=TimeWindow(start=40.0, end=49.0),
        signals=[signal("cpu_user", 21.0, 95.0), signal("row_lock_waits", 1.5, 40.0)],
        causes=[
            CauseFinding(
                cause="lock_contention",
                title="Lock contention",
                certainty=0.86,
                score=0.91,
                coverage=0.75,
                evidence=[locks],
                rules=["lock_waits_up", "lock_contention_from_waits"],
                chain=[
                    RuleFiring(
                        rule="lock_waits_up",
                        pack="mysql_locks",
                        concludes="lock_pressure",
                        conclusion_kind="fact",
                        premise=0.9,
                        certainty=0.81,
                        facts=[locks],
                    ),
                    RuleFiring(
                        rule="lock_contention_from_waits",
                        pack="mysql_locks",
                        concludes="lock_contention",
                        conclusion_kind="cause",
                        premise=0.81,
                        certainty=0.86,
                    ),
                ],
                remediations=[
                    Remediation(id="kill_blocker", title="Find and end the blocking session", risk="medium"),
                    Remediation(
                        id="shorter_tx", title="Shorten transactions", risk="low", description="commit sooner"
                    ),
                ],
            ),
            CauseFinding(
                cause="cpu_saturation",
                title="CPU saturation",
                certainty=0.55,
                score=0.5,
                coverage=0.5,
                evidence=[cpu],
                rules=["cpu_high"],
                remediations=[Remediation(id="scale_up", title="Scale up the instance class", risk="high")],
            ),
        ],
        elapsed_ms=3.0,
    )


def inconclusive(incident_id: str) -> Diagnosis:
    return Diagnosis(incident=incident_id, path="inconclusive", signals=[signal("cpu_user", 21.0, 95.0)])


def kg() -> list[KgCause]:
    return [
        KgCause(
            id="lock_contention",
            title="Lock contention",
            symptoms=(
                KgSymptom(
                    "lock_waits_up",
                    "Lock waits rise",
                    (KgMetric("row_lock_waits", "up"), KgMetric("lock_wait_time", "up")),
                ),
            ),
            checks=(KgCheck("check_lock_waits", "Who blocks whom", "lock_waits"),),
            remediations=(Remediation(id="kill_blocker", title="End the blocking session", risk="medium"),),
        ),
        KgCause(
            id="cpu_saturation",
            title="CPU saturation",
            symptoms=(KgSymptom("cpu_high", "CPU near 100%", (KgMetric("cpu_user", "up"),)),),
            checks=(KgCheck("check_top_sql", "Top SQL by time", "top_sql"),),
            remediations=(Remediation(id="scale_up", title="Scale up", risk="high"),),
        ),
        KgCause(
            id="missing_index",
            title="Missing index",
            symptoms=(
                KgSymptom(
                    "rows_examined_up", "Rows examined per row sent rise", (KgMetric("rows_examined", "up"),)
                ),
            ),
        ),
    ]


class FakeServices:
    def __init__(
        self,
        incidents: dict[str, Incident] | None = None,
        diagnoses: dict[str, Diagnosis] | None = None,
        rules_dir: Path | None = None,
        model_gate: threading.Event | None = None,
    ) -> None:
        self.incidents = incidents or {}
        self.diagnoses = diagnoses or {}
        self.rules_dir = rules_dir
        self.model_gate = model_gate
        self.model_started = threading.Event()
        self.diagnose_calls: list[str] = []
        self.diagnose_gates: dict[str, threading.Event] = {}
        self._rules = RulesState(packs=())
        self._lint: list[str] = []
        if rules_dir is not None:
            self.reload_rules()
            self._rules = RulesState(self._rules.packs, (), 1)

    # Incidents ----------------------------------------------------------------

    def list_incidents(self, root: Path) -> list[IncidentRef]:
        if root.exists():
            return find_incidents(root)
        return [IncidentRef(root / f"{name}.json", f"{name}.json", 0.0) for name in sorted(self.incidents)]

    def load_incident(self, path: Path) -> Incident:
        if path.exists():
            return Incident.model_validate_json(path.read_text(encoding="utf-8"))
        try:
            return self.incidents[path.stem]
        except KeyError:
            raise FileNotFoundError(f"{path}: no such file") from None

    def diagnose(self, incident: Incident) -> Diagnosis:
        self.diagnose_calls.append(incident.id)
        gate = self.diagnose_gates.get(incident.id)
        if gate is not None and not gate.wait(WAIT_LIMIT_S):
            raise TimeoutError(f"test never released the diagnosis of {incident.id}")
        return self.diagnoses.get(incident.id) or inconclusive(incident.id)

    def why_not(self, incident: Incident, cause: str) -> WhyNot:
        return WhyNot(
            cause=cause,
            summary=f"{cause} was not concluded; {cause}_rule: signal io_wait ratio=1.02 (needs > 2)",
            rules=[
                {
                    "rule": f"{cause}_rule",
                    "title": "I/O wait climbs",
                    "pack": "mysql_io",
                    "status": "failed",
                    "certainty": 0.7,
                    "conditions": [
                        {
                            "group": "all",
                            "condition": "signal io_wait",
                            "passed": False,
                            "tests": ["ratio=1.02 (needs > 2)"],
                            "failed_tests": ["ratio=1.02 (needs > 2)"],
                            "text": "io_wait not clearly changed: 3 percent normally, 3.06 in the window",
                        }
                    ],
                }
            ],
        )

    def cause_ids(self) -> list[str]:
        return list(CAUSES)

    def canonical_metrics(self, names: list[str]) -> dict[str, str | None]:
        return {n: n for n in names}

    def kg_causes(self) -> list[KgCause]:
        return kg()

    # Rules --------------------------------------------------------------------

    def rules(self) -> RulesState:
        return self._rules

    def rule_files(self) -> list[Path]:
        return sorted(self.rules_dir.glob("*.yaml")) if self.rules_dir else []

    def _load_pack(self, path: Path) -> PackInfo:
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 0
            raise ValueError(f"{path.name}:{line}: {exc.problem}") from None
        try:
            pack = RulePack.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ValueError(f"{path.name}: {where}: {err['msg']}") from None
        lines = text.splitlines()
        rules = []
        for rule in pack.rules:
            line = next((i + 1 for i, s in enumerate(lines) if s.strip() == f"- id: {rule.id}"), 1)
            concludes = rule.then.cause or rule.then.fact or ""
            rules.append(
                RuleInfo(
                    rule.id, rule.title, pack.pack, concludes, rule.certainty, path, line, len(rule.tests)
                )
            )
        return PackInfo(pack.pack, path, tuple(rules))

    def reload_rules(self) -> RulesState:
        packs: list[PackInfo] = []
        errors: list[str] = []
        for path in self.rule_files():
            try:
                packs.append(self._load_pack(path))
            except ValueError as exc:
                errors.append(str(exc))
        self._lint = errors
        if errors:
            self._rules = RulesState(self._rules.packs, tuple(errors), self._rules.generation)
        else:
            self._rules = RulesState(tuple(packs), (), self._rules.generation + 1)
        return self._rules

    def lint(self) -> list[str]:
        return list(self._lint)

    def run_rule_tests(self, rule_id: str) -> list[RuleTestOutcome]:
        info = self._rules.find(rule_id)
        if info is None:
            raise KeyError(f"no rule {rule_id}")
        pack = RulePack.model_validate(yaml.safe_load(info.file.read_text(encoding="utf-8")))
        spec = next(r for r in pack.rules if r.id == rule_id)
        outcomes = []
        for test in spec.tests:
            missing = [c for c in test.expect if c != info.concludes]
            outcomes.append(
                RuleTestOutcome(
                    rule_id,
                    test.incident,
                    not missing,
                    "ok" if not missing else f"did not conclude {', '.join(missing)}",
                )
            )
        return outcomes

    # Planner ------------------------------------------------------------------

    def investigate(
        self, incident: Incident, listener: InvestigationListener, investigation: Investigation
    ) -> Diagnosis:
        plan = Plan(
            steps=[
                PlanStep(id="s1", tool="lock_waits"),
                PlanStep(id="s2", tool="top_sql", args={"order_by": "total_time"}, depends_on=["s1"]),
            ],
            rationale="locks first",
        )
        listener.on_plan(plan)
        listener.on_step(StepUpdate("s1", "lock_waits", "running"))
        self.model_started.set()
        if self.model_gate is not None:
            waited = 0.0
            while not self.model_gate.wait(0.02):
                waited += 0.02
                if investigation.cancel.is_set():
                    return inconclusive(incident.id)
                if waited > WAIT_LIMIT_S:
                    raise TimeoutError("test never released the model gate")
        for token in ("Blocking ", "session ", "holds ", "row locks."):
            listener.on_text(token)
        listener.on_step(StepUpdate("s1", "lock_waits", "done", "1 blocker, 12 waiters"))
        if investigation.cancel.is_set():
            return inconclusive(incident.id)
        listener.on_step(StepUpdate("s2", "top_sql", "done", "UPDATE orders …"))
        top = lock_diagnosis(incident.id).causes[0].model_copy(update={"source": "llm"})
        return lock_diagnosis(incident.id).model_copy(update={"path": "llm", "causes": [top]})
