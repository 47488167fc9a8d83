"""Known vulnerabilities in the declared dependencies (CWE-1395), checked offline if possible.

Every manifest format is read (`manifests.py`); each package pinned to one version is
looked up in the advisory snapshot (`advisories.py`). Without a snapshot pip-audit is
tried, which needs its web service; when that is out of reach too, the verdict is
"not checked" with the command that fixes it. Never "pass" for a package not looked up.

The result goes to the security step's `data["pip_audit"]` (the scorecard's key):
status ("pass" | "fail" | "not checked"), checker, database (location, date, records),
files, audited, skipped [{name, reason}], vulnerable, reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from bdev.backend.audit.manifests import Pin, pinned, read_manifests
from bdev.backend.audit.results import Finding
from bdev.backend.audit.security.advisories import (
    UPDATE_HINT,
    AdvisoryDB,
    fixed_versions,
    locate,
)
from bdev.backend.audit.security.pip_audit import run_pip_audit
from bdev.errors import BdevError

Status = Literal["pass", "fail", "not checked"]


def check_dependencies(
    root: Path, configured: str | None = None
) -> tuple[list[Finding], dict[str, Any]]:
    manifests = read_manifests(root)
    pins, unpinned = pinned(manifests.declared)
    data: dict[str, Any] = {
        "files": manifests.files,
        "pinned": len(pins),
        "skipped": list(unpinned),
        "audited": [],
        "vulnerable": [],
        "problems": manifests.problems,
    }
    if not manifests.files:
        return [], {**data, "status": "not checked", "reason": "no dependency manifest found"}
    try:
        db = locate(configured)
    except BdevError as e:  # a configured snapshot that cannot be read: say so, check nothing
        return [], {**data, "status": "not checked", "reason": str(e)}
    if db is not None:
        findings = _check_offline(pins, db, data)
    else:
        findings, online = run_pip_audit(pins)
        data["checker"] = "pip-audit (online)"
        data["audited"] = online["audited"]
        data["vulnerable"] = online["vulnerable"]
        data["skipped"] += online["skipped"]
        if not online["audited"] and pins:
            why = online.get("reason") or (online["skipped"] or [{}])[0].get("reason", "")
            data["reason"] = (
                f"no advisory database ({UPDATE_HINT}); pip-audit could not look the "
                f"packages up online: {why}"
            )
    data["status"] = _verdict(data, declared=bool(manifests.declared))
    if data["status"] == "not checked" and "reason" not in data:
        data["reason"] = _why_not(data)
    return findings, data


def _check_offline(pins: list[Pin], db: AdvisoryDB, data: dict[str, Any]) -> list[Finding]:
    data["checker"] = f"OSV advisory snapshot of {db.date} ({db.date_basis})"
    data["database"] = db.describe()
    findings = []
    for pin in pins:
        data["audited"].append(pin.name)
        records = db.advisories(pin.name, pin.version)
        if not records:
            continue
        fixes = sorted({v for r in records for v in fixed_versions(r, pin.name)})
        vuln = {
            "name": pin.name,
            "version": pin.version,
            "ids": [r.get("id") for r in records],
            "fix_versions": fixes,
        }
        data["vulnerable"].append(vuln)
        findings.append(_finding(pin, records, fixes, db))
    return findings


def _finding(pin: Pin, records: list[dict[str, Any]], fixes: list[str], db: AdvisoryDB) -> Finding:
    return Finding(
        cwe="CWE-1395",
        severity="high",
        title=f"{pin.name} {pin.version} has known vulnerabilities ({len(records)})",
        location=pin.source,
        evidence={
            "package": pin.name,
            "version": pin.version,
            "advisories": [
                {
                    "id": r.get("id"),
                    "aliases": r.get("aliases", []),
                    "summary": r.get("summary", ""),
                }
                for r in records
            ],
            "fix_versions": ", ".join(fixes) or "none published",
            "database_date": db.date,
        },
        tool="advisories",
        sources=["osv-snapshot"],
    )


def _verdict(data: dict[str, Any], declared: bool) -> Status:
    if data["vulnerable"]:
        return "fail"
    if data["skipped"] or not declared or not data["audited"]:
        return "not checked"
    return "pass"


def _why_not(data: dict[str, Any]) -> str:
    if not data["audited"] and not data["skipped"]:
        return f"no dependency declared in {', '.join(data['files'])}"
    first = data["skipped"][0]
    return f"{len(data['skipped'])} not checked, e.g. {first['name']}: {first['reason']}"
