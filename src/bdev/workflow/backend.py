"""The backend developer's workflow: system analysis, implementation, production readiness.

1. System analysis: `analyze` answers the agent's `get_backend_context` request (the
   exchange of the seed definitions), from the files.
2. Implementation: the agent loop, with that context in its first message.
3. Production readiness: `audit` measures the result and the gates decide. Failing gates
   go back to the agent, with their evidence, for another round within a budget; the run
   ends `ready` or `not ready` and writes the delivery report. When no test exercises
   the new or changed endpoints, bdev writes `tests/test_api_generated.py` itself
   (`testgen`) and audits again before the gates decide.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bdev.agents.definition import AgentDefinition
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.run import run_audit
from bdev.backend.facts import BackendFacts
from bdev.backend.testgen import Slot as TestSlot
from bdev.config import Config
from bdev.errors import BdevError
from bdev.llm.base import Model, Usage
from bdev.prompts import render
from bdev.runtime.events import Emitter, EventType
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.workflow import messages
from bdev.workflow.changes import Changes, diff, snapshot
from bdev.workflow.delivery import Readiness, build_delivery, verdict, write_delivery
from bdev.workflow.gates import GateConfig, GateResult, evaluate
from bdev.workflow.guided import GuidedRun
from bdev.workflow.suitecheck import find_service
from bdev.workflow.testgen import (
    GENERATED,
    GeneratedTests,
    check_slots,
    drop_unreachable,
    generate_tests,
    needs_tests,
)

NOT_READY_EXIT = 9  # the agent finished, but the work failed a readiness gate
# How an implementation round may end and still be followed by another one: finished,
# or stopped after wasted turns (fresh feedback may get a small model going again).
# Budgets (steps, time, tokens, cost), an unreachable model or the user end the run.
_ROUND_ENDINGS = (RunStatus.COMPLETED, RunStatus.FORMAT_ERRORS)
CONTEXT_LIMIT = 6000  # characters of context JSON a small model is shown


@dataclass
class WorkflowOptions:
    gates: GateConfig = field(default_factory=GateConfig)
    audit: AuditOptions = field(default_factory=AuditOptions)
    run_gates: bool = True

    @property
    def max_rounds(self) -> int:
        return self.gates.max_rounds

    @classmethod
    def from_config(cls, config: Config, *, run_gates: bool = True) -> WorkflowOptions:
        return cls(config.gates, AuditOptions.from_config(config), run_gates)


@dataclass
class WorkflowResult:
    session_id: str
    run: RunResult
    status: Readiness  # NOT_CHECKED with --no-gates
    rounds: int
    gates: list[GateResult] = field(default_factory=list)
    report_dir: Path | None = None
    notification: str = ""
    # Summed over every round (`run` is the last round's): what the whole job cost.
    steps: int = 0
    usage: Usage = field(default_factory=Usage)


def analyze_quietly(workspace: Path) -> tuple[BackendFacts | None, dict[str, Any]]:
    """Facts and the context answer; an empty or non-backend workspace is a valid start."""
    from bdev.backend.analyze import analyze, context_response

    try:
        facts = analyze(workspace)
    except BdevError as e:
        return None, {"existing_backend": None, "note": f"no existing backend: {e}"}
    return facts, context_response(facts)


class Implementer(Protocol):
    """Who implements a round: the agent loop (`Runner`) or the program-led steps
    (`guided.GuidedRun`); both keep one session transcript across rounds."""

    def start(
        self,
        task: str,
        definition: AgentDefinition,
        *,
        on_start: Callable[[Emitter], str] | None = None,
    ) -> tuple[str, RunResult]: ...

    def resume(self, session_id: str, instruction: str | None = None) -> tuple[str, RunResult]: ...


def run_backend_workflow(
    runner: Runner,
    task: str,
    definition: AgentDefinition,
    options: WorkflowOptions,
    progress: Callable[[str], None] | None = None,
    *,
    guided: bool = False,
) -> WorkflowResult:
    """The workflow of the module docstring; `guided`: rounds are program-led
    (`workflow.guided`) instead of the agent loop."""
    workspace = runner.workspace
    agent = definition.name
    facts_before, context = analyze_quietly(workspace)
    endpoints_before = len(facts_before.endpoints) if facts_before else 0

    def on_start(emit: Emitter) -> str:
        emit(EventType.PHASE, name="system_analysis")
        emit(EventType.CONTEXT_REQUEST, **messages.context_request(agent))
        emit(EventType.CONTEXT_RESPONSE, **messages.context_response(agent, context))
        emit(EventType.PHASE, name="implementation", round=1)
        text = json.dumps(context, indent=1, default=str)
        if len(text) > CONTEXT_LIMIT:
            text = text[:CONTEXT_LIMIT] + "\n... (truncated)"
        return render("workflow_context", context_json=text)

    implementer: Implementer = runner
    generated: GeneratedTests | None = None
    if guided:
        implementer = GuidedRun(runner, facts=facts_before, progress=progress)
        if options.run_gates:  # bdev's tests belong to the readiness check
            generated = _tests_first(runner, definition, task, facts_before, progress)
    before = snapshot(workspace)
    session_id, result = implementer.start(task, definition, on_start=on_start)
    steps, usage = result.steps, result.usage
    if generated is not None:
        runner.emit_event(
            session_id, EventType.PHASE, name="generated_tests", round=0, path=generated.path,
            tests=generated.tests, notes=generated.notes,
        )  # fmt: skip
    if not options.run_gates:
        return WorkflowResult(
            session_id, result, Readiness.NOT_CHECKED, 1, steps=steps, usage=usage
        )

    rounds = 1
    while True:
        runner.emit_event(session_id, EventType.PHASE, name="production_readiness", round=rounds)
        changes = _agents_changes(diff(before, snapshot(workspace)))
        report = _audit(workspace, options.audit, progress)
        if needs_tests(workspace, report, facts_before, changes, program_led=guided):
            # A small model does not write real tests (it says it did): bdev writes them
            # from the served contract and the code, then measures again.
            # A program-led run keeps the request's failing expectations while a round
            # remains: they are what that round's candidates are checked against.
            keep = guided and rounds < options.max_rounds
            report, written = _generated_tests(
                runner, definition, session_id, rounds, task, report, options.audit, progress,
                keep_failing=keep, reuse=generated.slots if generated is not None else None,
            )  # fmt: skip
            generated = written or generated
        gates = evaluate(report, options.gates, changes)
        status = verdict(gates)
        expected = generated.failed if generated is not None and guided else []
        # A program-led round is told only what code can fix: with nothing of that
        # failing, another round would be asked to fix nothing.
        fixable = any(_fixable_in_code(g) for g in gates if not g.passed) or bool(expected)
        last = (
            status is Readiness.READY
            or rounds >= options.max_rounds
            or result.status not in _ROUND_ENDINGS
            or (guided and not fixable)
        )
        # No round follows: the expectations still failing leave the module.
        if (
            last
            and guided
            and generated is not None
            and generated.failed
            and check_slots(workspace, generated, report)
        ):
            report = _audit(workspace, options.audit, progress)
            gates = evaluate(report, options.gates, changes)
            status = verdict(gates)
        if not last:
            status = Readiness.IMPLEMENTING
        runner.emit_event(
            session_id, EventType.GATES, round=rounds, gates=[g.to_dict() for g in gates]
        )
        runner.emit_event(
            session_id,
            EventType.PROGRESS,
            **messages.progress(agent, status, report, endpoints_before),
        )
        if last:
            break
        rounds += 1
        runner.emit_event(session_id, EventType.PHASE, name="implementation", round=rounds)
        feedback = gate_feedback(gates, report, guided=guided, expected=expected)
        _, result = implementer.resume(session_id, feedback)
        steps, usage = result.steps, usage + result.usage  # a resumed run counts on

    delivery = build_delivery(
        session_id=session_id,
        agent=agent,
        rounds=rounds,
        workspace=workspace,
        audit=report,
        gates=gates,
        facts=report.facts or facts_before or BackendFacts(root=str(workspace)),
        endpoints_before=endpoints_before,
        notification_suffix=generated.summary() if generated is not None else "",
        changes={"added": changes.added, "modified": changes.modified, "deleted": changes.deleted},
        agent_run={"status": result.status.value, "steps": result.steps},
    )
    directory = write_delivery(workspace, delivery, report)
    runner.emit_event(
        session_id,
        EventType.DELIVERY,
        status=delivery.status,
        notification=delivery.notification,
        report=str(directory / "delivery.json"),
    )
    return WorkflowResult(
        session_id,
        result,
        delivery.status,
        rounds,
        gates,
        directory,
        delivery.notification,
        steps=steps,
        usage=usage,
    )


def _agents_changes(changes: Changes) -> Changes:
    """The agent's own changes: bdev's generated test module is not the agent's work."""
    ours = [GENERATED]
    return Changes(
        added=[p for p in changes.added if p not in ours],
        modified=[p for p in changes.modified if p not in ours],
        deleted=[p for p in changes.deleted if p not in ours],
    )


