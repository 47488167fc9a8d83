"""Findings a security engineer trusts: one per weakness across tools, every source kept,
severity from evidence and context, a `curl` that reproduces HTTP findings, worst first."""

from __future__ import annotations

import shlex
from pathlib import Path

import httpx
import pytest

from bdev.backend.audit.results import Finding, HttpRequest, HttpResponse, StepResult
from bdev.backend.audit.scorecard import build_scorecard
from bdev.backend.audit.security.findings import probe_finding
from bdev.backend.audit.security.http import ProbeClient
from bdev.backend.audit.security.merge import merge_findings
from bdev.backend.audit.security.secret_fallbacks import fallback_secrets
from bdev.backend.audit.security.static import secret_findings
from bdev.backend.facts import BackendFacts, Endpoint, Location, Secret

APP = """\
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/users")
def users():
    name = request.args.get("name", "")
    db = sqlite3.connect("x.db")
    rows = db.execute(f"SELECT * FROM users WHERE name = '{name}'").fetchall()
    return {"rows": rows}


@app.route("/items/<int:item_id>")
def item(item_id):
    db = sqlite3.connect("x.db")
    return {"row": db.execute("SELECT * FROM items WHERE id = %s" % item_id).fetchone()}


if __name__ == "__main__":
    app.run(debug=True)
"""
USERS_SQL, ITEM_SQL, DEBUG_LINE = 11, 18, 22


@pytest.fixture
def service(tmp_path: Path) -> tuple[Path, BackendFacts]:
    (tmp_path / "app.py").write_text(APP)
    endpoints = [
        Endpoint(method="GET", path="/users", handler="users",
                 location=Location(file="app.py", line=8)),
        Endpoint(method="GET", path="/items/<int:item_id>", handler="item",
                 location=Location(file="app.py", line=16)),
    ]  # fmt: skip
    return tmp_path, BackendFacts(root=str(tmp_path), endpoints=endpoints)


def bandit(test_id: str, cwe: str, severity: str, line: int) -> Finding:
    return Finding(
        cwe=cwe, severity=severity, title=f"{test_id} something", location=f"app.py:{line}",
        tool="bandit", evidence={"file": "app.py", "line": line, "snippet": "..."},
    )  # fmt: skip


def probe(cwe: str, severity: str, location: str, url: str) -> Finding:
    return Finding(
        cwe=cwe, severity=severity, title="confirmed", location=location, tool="probe",
        request=HttpRequest(method="GET", url=url),
        response=HttpResponse(status=500, excerpt='psycopg2.errors.SyntaxError: near "\'"'),
    )  # fmt: skip


def test_static_sqli_and_probe_on_the_same_route_count_once_with_both_sources(service):
    root, facts = service
    scanner = bandit("B608", "CWE-89", "low", USERS_SQL)
    confirmed = probe(
        "CWE-89", "critical", "GET /users?name=...", "http://127.0.0.1:1/users?name=%27"
    )
    merged = merge_findings([scanner, confirmed], facts, root)
    assert len(merged) == 1
    f = merged[0]
    assert f.sources == ["probe sqli", "bandit B608"]
    # The confirmed exploit outranks bandit's "low", and the finding says so.
    assert f.severity == "critical"
    assert "confirmed over HTTP" in f.severity_reason and "low" in f.severity_reason
    assert f"app.py:{USERS_SQL}" in f.also_at
    assert f.curl is not None and "users?name=%27" in f.curl
    assert f.evidence["related"][0]["location"] == f"app.py:{USERS_SQL}"


def test_a_route_template_matches_the_probed_path_template(service):
    root, facts = service
    scanner = bandit("B608", "CWE-89", "medium", ITEM_SQL)
    suspected = probe(
        "CWE-89",
        "high",
        "GET /items/{item_id} (path parameter item_id)",
        "http://127.0.0.1:1/items/1'",
    )
    [f] = merge_findings([scanner, suspected], facts, root)
    assert f.severity == "high" and f.sources == ["probe sqli", "bandit B608"]


