"""The plain data every audit step produces; the scorecard is built from these alone."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["critical", "high", "medium", "low", "info"]
CheckStatus = Literal["pass", "fail", "not checked"]
StepStatus = Literal["ok", "failed", "error", "skipped"]


class Finding(BaseModel):
    """One security weakness, with the evidence that shows it."""

    cwe: str  # e.g. "CWE-89"
    severity: Severity
    title: str
    location: str  # "file.py:12" or "GET /items?q=..."
    evidence: dict[str, Any] = Field(default_factory=dict)  # request/response or file/line/snippet
    tool: str = ""  # "bandit", "probe", "secrets", "pip-audit", ...


class StepResult(BaseModel):
    """What one audit step measured. `status` is "ok", "failed" (it ran and found the
    service wanting), "error" (it could not run) or "skipped"."""

    name: str
    status: StepStatus
    duration_s: float = 0.0
    summary: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)


class ChecklistItem(BaseModel):
    name: str
    status: CheckStatus
    evidence: str = ""
