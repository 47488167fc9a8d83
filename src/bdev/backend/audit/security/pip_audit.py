"""pip-audit on the service's declared dependencies, honest about what it could not check.

pip-audit prints "No known vulnerabilities found" and exits 0 even when it skipped every
package (for instance when its vulnerability service is unreachable). So the verdict is
built from its JSON per package: a package with a `skip_reason` is "not checked", and the
whole audit passes only when every declared package was really looked up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement

from bdev.backend.audit.results import Finding

Status = Literal["pass", "fail", "not checked"]


def declared_requirements(root: Path) -> tuple[str, list[str]]:
    """(source file, requirement lines) from requirements.txt, else pyproject.toml."""
    req = root / "requirements.txt"
    if req.is_file():
        lines = [_strip_comment(x) for x in req.read_text(errors="replace").splitlines()]
        # Options (-r, -e, --hash...) need pip to resolve; pip is disabled here.
        return "requirements.txt", [x for x in lines if x and not x.startswith("-")]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            doc = tomllib.loads(pyproject.read_text(errors="replace"))
        except tomllib.TOMLDecodeError:
            return "pyproject.toml", []
        return "pyproject.toml", list(doc.get("project", {}).get("dependencies", []))
    return "", []


def _strip_comment(line: str) -> str:
    return line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""


def _pinned(line: str) -> tuple[str, str | None]:
    """(name, exact version or None). `--no-deps --disable-pip` needs `==` pins."""
    try:
        r = Requirement(line)
    except InvalidRequirement:
        return line, None
    specs = list(r.specifier)
    if len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version:
        return r.name, specs[0].version
    return r.name, None


def run_pip_audit(root: Path, timeout_s: float = 120.0) -> tuple[list[Finding], dict[str, Any]]:
    """Audit the declared dependencies; returns (findings, data["pip_audit"] contents)."""
    source, lines = declared_requirements(root)
    data: dict[str, Any] = {"source": source, "skipped": [], "vulnerable": [], "audited": []}
    pins: list[str] = []
    for line in lines:
        name, version = _pinned(line)
        if version is None:
            data["skipped"].append({"name": name, "reason": f"not pinned to one version: {line}"})
        else:
            pins.append(f"{name}=={version}")
    if not source:
        return [], {**data, "status": "not checked", "reason": "no requirements.txt or pyproject"}
    if pins:
        report, error = _invoke(pins, timeout_s)
        if error:
            data["reason"] = error
            data["skipped"] += [{"name": p.split("==")[0], "reason": error} for p in pins]
        else:
            _read_report(report, data)
    findings = [_finding(v, source) for v in data["vulnerable"]]
    data["status"] = _verdict(data, declared=len(lines))
    return findings, data


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


def _verdict(data: dict[str, Any], declared: int) -> Status:
    if data["vulnerable"]:
        return "fail"
    if data["skipped"] or not declared or not data["audited"]:
        return "not checked"
    return "pass"


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
    )