def test_different_routes_or_weaknesses_stay_apart(service):
    root, facts = service
    findings = [
        bandit("B608", "CWE-89", "medium", USERS_SQL),
        bandit("B608", "CWE-89", "medium", ITEM_SQL),  # another handler: another injection
        probe("CWE-79", "high", "GET /users?name=...", "http://127.0.0.1:1/users?name=%3Cb%3E"),
    ]
    merged = merge_findings(findings, facts, root)
    assert len(merged) == 3
    # Without the handler map, a static finding cannot meet a route, so nothing merges.
    sqli = probe("CWE-89", "critical", "GET /users?name=...", "http://127.0.0.1:1/users")
    assert len(merge_findings([findings[0], sqli])) == 2
    assert len(merge_findings([findings[0], sqli], facts, root)) == 1


def test_debug_mode_seen_by_three_tools_is_one_finding(service):
    root, facts = service
    findings = [
        bandit("B201", "CWE-94", "high", DEBUG_LINE),
        Finding(cwe="CWE-489", severity="medium", title="Debug mode enabled in code",
                location=f"app.py:{DEBUG_LINE}", tool="ast"),
        probe("CWE-489", "critical", "GET /console", "http://127.0.0.1:1/console"),
    ]  # fmt: skip
    [f] = merge_findings(findings, facts, root)
    assert f.severity == "critical"
    assert f.sources == ["probe debug", "bandit B201", "bdev debug"]
    # An unrelated CWE-94 bandit result is not debug mode and stays on its own.
    other = bandit("B307", "CWE-94", "medium", 3)
    assert len(merge_findings([*findings, other], facts, root)) == 2


def test_same_line_secret_from_bandit_and_bdev_is_one(service):
    root, facts = service
    secret = Finding(cwe="CWE-798", severity="high", title="Hard-coded secret",
                     location="settings.py:4", tool="secrets")  # fmt: skip
    b105 = Finding(cwe="CWE-259", severity="low", title="B105 hardcoded_password_string",
                   location="settings.py:4", tool="bandit")  # fmt: skip
    [f] = merge_findings([b105, secret], facts, root)
    assert (f.severity, f.cwe, f.sources) == ("high", "CWE-798", ["bdev secret", "bandit B105"])


def test_merging_twice_changes_nothing(service):
    root, facts = service
    findings = [
        bandit("B608", "CWE-89", "low", USERS_SQL),
        probe("CWE-89", "critical", "GET /users?name=...", "http://127.0.0.1:1/users"),
        bandit("B201", "CWE-94", "high", DEBUG_LINE),
    ]
    once = merge_findings(findings, facts, root)
    twice = merge_findings(once, facts, root)
    assert [(f.severity, f.location, f.sources) for f in twice] == [
        (f.severity, f.location, f.sources) for f in once
    ]
    assert len(twice[0].evidence["related"]) == 1


@pytest.mark.parametrize(
    ("path", "severity"),
    [
        ("docker-compose.yml", "low"),
        ("docker-compose.ci.yaml", "low"),
        (".env.example", "low"),
        (".env.sample", "low"),
        (".github/workflows/ci.yml", "low"),
        ("tests/settings.py", "low"),
        ("app/config.py", "high"),  # deployed code keeps its grade
        (".env", "high"),
    ],
)
def test_example_and_ci_credentials_are_low_and_say_why(path: str, severity: str):
    facts = BackendFacts(
        root="/nowhere",
        secrets=[Secret(location=Location(file=path, line=3), kind="password in connection URL")],
    )
    [f] = merge_findings(secret_findings(facts, Path("/nowhere")))
    assert f.severity == severity
    if severity == "low":
        assert "example or CI credential" in f.severity_reason and path in f.severity_reason
    else:
        assert f.severity_reason == ""


def test_findings_sort_by_severity_then_location():
    def f(severity: str, location: str) -> Finding:  # one CWE each: nothing merges here
        cwe = f"CWE-{severity}"
        return Finding(cwe=cwe, severity=severity, title=location, location=location)

    unsorted = [f("low", "a.py:1"), f("info", "a.py:1"), f("critical", "z.py:1"),
                f("high", "b.py:10"), f("high", "b.py:9"), f("medium", "a.py:2")]  # fmt: skip
    order = [(x.severity, x.location) for x in merge_findings(unsorted)]
    assert order == [
        ("critical", "z.py:1"), ("high", "b.py:9"), ("high", "b.py:10"),
        ("medium", "a.py:2"), ("low", "a.py:1"), ("info", "a.py:1"),
    ]  # fmt: skip


