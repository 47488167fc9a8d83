"""The delivery report: `.bdev/reports/SESSION_ID/` holds delivery.json, a readable
delivery.md and the audit.json every figure points into."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bdev.backend.audit.report import AuditReport
from bdev.fsutil import write_text_atomic


def reports_dir(workspace: Path, session_id: str) -> Path:
    return workspace / ".bdev" / "reports" / session_id


def write_delivery(
    workspace: Path, session_id: str, delivery: dict[str, Any], audit: AuditReport | None
) -> Path:
    directory = reports_dir(workspace, session_id)
    if audit is not None:
        write_text_atomic(directory / "audit.json", json.dumps(audit.to_json(), indent=2))
    write_text_atomic(directory / "delivery.json", json.dumps(delivery, indent=2, default=str))
    write_text_atomic(directory / "delivery.md", render_markdown(delivery))
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
