"""The static half of the security audit: bandit, dependencies and hard-coded secrets.

Nothing here starts the service; `probes.py` is the active half. Severities follow the
rubric in `rubric.py`; findings of different rules about one weakness are merged
(`merge.py`), so bandit's B105 and bdev's secret rule on one line count once.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Literal

from bdev.backend.audit.results import Finding, StepResult
from bdev.backend.audit.security.bandit import BanditUnavailable, run_bandit
from bdev.backend.audit.security.dependencies import check_dependencies
from bdev.backend.audit.security.merge import merge_findings
from bdev.backend.audit.security.rubric import count_by_severity, step_status
from bdev.backend.audit.security.secret_fallbacks import fallback_secrets
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError

StepStatus = Literal["ok", "failed", "error"]


def run_static_security(
    root: Path, facts: BackendFacts, advisories: str | None = None
) -> StepResult:
    """Scan the code and its declared dependencies; name "security-static". `advisories`:
    an OSV snapshot to check dependencies against (default: `[audit] advisories`, else
    bdev's cache)."""
    started = time.monotonic()
    root = Path(root)
    if not root.is_dir():
        raise BdevError(f"{root}: not a directory to scan")
    findings: list[Finding] = []
    data: dict = {}
    problems: list[str] = []

    try:
        bandit_findings, data["bandit"] = run_bandit(root)
        findings += bandit_findings
    except BanditUnavailable as e:
        data["bandit"] = {"error": str(e)}
        problems.append(str(e))

    audit_findings, data["pip_audit"] = check_dependencies(
        root, advisories if advisories is not None else _configured_advisories(root)
    )
    findings += audit_findings
    findings += secret_findings(facts, root)
    findings += fallback_secrets(root)
    findings = merge_findings(findings, facts, root)

    data["by_severity"] = count_by_severity(findings)
    status: StepStatus = "error" if problems and not findings else step_status(findings)
    summary = (
        f"{len(findings)} findings ({_severities(data['by_severity'])}); "
        f"dependencies: {_dependency_summary(data['pip_audit'])}"
        + (f"; {'; '.join(problems)}" if problems else "")
    )
    return StepResult(
        name="security-static",
        status=status,
        duration_s=round(time.monotonic() - started, 3),
        summary=summary,
        data=data,
        findings=findings,
    )


def _configured_advisories(root: Path) -> str | None:
    from bdev.config import load_config

    try:
        return load_config(root).audit.advisories
    except BdevError:
        return None  # a broken configuration is reported by the command that loads it


def _dependency_summary(deps: dict) -> str:
    text = str(deps["status"])
    if deps.get("database"):
        text += f" against the advisory database of {deps['database']['date']}"
    if deps["status"] == "not checked":
        text += f" ({deps.get('reason', '')})"
    elif deps["skipped"]:
        text += f" ({len(deps['skipped'])} not checked)"
    return text


def secret_findings(facts: BackendFacts, root: Path) -> list[Finding]:
    """Each secret `analyze` found in the source becomes a CWE-798 finding."""
    return [
        Finding(
            cwe="CWE-798",
            severity="high",
            title=f"Hard-coded {s.kind}" + (f" in {s.name}" if s.name else ""),
            location=f"{s.location.file}:{s.location.line}",
            evidence={
                "file": s.location.file,
                "line": s.location.line,
                "name": s.name,
                "snippet": _masked_line(root / s.location.file, s.location.line),
            },
            tool="secrets",
            sources=["bdev secret"],
        )
        for s in facts.secrets
    ]


def _masked_line(path: Path, line: int) -> str:
    """The source line with string literals cut to their first 3 characters: the report
    should show where a secret is, and must not spread it further."""
    try:
        text = path.read_text(errors="replace").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return ""
    return re.sub(r"""(['"])([^'"]{0,3})[^'"]*\1""", r"\1\2***\1", text)


def _severities(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {sev}" for sev, n in reversed(counts.items()) if n) or "none"