def test_curl_reproduces_the_request_exactly():
    body = "{\"q\": \"x' OR '1'='1\"}"
    request = HttpRequest(
        method="post", url="http://127.0.0.1:8000/search?q={{7*7}}",
        headers={"Content-Type": "application/json", "X-Forwarded-For": "1.2.3.4'"}, body=body,
    )  # fmt: skip
    args = shlex.split(request.curl())
    assert args[0] == "curl" and args[-1] == "http://127.0.0.1:8000/search?q={{7*7}}"
    assert args[args.index("-X") + 1] == "POST"
    assert args[args.index("--data-raw") + 1] == body
    headers = [args[i + 1] for i, a in enumerate(args) if a == "-H"]
    assert headers == ["Content-Type: application/json", "X-Forwarded-For: 1.2.3.4'"]
    assert "-g" in args and "--path-as-is" in args  # braces and ../ reach the server as sent
    assert Finding(cwe="CWE-1", severity="low", title="t", location="x").curl is None


def test_probe_findings_carry_request_response_and_curl():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="psycopg2.errors.SyntaxError: unterminated quoted string")

    client = ProbeClient("http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    ex = client.send("POST", "/login", json={"user": "a'"}, headers={"X-Test": "1"})
    f = probe_finding("CWE-89", "critical", "SQL injection", "POST /login", ex, focus="psycopg2")
    assert f.request is not None and f.response is not None
    assert (f.request.method, f.request.url) == ("POST", "http://127.0.0.1:9/login")
    assert f.request.body == '{"user": "a\'"}'
    assert f.request.headers["Content-Type"] == "application/json"
    assert f.response.status == 500 and "psycopg2" in f.response.excerpt
    assert f.curl is not None and shlex.split(f.curl)[-1] == "http://127.0.0.1:9/login"
    assert f.model_dump(mode="json")["curl"] == f.curl  # in audit.json too


def test_scorecard_counts_a_weakness_once_across_steps(service):
    root, facts = service
    confirmed = probe("CWE-89", "critical", "GET /users?name=...", "http://127.0.0.1:1/users")
    probes = StepResult(name="probes", status="failed", findings=[confirmed])
    static = StepResult(name="security", status="failed", findings=[
        bandit("B608", "CWE-89", "low", USERS_SQL),
        Finding(cwe="CWE-798", severity="high", title="pw", location="docker-compose.yml:5",
                tool="secrets"),
    ])  # fmt: skip
    score = build_scorecard([probes, static], facts, root).security
    assert score.counts == {"critical": 1, "low": 1}
    assert [f.severity for f in score.findings] == ["critical", "low"]


# --- hard-coded fallback secrets -------------------------------------------------------------

FALLBACKS = """\
import os
from os import environ
import configparser
from decouple import config

SECRET_KEY = os.environ.get("SECRET_KEY") or "k8Jq2-Zr0b9-Wx"
API_TOKEN = os.getenv("API_TOKEN", "tok_9f8e7d6c5b4a")
DB_PASSWORD = environ.get("DB_PASSWORD", "s3cure-Pa55")
JWT_SECRET = config("JWT_SECRET", default="jwt-signing-9931")
parser = configparser.ConfigParser()
MAIL_PASSWORD = parser.get("mail", "password", fallback="hunter2-mail")
os.environ.setdefault("SIGNING_KEY", "abc123signing")
SESSION_SECRET = os.environ.get("SESSION_SECRET") or "dev-only-change-me"
"""
CLEAN = """\
import os
from flask import request

SECRET_KEY = os.environ["SECRET_KEY"]
TOKEN = os.getenv("TOKEN")
PASSWORD = os.environ.get("PASSWORD") or ""
DEBUG = os.getenv("DEBUG", "false-and-long")
TOKEN_URL = os.getenv("TOKEN_URL", "https://example.org/token")
SECRET = os.environ.get("SECRET", "OTHER_ENV_NAME")


def view():
    return request.args.get("password", "guest-password")
"""


def test_fallback_secrets_in_every_form(tmp_path: Path):
    (tmp_path / "settings.py").write_text(FALLBACKS)
    found = {int(f.location.split(":")[1]): f for f in fallback_secrets(tmp_path)}
    assert sorted(found) == [6, 7, 8, 9, 11, 12, 13]
    assert found[6].evidence["name"] == "SECRET_KEY"
    assert found[11].evidence["name"] == "password"
    assert all(f.cwe == "CWE-798" for f in found.values())
    snippet = found[6].evidence["snippet"]
    assert "k8J" in snippet and "Zr0b9" not in snippet  # where, never the value
    assert found[6].severity == "high"
    # A placeholder-looking fallback is still the key in use: medium, with the reason.
    assert found[13].severity == "medium" and "placeholder" in found[13].severity_reason


def test_reads_without_a_fallback_are_not_findings(tmp_path: Path):
    (tmp_path / "settings.py").write_text(CLEAN)
    assert fallback_secrets(tmp_path) == []


def test_report_shows_evidence_sources_reason_curl_and_database_date(tmp_path: Path):
    from bdev.backend.audit.document import render_html, render_markdown
    from bdev.backend.audit.report import AuditReport

    confirmed = probe("CWE-89", "critical", "GET /users?name=...", "http://127.0.0.1:1/u?n=%27")
    steps = [
        StepResult(name="probes", status="failed", findings=[confirmed]),
        StepResult(name="security", status="failed", findings=[
            bandit("B608", "CWE-89", "low", USERS_SQL),
            Finding(cwe="CWE-798", severity="high", title="pw <b>", location=".env.example:2",
                    tool="secrets"),
        ], data={"pip_audit": {
            "status": "pass", "checker": "OSV advisory snapshot of 2026-11-30 (downloaded)",
            "database": {"date": "2026-11-30", "records": 4321}, "files": ["requirements.txt"],
            "audited": ["flask"], "skipped": [],
        }}),
    ]  # fmt: skip
    (tmp_path / "app.py").write_text(APP)
    facts = BackendFacts(
        root=str(tmp_path),
        endpoints=[Endpoint(method="GET", path="/users", handler="users",
                            location=Location(file="app.py", line=8))],
    )  # fmt: skip
    score = build_scorecard(steps, facts, tmp_path)
    report = AuditReport(**dict(score), root=str(tmp_path), started_at="2026-12-01T12:00:00+00:00",
                         steps=steps, facts=facts)  # fmt: skip
    md = render_markdown(report)
    assert "advisory database dated 2026-11-30 (4321 advisories)" in md
    assert "| 1 | critical | CWE-89 |" in md and "probe sqli, bandit B608" in md
    assert "curl -i -g --path-as-is -X GET 'http://127.0.0.1:1/u?n=%27'" in md
    assert "confirmed over HTTP" in md and "example or CI credential" in md
    assert md.index("| 1 | critical") < md.index("| 2 | low")
    html = render_html(report)
    assert "pw &lt;b&gt;" in html and "pw <b>" not in html  # escaped
    assert "curl -i -g" in html and "2026-11-30" in html


@pytest.mark.parametrize(("file", "status"), [("docker-compose.yml", "pass"), ("app.py", "fail")])
def test_checklist_secrets_item_ignores_example_credentials(tmp_path: Path, file: str, status: str):
    secret = Secret(location=Location(file=file, line=4), kind="password in connection URL")
    facts = BackendFacts(root=str(tmp_path), secrets=[secret])
    checks = {c.name: c for c in build_scorecard([], facts, tmp_path).checklist}
    assert checks["no hard-coded secrets"].status == status


def test_the_confirmed_severity_wins_over_a_scanners_guess_both_ways(service):
    root, facts = service
    scanner = bandit("B608", "CWE-89", "high", USERS_SQL)
    shown = probe("CWE-89", "medium", "GET /users?name=...", "http://127.0.0.1:1/users")
    [f] = merge_findings([scanner, shown], facts, root)
    assert f.severity == "medium" and "alone graded it high" in f.severity_reason
    # Unconfirmed findings merged together keep the highest guess, with no reason needed.
    other = bandit("B611", "CWE-89", "low", USERS_SQL)
    [g] = merge_findings([scanner, other], facts, root)
    assert (g.severity, g.severity_reason) == ("high", "")
