"""The audit's security findings as SARIF 2.1.0, for code-scanning tools.

One rule per CWE; one result per (merged) finding. Levels: critical/high -> "error",
medium -> "warning", low/info -> "note"; the rule's `security-severity` (the number
GitHub code scanning sorts by) is that of its worst result. A finding seen over HTTP is
placed at the handler that serves its route when the analysis knows it, and otherwise
carries a logical location (the route); its `curl`, request and response ride along in
the result's properties.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import Finding
from bdev.backend.audit.security.merge import normal_path
from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
_FILE_LINE = re.compile(r"^(?P<file>[^\s:]+)(?::(?P<line>\d+))?$")
_ROUTE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>/[^\s?]*)")


def to_sarif(report: AuditReport) -> dict[str, Any]:
    findings = report.security.findings
    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        rule = rules.setdefault(f.cwe, _rule(f))
        worst = rule["properties"]["security-severity"]
        if float(SECURITY_SEVERITY[f.severity]) > float(worst):
            rule["properties"]["security-severity"] = SECURITY_SEVERITY[f.severity]
    index = {cwe: i for i, cwe in enumerate(rules)}
    handlers = _handlers(report)
    root_uri = Path(report.root).resolve().as_uri() + "/"
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bdev",
                        "version": _bdev_version(),
                        "informationUri": "https://cwe.mitre.org/",
                        "rules": list(rules.values()),
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root_uri}},
                "invocations": [
                    {"executionSuccessful": True, "startTimeUtc": _utc(report.started_at)}
                ],
                "results": [_result(f, index[f.cwe], handlers) for f in findings],
            }
        ],
    }


def check_target(path: Path) -> Path:
    """The resolved output path; BdevError naming it when its folder does not exist (checked
    before the audit runs, so a typo costs no audit)."""
    target = path.resolve()
    if not target.parent.is_dir():
        raise BdevError(f"--sarif {path}: directory {target.parent} does not exist")
    return target


def write_sarif(report: AuditReport, path: Path) -> None:
    write_text_atomic(check_target(path), json.dumps(to_sarif(report), indent=2) + "\n")


def _rule(f: Finding) -> dict[str, Any]:
    number = f.cwe.removeprefix("CWE-")
    rule: dict[str, Any] = {
        "id": f.cwe,
        "name": re.sub(r"\W+", "", f.title.title())[:60] or f.cwe,
        "shortDescription": {"text": f.title},
        "properties": {"security-severity": SECURITY_SEVERITY[f.severity], "tags": ["security"]},
    }
    if number.isdigit():
        rule["helpUri"] = f"https://cwe.mitre.org/data/definitions/{number}.html"
        rule["properties"]["tags"].append(f"external/cwe/cwe-{number}")
    return rule


def _result(f: Finding, rule_index: int, handlers: dict[tuple[str, str], str]) -> dict[str, Any]:
    text = f.title
    if f.severity_reason:
        text += f" (severity {f.severity}: {f.severity_reason})"
    if f.curl:
        text += f". Reproduce: {f.curl}"
    places = [f.location, *f.also_at]
    physical = [loc for where in places if (loc := _physical(where, handlers))]
    result: dict[str, Any] = {
        "ruleId": f.cwe,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": text},
        "locations": physical[:1] or [_logical(f.location)],
        "properties": {
            "severity": f.severity,
            "sources": f.sources or [f.tool],
            "evidence": f.evidence,
        },
    }
    if len(physical) > 1:
        result["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(physical[1:], 1)]
    if f.curl:
        result["properties"]["curl"] = f.curl
    if f.request is not None:
        result["properties"]["request"] = f.request.model_dump()
    if f.response is not None:
        result["properties"]["response"] = f.response.model_dump()
    return result


def _physical(where: str, handlers: dict[tuple[str, str], str]) -> dict[str, Any] | None:
    route = _ROUTE.match(where)
    if route:
        spot = handlers.get((route["method"], normal_path(route["path"])))
        return _physical(spot, {}) if spot else None
    match = _FILE_LINE.match(where)
    if match is None or ("/" not in where and "." not in where):
        return None
    location: dict[str, Any] = {"artifactLocation": {"uri": match["file"], "uriBaseId": "SRCROOT"}}
    if match["line"] and int(match["line"]) > 0:
        location["region"] = {"startLine": int(match["line"])}
    return {"physicalLocation": location}


def _logical(where: str) -> dict[str, Any]:
    return {"logicalLocations": [{"name": where, "kind": "resource"}]}


def _handlers(report: AuditReport) -> dict[tuple[str, str], str]:
    """(METHOD, normalised path) -> "file:line" of the handler, from the analysis."""
    endpoints = report.facts.endpoints if report.facts else []
    return {
        (ep.method.upper(), normal_path(ep.path)): f"{ep.location.file}:{ep.location.line}"
        for ep in endpoints
        if ep.location is not None
    }


def _utc(started_at: str) -> str:
    """SARIF wants `Z`-suffixed UTC date-times; the report keeps `+00:00`."""
    return started_at.replace("+00:00", "Z")


def _bdev_version() -> str:
    try:
        return version("bdev")
    except PackageNotFoundError:
        return "unknown"
