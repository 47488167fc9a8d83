"""The static security step: bandit mapping, pip-audit honesty, secrets as CWE-798."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.backend.analyze import analyze
from bdev.backend.audit.security import pip_audit as sec_pip_audit
from bdev.backend.audit.security.bandit import to_finding
from bdev.backend.audit.security.dependencies import check_dependencies
from bdev.backend.audit.security.rubric import bandit_severity
from bdev.backend.audit.security.static import run_static_security
from bdev.backend.facts import BackendFacts, Location, Secret

FLAWED = Path(__file__).parents[1] / "fixtures" / "services" / "flawed_flask"


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("HIGH", "HIGH", "high"),
        ("HIGH", "LOW", "medium"),
        ("MEDIUM", "MEDIUM", "medium"),
        ("MEDIUM", "LOW", "low"),
        ("LOW", "HIGH", "low"),
        ("LOW", "LOW", "info"),
        ("UNDEFINED", "HIGH", "low"),
    ],
)
def test_bandit_severity_times_confidence(severity: str, confidence: str, expected: str):
    assert bandit_severity(severity, confidence) == expected


def test_bandit_result_becomes_a_finding():
    result = {
        "code": "83 query = f\"SELECT * FROM users WHERE name = '{name}'\"\n",
        "filename": "./app/views.py",
        "issue_confidence": "MEDIUM",
        "issue_cwe": {"id": 89, "link": "https://cwe.mitre.org/data/definitions/89.html"},
        "issue_severity": "MEDIUM",
        "issue_text": "Possible SQL injection vector through string-based query construction.",
        "line_number": 83,
        "test_id": "B608",
        "test_name": "hardcoded_sql_expressions",
    }
    f = to_finding(result)
    assert (f.cwe, f.severity, f.location, f.tool) == (
        "CWE-89",
        "medium",
        "app/views.py:83",
        "bandit",
    )
    assert "SELECT * FROM users" in f.evidence["snippet"]
    assert f.title.startswith("B608 ")


SECRET_LINE = next(
    i
    for i, text in enumerate((FLAWED / "app.py").read_text().splitlines(), 1)
    if text.startswith("app.secret_key")
)


def flawed_facts() -> BackendFacts:
    where = Location(file="app.py", line=SECRET_LINE)
    secret = Secret(location=where, kind="secret key", name="secret_key")
    return BackendFacts(root=str(FLAWED), secrets=[secret])


@pytest.fixture(autouse=True)
def _no_advisory_cache(tmp_path_factory, monkeypatch):
    """pip-audit's path: no advisory snapshot in bdev's cache for these tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def static_result():
    return run_static_security(FLAWED, flawed_facts())


def test_static_scan_of_the_flawed_fixture(static_result):
    by_cwe = {}
    for f in static_result.findings:
        by_cwe.setdefault(f.cwe, []).append(f)
    # bandit sees the formatted SQL and the debug flag; the secret comes from the facts.
    assert any(f.tool == "bandit" and f.location.startswith("app.py:") for f in by_cwe["CWE-89"])
    assert any(f.tool == "bandit" for f in by_cwe["CWE-94"])  # B201 flask debug=True
    secret = by_cwe["CWE-798"][0]
    assert (secret.severity, secret.tool) == ("high", "secrets")
    assert secret.location.startswith("app.py:")
    assert static_result.name == "security-static"
    assert static_result.status == "failed"


def test_tests_are_not_scanned(static_result):
    assert not [f for f in static_result.findings if f.location.startswith("tests/")]
    assert static_result.data["bandit"]["lines_scanned"] > 0


def test_pip_audit_never_reports_unchecked_packages_as_clean(tmp_path: Path):
    # Both pins have published advisories. With the advisory service out of reach
    # pip-audit skips them; with it in reach it flags them. A pass is wrong either way.
    (tmp_path / "requirements.txt").write_text("flask==0.12\nrequests==2.19.0  # old\n")
    findings, data = check_dependencies(tmp_path)
    assert data["status"] in {"not checked", "fail"}
    if data["status"] == "not checked":
        assert {s["name"] for s in data["skipped"]} == {"flask", "requests"}
        assert all(s["reason"] for s in data["skipped"])
        assert findings == []
    else:
        assert "flask" in {v["name"] for v in data["vulnerable"]}
        assert findings and all(f.cwe == "CWE-1395" for f in findings)


def test_unpinned_requirements_are_not_checked(tmp_path: Path, monkeypatch):
    (tmp_path / "requirements.txt").write_text("-r base.txt\nflask>=3\nhttpx==0.28.1\n")
    sent = []

    def fake_invoke(pins, timeout_s):
        sent.extend(pins)
        return {"dependencies": [{"name": "httpx", "version": "0.28.1", "vulns": []}]}, ""

    monkeypatch.setattr(sec_pip_audit, "_invoke", fake_invoke)
    _, data = check_dependencies(tmp_path)
    assert sent == ["httpx==0.28.1"]
    assert data["audited"] == ["httpx"]
    assert data["skipped"][0]["name"] == "flask"
    assert "not pinned" in data["skipped"][0]["reason"]
    assert "requirements.txt" in data["skipped"][0]["reason"]
    assert data["status"] == "not checked"


def test_pip_audit_pass_and_fail_from_its_report(tmp_path: Path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\ndependencies = ["jinja2==2.10", "httpx==0.28.1"]\n'
    )
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "2.10", "vulns": [
                {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"], "aliases": []}]},
            {"name": "httpx", "version": "0.28.1", "vulns": []},
        ]
    }  # fmt: skip
    monkeypatch.setattr(sec_pip_audit, "_invoke", lambda pins, timeout_s: (report, ""))
    findings, data = check_dependencies(tmp_path)
    assert data["files"] == ["pyproject.toml"]
    assert findings[0].location == "pyproject.toml"
    assert data["status"] == "fail"
    assert [f.evidence["package"] for f in findings] == ["jinja2"]
    assert findings[0].evidence["fix_versions"] == "2.10.1"

    report["dependencies"][0]["vulns"] = []
    _, data = check_dependencies(tmp_path)
    assert data["status"] == "pass"


def test_no_manifest_is_not_checked(tmp_path: Path):
    _, data = check_dependencies(tmp_path)
    assert data["status"] == "not checked"


def test_secrets_found_by_analyze_become_cwe_798():
    result = run_static_security(FLAWED, analyze(FLAWED))
    secrets = [f for f in result.findings if f.cwe == "CWE-798"]
    assert [f.location for f in secrets] == [f"app.py:{SECRET_LINE}"]
    # The evidence shows where, not what: the value itself is masked.
    assert secrets[0].evidence["snippet"].startswith("app.secret_key = ")
    assert "do-not-ship" not in secrets[0].evidence["snippet"]


def test_good_service_has_no_high_static_finding():
    good = FLAWED.parent / "good_fastapi"
    result = run_static_security(good, BackendFacts(root=str(good)))
    assert [f for f in result.findings if f.severity in {"high", "critical"}] == []
    assert result.data["bandit"]["lines_scanned"] > 0


def test_the_audit_runs_the_static_scan_it_names() -> None:
    # Through the audit's own entry, the one `run_audit` calls: a renamed or broken module
    # must show up here, not as an "error" step in a user's report.
    from bdev.backend.audit import external

    result = external.static_security(FLAWED, analyze(FLAWED))
    assert result.name == "security" and result.status != "error", result.summary
    assert any(f.cwe == "CWE-798" for f in result.findings)
