"""pip-audit on the service's pinned dependencies, honest about what it could not check.

pip-audit asks a web service about each package. It prints "No known vulnerabilities
found" and exits 0 even when it skipped every package (here, with only a PyPI index
reachable, PyPI's JSON API answers 404 and every package is "not found on PyPI"; the OSV
service does not resolve). So the verdict is built from its JSON per package: a package
with a `skip_reason` is "not checked", and the audit passes only when every declared
package was really looked up. `dependencies.py` prefers an offline advisory snapshot and
calls this only when there is none.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bdev.backend.audit.manifests import Pin
from bdev.backend.audit.results import Finding


def run_pip_audit(
    pins: list[Pin], timeout_s: float = 120.0
) -> tuple[list[Finding], dict[str, Any]]:
    """Look `pins` up with pip-audit: (findings, {"audited", "skipped", "vulnerable"})."""
    data: dict[str, Any] = {"skipped": [], "vulnerable": [], "audited": []}
    if not pins:
        return [], data
    report, error = _invoke([f"{p.name}=={p.version}" for p in pins], timeout_s)
    if error:
        data["reason"] = error
        data["skipped"] += [{"name": p.name, "reason": error} for p in pins]
    else:
        _read_report(report, data)
    where = {p.name: p.source for p in pins}
    return [_finding(v, where.get(v["name"], "")) for v in data["vulnerable"]], data


def _invoke(pins: list[str], timeout_s: float) -> tuple[dict[str, Any], str]:
    with tempfile.TemporaryDirectory(prefix="bdev-pip-audit-") as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text("\n".join(pins) + "\n")
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(req), "--no-deps", "--disable-pip"]
        cmd += ["--format", "json", "--progress-spinner", "off"]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return {}, f"pip-audit took longer than {timeout_s:.0f}s"
    try:
        return json.loads(proc.stdout), ""
    except json.JSONDecodeError:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {}, f"pip-audit failed (exit {proc.returncode}): {last}"


def _read_report(report: dict[str, Any], data: dict[str, Any]) -> None:
    for dep in report.get("dependencies", []):
        name = dep.get("name", "?")
        if dep.get("skip_reason"):
            data["skipped"].append({"name": name, "reason": dep["skip_reason"]})
            continue
        data["audited"].append(name)
        vulns = dep.get("vulns") or []
        if vulns:
            data["vulnerable"].append(
                {
                    "name": name,
                    "version": dep.get("version"),
                    "ids": [v.get("id") for v in vulns],
                    "fix_versions": sorted({fv for v in vulns for fv in v.get("fix_versions", [])}),
                }
            )


def _finding(vuln: dict[str, Any], source: str) -> Finding:
    fixes = ", ".join(vuln["fix_versions"]) or "none published"
    return Finding(
        cwe="CWE-1395",
        severity="high",
        title=f"{vuln['name']} {vuln['version']} has known vulnerabilities",
        location=source,
        evidence={
            "package": vuln["name"],
            "version": vuln["version"],
            "advisories": vuln["ids"],
            "fix_versions": fixes,
        },
        tool="pip-audit",
        sources=["pip-audit"],
    )
