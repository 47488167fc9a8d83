"""The delivery report, one type for every path that delivers (the backend workflow and
spec-first): a readiness verdict from the gates, the measured progress, deliverables and
findings. `.bdev/reports/SESSION_ID/` holds delivery.json, a readable delivery.md and the
audit.json every figure points into."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bdev.backend.audit.report import AuditReport
from bdev.backend.facts import BackendFacts
from bdev.fsutil import write_text_atomic
from bdev.workflow import deliverables, messages
from bdev.workflow.gates import GateResult


class Readiness(StrEnum):
    READY = "ready"
    NOT_READY = "not ready"
    NOT_CHECKED = "not checked"  # the gates did not run (--no-gates, or no audit)
    IMPLEMENTING = "implementing"  # between rounds: gates failed, another round follows


def verdict(gates: list[GateResult]) -> Readiness:
    """Ready only when every gate passed (a gate without its measurement has failed); with
    every gate switched off nothing was checked."""
    if not gates:
        return Readiness.NOT_CHECKED
    return Readiness.READY if all(g.passed for g in gates) else Readiness.NOT_READY


class Delivery(BaseModel):
    """delivery.json. Path-specific sections (`changes` and `agent_run` for the workflow,
    `operations` for spec-first) are left out when absent."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    agent: str
    status: Readiness
    rounds: int
    finished_at: str = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    gates: list[dict[str, Any]]
    progress: dict[str, Any]
    notification: str
    deliverables: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    changes: dict[str, list[str]] | None = None
    agent_run: dict[str, Any] | None = None
    operations: dict[str, Any] | None = None


def build_delivery(
    *,
    session_id: str,
    agent: str,
    rounds: int,
    workspace: Path,
    audit: AuditReport,
    gates: list[GateResult],
    facts: BackendFacts,
    endpoints_before: int,
    notification_suffix: str = "",
    **sections: Any,
) -> Delivery:
    """The report from measurements only: the audit, the gates and the workspace's files."""
    status = verdict(gates)
    notification = messages.delivery_notification(audit, gates, endpoints_before)
    return Delivery(
        session_id=session_id,
        agent=agent,
        status=status,
        rounds=rounds,
        gates=[g.to_dict() for g in gates],
        progress=messages.progress(agent, status, audit, endpoints_before),
        notification=f"{notification} {notification_suffix}".strip(),
        deliverables=[d.to_dict() for d in deliverables.check(workspace, facts, audit)],
        findings=[f.model_dump() for f in audit.security.findings],
        **sections,
    )


def reports_dir(workspace: Path, session_id: str) -> Path:
    return workspace / ".bdev" / "reports" / session_id


def write_delivery(workspace: Path, delivery: Delivery, audit: AuditReport | None) -> Path:
    directory = reports_dir(workspace, delivery.session_id)
    record = delivery.model_dump(mode="json", exclude_none=True)
    if audit is not None:
        write_text_atomic(directory / "audit.json", json.dumps(audit.to_json(), indent=2))
    write_text_atomic(directory / "delivery.json", json.dumps(record, indent=2, default=str))
    write_text_atomic(directory / "delivery.md", render_markdown(record))
    return directory


def render_markdown(delivery: dict[str, Any]) -> str:
    lines = [
        f"# Delivery report: {delivery['status']}",
        "",
        f"Session `{delivery['session_id']}`, agent `{delivery['agent']}`, "
        f"{delivery['rounds']} implementation round(s).",
        "",
        delivery["notification"],
        "",
        "## Readiness gates",
        "",
        "| gate | result | evidence |",
        "| --- | --- | --- |",
    ]
    for g in delivery["gates"]:
        lines.append(f"| {g['name']} | {'pass' if g['passed'] else 'FAIL'} | {g['evidence']} |")
    p = delivery["progress"]["progress"]
    lines += [
        "",
        "## Progress (measured)",
        "",
        f"- endpoints created: {p['endpoints_created']}",
        f"- test coverage: {p['test_coverage']}",
        f"- p95 response time: {p['response_time_p95']}",
        f"- security score: {p['security_score']}",
        "",
        "## Deliverables",
        "",
        "| deliverable | status | evidence |",
        "| --- | --- | --- |",
    ]
    for d in delivery["deliverables"]:
        lines.append(f"| {d['name']} | {d['status']} | {d['evidence']} |")
    findings = delivery.get("findings") or []
    if findings:
        lines += [
            "",
            "## Security findings",
            "",
            "| CWE | severity | title | location |",
            "| --- | --- | --- | --- |",
        ]
        for f in findings:
            lines.append(f"| {f['cwe']} | {f['severity']} | {f['title']} | {f['location']} |")
    lines += ["", "The audit's raw measurements are in `audit.json` beside this file.", ""]
    return "\n".join(lines)