def _generated_tests(
    runner: Runner,
    definition: AgentDefinition,
    session_id: str,
    round_: int,
    task: str,
    report: AuditReport,
    options: AuditOptions,
    progress: Callable[[str], None] | None,
    *,
    keep_failing: bool = False,
    reuse: list[TestSlot] | None = None,
) -> tuple[AuditReport, GeneratedTests | None]:
    """Write `tests/test_api_generated.py` and audit again; the model's slot lines are
    checked in the environment that audit built (it has what the module imports).
    `keep_failing`, `reuse`: see `check_slots` and `generate_tests`."""
    workspace = runner.workspace
    say = progress or (lambda _text: None)
    say(f"tests: bdev writes {GENERATED} for the service's new or changed endpoints")
    model = _slot_model(runner, definition)
    written = generate_tests(workspace, task, report, model, reuse)
    if written is None:
        return report, None
    if written.changed:
        report = _audit(workspace, options, progress)
    if check_slots(workspace, written, report, keep_failing=keep_failing):
        report = _audit(workspace, options, progress)
    say(written.summary())
    runner.emit_event(
        session_id,
        EventType.PHASE,
        name="generated_tests",
        round=round_,
        path=written.path,
        tests=written.tests,
        notes=written.notes + written.checked,
    )
    return report, written


