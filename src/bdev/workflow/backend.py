"""The backend developer's workflow: system analysis, implementation, production readiness.

1. System analysis: `analyze` answers the agent's `get_backend_context` request (the
   exchange of the seed definitions), from the files.
2. Implementation: the agent loop, with that context in its first message.
3. Production readiness: `audit` measures the result and the gates decide. Failing gates
   go back to the agent, with their evidence, for another round within a budget; the run
   ends `ready` or `not ready` and writes the delivery report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.agents.definition import AgentDefinition
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.run import run_audit
from bdev.backend.facts import BackendFacts
from bdev.config import Config
from bdev.errors import BdevError
from bdev.prompts import render
from bdev.runtime.events import Emitter, EventType
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.workflow import messages
from bdev.workflow.changes import diff, snapshot
from bdev.workflow.delivery import Readiness, build_delivery, verdict, write_delivery
from bdev.workflow.gates import GateConfig, GateResult, evaluate

NOT_READY_EXIT = 9  # the agent finished, but the work failed a readiness gate
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


def analyze_quietly(workspace: Path) -> tuple[BackendFacts | None, dict[str, Any]]:
    """Facts and the context answer; an empty or non-backend workspace is a valid start."""
    from bdev.backend.analyze import analyze, context_response

    try:
        facts = analyze(workspace)
    except BdevError as e:
        return None, {"existing_backend": None, "note": f"no existing backend: {e}"}
    return facts, context_response(facts)


def run_backend_workflow(
    runner: Runner,
    task: str,
    definition: AgentDefinition,
    options: WorkflowOptions,
    progress: Callable[[str], None] | None = None,
) -> WorkflowResult:
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

    before = snapshot(workspace)
    session_id, result = runner.start(task, definition, on_start=on_start)
    if not options.run_gates:
        return WorkflowResult(session_id, result, Readiness.NOT_CHECKED, 1)

    rounds = 1
    while True:
        runner.emit_event(session_id, EventType.PHASE, name="production_readiness", round=rounds)
        changes = diff(before, snapshot(workspace))
        report = _audit(workspace, options.audit, progress)
        gates = evaluate(report, options.gates, changes)
        status = verdict(gates)
        last = (
            status is Readiness.READY
            or rounds >= options.max_rounds
            or result.status is not RunStatus.COMPLETED
        )
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
        _, result = runner.resume(session_id, gate_feedback(gates, report))

    delivery = build_delivery(
        session_id=session_id,
        agent=agent,
        rounds=rounds,
        workspace=workspace,
        audit=report,
        gates=gates,
        facts=report.facts or facts_before or BackendFacts(root=str(workspace)),
        endpoints_before=endpoints_before,
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
        session_id, result, delivery.status, rounds, gates, directory, delivery.notification
    )


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


def gate_feedback(gates: list[GateResult], report: AuditReport) -> str:
    """What the agent is told after a failed readiness check: measurements, not opinions."""
    tests = report.step("tests")
    tests_summary = ""
    if tests is not None and tests.status != "ok" and tests.summary:
        tests_summary = tests.summary[:800]
    audit_error = report.step("audit")
    return render(
        "gate_feedback",
        failed=[g for g in gates if not g.passed],
        tests_summary=tests_summary,
        audit_error=audit_error.summary if audit_error is not None else None,
        no_changes=any(g.name == "changes" and not g.passed for g in gates),
    )
