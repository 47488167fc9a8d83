"""API conformance: does the running service behave as its OpenAPI document says?

Schemathesis does the work (it generates requests for every operation and checks each
answer). It runs as a subprocess so that a hung run can be killed, and its machine
reports are read rather than its console text: the JSON run report (operations,
unique failures), the HAR log (every request and status: the request and 5xx counts)
and the JUnit report (a readable example per failing operation).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml

from bdev.backend.audit.results import StepResult
from bdev.backend.facts import BackendFacts

StepStatus = Literal["ok", "failed", "error"]
SPEC_PATHS = [
    "/openapi.json",
    "/docs/openapi.json",
    "/swagger.json",
    "/api/openapi.json",
    "/v1/openapi.json",
]
# The checks about what the service *answers*; the stateful and negative-data ones judge
# API design choices and are left to a deeper review.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
MAX_EXAMPLES = 10  # per operation and phase
SCHEMA_VIOLATION = "ST108"  # schemathesis' code for "response violates schema"
EXAMPLE_CHARS = 400


def fetch_openapi(base_url: str, facts: BackendFacts) -> dict | None:
    """The service's OpenAPI document: served at a usual path, else the file analyze found."""
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=5.0, trust_env=False) as http:
        for path in SPEC_PATHS:
            try:
                response = http.get(path)
                doc = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                continue
            if _is_spec(doc):
                return doc
    if facts.openapi_document:
        spec_file = Path(facts.root) / facts.openapi_document
        try:
            doc = yaml.safe_load(spec_file.read_text())  # YAML is a superset of JSON
        except (OSError, yaml.YAMLError):
            return None
        return doc if _is_spec(doc) else None
    return None


def _is_spec(doc: Any) -> bool:
    return isinstance(doc, dict) and ("openapi" in doc or "swagger" in doc) and "paths" in doc


# Schemathesis over a whole document; one bound for the audit and spec-first's verify.
TIMEOUT_S = 180.0


def run_conformance(base_url: str, openapi: dict, timeout_s: float = TIMEOUT_S) -> StepResult:
    """Exercise every operation of `openapi` against `base_url`; name "conformance"."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bdev-conformance-") as tmp:
        out = Path(tmp)
        (out / "openapi.json").write_text(json.dumps(openapi))
        cmd = _command(out, _api_url(base_url, openapi))
        try:
            proc = subprocess.run(
                cmd, cwd=out, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return _result("error", started, f"schemathesis did not finish in {timeout_s:.0f}s")
        try:
            report = json.loads((out / "run.json").read_text())
        except (OSError, ValueError):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return _result("error", started, "schemathesis failed: " + " | ".join(tail))
        data = _summarise(report, _har_statuses(out / "run.har"), _junit_examples(out / "run.xml"))

    status: StepStatus
    if data["operations_tested"] == 0:
        status = "error"
    elif data["failures"] or data["server_errors"]:
        status = "failed"
    else:
        status = "ok"
    summary = (
        f"{data['operations_tested']}/{data['operations']} operations, {data['requests']} "
        f"requests: {data['server_errors']} server errors, {data['schema_violations']} "
        f"schema violations, {len(data['failures'])} failures"
    )
    return _result(status, started, summary, data)


def _command(out: Path, url: str) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli", "run", str(out / "openapi.json"),
        "--url", url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(MAX_EXAMPLES),
        # No stateful phase: its length depends on the links in the spec, not on -n.
        "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "5",
        "--generation-database", "none",
        "--seed", "1",  # the same requests on each audit, so runs compare
        "--report", "json,har,junit",
        "--report-json-path", str(out / "run.json"),
        "--report-har-path", str(out / "run.har"),
        "--report-junit-path", str(out / "run.xml"),
        "--no-color",
    ]  # fmt: skip


def _api_url(base_url: str, openapi: dict) -> str:
    """The base URL plus the spec's own relative server path ("/api/v1"), if it has one."""
    servers = openapi.get("servers") or [{}]
    prefix = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
    prefix = prefix if prefix.startswith("/") else openapi.get("basePath", "")
    return base_url.rstrip("/") + (prefix.rstrip("/") if prefix else "")


def _har_statuses(path: Path) -> list[int]:
    try:
        entries = json.loads(path.read_text())["log"]["entries"]
    except (OSError, ValueError, KeyError):
        return []
    return [int(e.get("response", {}).get("status", 0)) for e in entries]


def _junit_examples(path: Path) -> dict[str, str]:
    """Failure text per operation ("GET /items/{id}") from the JUnit report."""
    try:
        suite = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    examples = {}
    for case in suite.iter("testcase"):
        failure = case.find("failure")
        if failure is not None and failure.text:
            examples[case.get("name", "")] = failure.text
    return examples


def _example(text: str, code: str) -> str:
    """The part of a JUnit failure about `code`, the response and the curl reproducing it,
    each cut short so that the curl line always survives."""
    start = text.find(f"- {code} ")
    part = text[start:] if start >= 0 else text
    part = re.split(r"\n- ST\d+ |\n\[\d{3}\]|\nReproduce with:", part, maxsplit=1)[0]
    response = re.search(r"\n(\[\d{3}\][^\n]*:\n.*?)(?:\nReproduce with:|$)", text, re.S)
    curl = re.search(r"curl .+", text)
    pieces = [
        _squeeze(part)[:EXAMPLE_CHARS],
        _squeeze(response.group(1))[: EXAMPLE_CHARS // 2] if response else "",
        curl.group(0) if curl else "",
    ]
    return "\n".join(p for p in pieces if p)


def _squeeze(text: str) -> str:
    return re.sub(r"\n\s*\n", "\n", text).strip()


def _summarise(report: dict, statuses: list[int], examples: dict[str, str]) -> dict[str, Any]:
    failures = []
    violations = 0
    for f in report.get("failures", []):
        if f.get("code") == SCHEMA_VIOLATION:
            violations += int(f.get("count", 1))
        for op in f.get("operations", []):
            failures.append(
                {
                    "operation": op,
                    "check": f"{f.get('code', '')} {f.get('title', '')}".strip(),
                    "severity": f.get("severity", ""),
                    "example": _example(examples.get(op, ""), f.get("code", "")),
                }
            )
    ops = report.get("operations", {})
    return {
        "operations": ops.get("total", 0),
        "operations_tested": ops.get("tested", 0),
        "requests": len(statuses) or report.get("test_cases", {}).get("generated", 0),
        "server_errors": sum(1 for s in statuses if s >= 500),
        "schema_violations": violations,
        "failures": failures,
        "errors": [str(e)[:EXAMPLE_CHARS] for e in report.get("errors", [])],
        "checks": CHECKS,
        "stop_reason": report.get("stop_reason"),
    }


def _result(
    status: StepStatus, started: float, summary: str, data: dict | None = None
) -> StepResult:
    return StepResult(
        name="conformance",
        status=status,
        duration_s=round(time.monotonic() - started, 3),
        summary=summary,
        data=data or {},
    )