def _tests_first(
    runner: Runner,
    definition: AgentDefinition,
    task: str,
    facts: BackendFacts | None,
    progress: Callable[[str], None] | None,
) -> GeneratedTests | None:
    """Before a program-led round: bdev's tests for the existing endpoints the request
    names, with its expectations, which fail until the change is made. The round's
    candidates are checked against them (`suitecheck`), not only the next round's."""
    model = _slot_model(runner, definition)
    if facts is None or model is None:
        return None
    report = AuditReport(
        root=str(runner.workspace),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        facts=facts,
    )
    existed = (runner.workspace / GENERATED).exists()
    written = generate_tests(runner.workspace, task, report, model)
    service = find_service(runner.workspace) if written is not None else None
    if written is not None and service is not None:
        drop_unreachable(runner.workspace, written, service.python)
    if written is None or not written.slots:
        # Nothing the request states about an endpoint that exists: the audit after the
        # round writes the module (new endpoints appear only then).
        if written is not None and not existed:
            (runner.workspace / written.path).unlink(missing_ok=True)
        return None
    if progress:
        progress(f"tests: bdev wrote {len(written.slots)} expectations of the request first")
    return written


def _slot_model(runner: Runner, definition: AgentDefinition) -> Model | None:
    """The model the agent ran on, to fill the tests' narrow slots; None without one."""
    try:
        return runner.model_for(definition)  # the runner's instance: no second load
    except BdevError:  # no model is a valid answer: the skeleton alone is written
        return None


def _audit(
    workspace: Path, options: AuditOptions, progress: Callable[[str], None] | None
) -> AuditReport:
    try:
        return run_audit(workspace, options, progress)
    except BdevError as e:
        # The audit could not run at all (e.g. nothing runnable was written): every gate
        # then fails as "not measured", with this as the reason.
        report = AuditReport(
            root=str(workspace), started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        )
        report.steps.append(StepResult(name="audit", status="error", summary=str(e)))
        return report


def gate_feedback(
    gates: list[GateResult],
    report: AuditReport,
    *,
    guided: bool = False,
    expected: list[str] | None = None,
) -> str:
    """What the agent is told after a failed readiness check: measurements, not opinions.
    `guided`: for a program-led round, which has no tools to call; `expected`: bdev's
    generated tests of what the request states that failed (`GeneratedTests.failed`)."""
    tests = report.step("tests")
    tests_summary = ""
    if tests is not None and tests.status != "ok" and tests.summary:
        tests_summary = tests.summary[:800]
    audit_error = report.step("audit")
    startup = report.step("startup")
    failures = tests.data.get("failures", []) if tests is not None and tests_summary else []
    return render(
        "gate_feedback",
        failed=[g for g in gates if not g.passed and (not guided or _fixable_in_code(g))],
        tests_summary=tests_summary,
        failures=failures,
        guided=guided,
        expected=expected or [],
        audit_error=audit_error.summary if audit_error is not None else None,
        startup_error=startup.summary if startup is not None and startup.status == "error" else "",
        no_changes=any(g.name == "changes" and not g.passed for g in gates),
    )


def _fixable_in_code(gate: GateResult) -> bool:
    """Whether a failed gate is something a program-led step, which rewrites one function,
    can fix: failing tests or no change, and what was measured wrong (a security finding,
    latency, server errors). What was not measured (no OpenAPI document, no health
    endpoint) and coverage (bdev's generated tests raise it) are left out: a small model
    told about them adds a health route to the handler it was asked to change."""
    if gate.name in ("tests", "changes"):
        return True
    return gate.name != "coverage" and gate.measured is not None
