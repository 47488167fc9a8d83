"""The plain data every audit step produces; the scorecard is built from these alone."""

from __future__ import annotations

import shlex
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

Severity = Literal["critical", "high", "medium", "low", "info"]
CheckStatus = Literal["pass", "fail", "not checked"]
StepStatus = Literal["ok", "failed", "error", "skipped"]


class HttpRequest(BaseModel):
    """A request exactly as a probe sent it: enough to send it again."""

    method: str
    url: str  # absolute, already percent-encoded as sent
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = ""  # the body as sent (text); "" for none

    def curl(self) -> str:
        """A shell command that sends this request again (every part quoted)."""
        # -g: braces and brackets in a payload ({{7*7}}) are not curl globs; --path-as-is:
        # a traversal payload's "../" reaches the server unresolved.
        parts = ["curl", "-i", "-g", "--path-as-is", "-X", self.method.upper()]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.body:
            parts += ["--data-raw", self.body]
        return shlex.join([*parts, self.url])


class HttpResponse(BaseModel):
    """What came back, cut to what proves the finding."""

    status: int | None = None  # None: no answer (the error says why)
    headers: dict[str, str] = Field(default_factory=dict)
    excerpt: str = ""  # a slice of the body around the proof
    error: str = ""


class Finding(BaseModel):
    """One security weakness, with the evidence that shows it."""

    cwe: str  # e.g. "CWE-89"
    severity: Severity
    title: str
    location: str  # "file.py:12" or "GET /items?q=..."
    evidence: dict[str, Any] = Field(default_factory=dict)  # request/response or file/line/snippet
    tool: str = ""  # "bandit", "probe", "secrets", "pip-audit", ...
    # Set by HTTP probes: the exchange that shows the weakness (and so reproduces it).
    request: HttpRequest | None = None
    response: HttpResponse | None = None
    # Every tool and rule that reported this weakness ("bandit B608", "probe sqli"); filled
    # when findings are merged, so one weakness seen by three tools is counted once.
    sources: list[str] = Field(default_factory=list)
    also_at: list[str] = Field(default_factory=list)  # further locations of the same weakness
    severity_reason: str = ""  # why this severity, when evidence or context changed it

    @computed_field  # type: ignore[prop-decorator]
    @property
    def curl(self) -> str | None:
        """The command that reproduces an HTTP-observed finding."""
        return self.request.curl() if self.request is not None else None


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
