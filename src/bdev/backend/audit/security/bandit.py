"""Bandit, run as a subprocess, its JSON report turned into findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bdev.backend.audit.results import Finding
from bdev.backend.audit.security.rubric import bandit_severity

# Test code and third-party trees are not the service: asserts in tests are not flaws.
# Bandit matches these globs against paths relative to the working directory, so it runs
# from inside the root (an absolute root under a "tests" folder would exclude itself).
EXCLUDE = [
    "*/tests/*",
    "*/test/*",
    "*/test_*.py",
    "*/*_test.py",
    "*/conftest.py",
    "*/.venv/*",
    "*/venv/*",
    "*/env/*",
    "*/site-packages/*",
    "*/node_modules/*",
    "*/.git/*",
    "*/build/*",
    "*/dist/*",
    "*/migrations/*",
]


class BanditUnavailable(RuntimeError):
    """Bandit did not run or gave no report; the message says why."""


def run_bandit(root: Path, timeout_s: float = 300.0) -> tuple[list[Finding], dict[str, Any]]:
    """Scan `root` and return (findings, data); raises BanditUnavailable on tool failure."""
    cmd = [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q", "-x", ",".join(EXCLUDE)]
    try:
        proc = subprocess.run(
            cmd, cwd=root, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise BanditUnavailable(f"bandit took longer than {timeout_s:.0f}s") from e
    # Exit code 1 only means "issues found"; a report we cannot parse is the real failure.
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BanditUnavailable(f"bandit gave no JSON report: {detail[0]}") from e
    findings = [to_finding(r) for r in report.get("results", [])]
    data = {
        "issues": len(findings),
        "errors": [f"{e.get('filename')}: {e.get('reason')}" for e in report.get("errors", [])],
        "lines_scanned": report.get("metrics", {}).get("_totals", {}).get("loc", 0),
    }
    return findings, data


def to_finding(result: dict[str, Any]) -> Finding:
    """One bandit result -> a Finding (CWE from `issue_cwe`, severity from the rubric)."""
    cwe_id = (result.get("issue_cwe") or {}).get("id")
    path = str(result.get("filename", "?")).removeprefix("./")
    line = result.get("line_number", 0)
    return Finding(
        cwe=f"CWE-{cwe_id}" if cwe_id else "NVD-CWE-noinfo",
        severity=bandit_severity(
            result.get("issue_severity", "LOW"), result.get("issue_confidence", "LOW")
        ),
        title=f"{result.get('test_id', '')} {result.get('issue_text', '')}".strip(),
        location=f"{path}:{line}",
        evidence={
            "file": path,
            "line": line,
            "snippet": str(result.get("code", "")).rstrip(),
            "test": result.get("test_name", ""),
            "bandit_severity": result.get("issue_severity"),
            "bandit_confidence": result.get("issue_confidence"),
            "more_info": result.get("more_info", ""),
        },
        tool="bandit",
    )
