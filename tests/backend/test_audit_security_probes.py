"""Active probes against real services: the flawed Flask fixture must show every planted
flaw; the well-built FastAPI fixture must show nothing high or critical."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bdev.backend.analyze import analyze
from bdev.backend.audit.probes import MAX_REQUESTS, run_probes
from bdev.backend.audit.procs import free_port, stop_group, wait_for_port
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.debug import debug_in_code
from bdev.backend.audit.security.findings import FindingSet
from bdev.backend.audit.security.http import ProbeClient
from bdev.backend.audit.security.probe_access import check_missing_auth
from bdev.backend.audit.security.probe_injection import check_sql_injection
from bdev.backend.audit.security.targets import Target, build_targets, normalise_path
from bdev.backend.facts import BackendFacts, Endpoint, Location
from bdev.errors import BdevError

pytestmark = pytest.mark.slow  # starts real services

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"
FLAWED = SERVICES / "flawed_flask"
GOOD = SERVICES / "good_fastapi"


def serve(cwd: Path, command: list[str], port: int, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **(env or {})}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not wait_for_port(port, timeout_s=20):
        stop_group(proc)
        pytest.fail(f"{' '.join(command)} did not start listening on port {port}")
    return proc


def flask_facts() -> BackendFacts:
    """What analyze reports for the fixture, written out from its routes with the AST."""
    tree = ast.parse((FLAWED / "app.py").read_text())
    endpoints = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute):
                method = deco.func.attr.upper()
                if method in {"GET", "POST", "DELETE"}:
                    endpoints.append(
                        Endpoint(
                            method=method,
                            path=deco.args[0].value,
                            handler=node.name,
                            location=Location(file="app.py", line=deco.lineno),
                        )
                    )
    return BackendFacts(root=str(FLAWED), framework="flask", endpoints=endpoints)


@pytest.fixture(scope="module")
def flawed_url() -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    proc = serve(FLAWED, cmd, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture(scope="module")
def flawed_result(flawed_url: str) -> StepResult:
    return run_probes(flawed_url, flask_facts(), None, timeout_s=5.0)


@pytest.mark.parametrize(
    ("cwes", "location_part"),
    [
        ({"CWE-89"}, "/users"),
        ({"CWE-22"}, "/files"),
        ({"CWE-306"}, "/admin/users"),
        ({"CWE-209"}, ""),
        ({"CWE-489", "CWE-215"}, ""),
        ({"CWE-942"}, ""),
        ({"CWE-693"}, ""),
        ({"CWE-400"}, "/notes"),
    ],
)
def test_each_planted_flaw_is_found(flawed_result: StepResult, cwes: set, location_part: str):
    hits = [f for f in flawed_result.findings if f.cwe in cwes and location_part in f.location]
    assert hits, f"no {cwes} finding at {location_part!r}: {flawed_result.findings}"
    probe_hits = [f for f in hits if f.tool == "probe"]
    assert probe_hits, "the flaw should be shown over HTTP, not only in the code"


def test_confirmed_flaws_are_graded_by_the_rubric(flawed_result: StepResult):
    worst = {f.cwe: f.severity for f in reversed(flawed_result.findings)}
    assert worst["CWE-89"] == "critical"  # a quote made sqlite's error come back
    assert worst["CWE-22"] == "high"
    assert worst["CWE-306"] == "high"  # an admin route
    assert worst["CWE-209"] == "medium"
    assert flawed_result.status == "failed"


def test_evidence_holds_request_and_short_response(flawed_result: StepResult):
    sqli = next(f for f in flawed_result.findings if f.cwe == "CWE-89")
    assert sqli.evidence["request"]["method"] == "GET"
    assert "/users?name=" in sqli.evidence["request"]["url"]
    assert sqli.evidence["response"]["status"] == 500
    assert "OperationalError" in sqli.evidence["response"]["body"]
    traversal = next(f for f in flawed_result.findings if f.cwe == "CWE-22")
    assert "root:" in traversal.evidence["response"]["body"]
    for f in flawed_result.findings:
        if f.tool == "probe":
            assert len(f.evidence["response"].get("body", "")) <= 500


def test_one_finding_per_cwe_and_operation(flawed_result: StepResult):
    keys = [(f.cwe, f.location.split("?")[0]) for f in flawed_result.findings]
    assert len(keys) == len(set(keys))


def test_request_budget_is_kept(flawed_result: StepResult):
    assert 0 < flawed_result.data["requests"] <= MAX_REQUESTS
    assert flawed_result.data["budget_exhausted"] is False


def test_the_oversized_body_really_was_big(flawed_url: str):
    # The fixture answers with the length it stored: proof the 10 MB body got through.
    facts = flask_facts()
    facts.endpoints = [e for e in facts.endpoints if e.path == "/notes"]
    result = run_probes(flawed_url, facts, None)
    big = next(f for f in result.findings if f.cwe == "CWE-400")
    assert '"length":10485760' in big.evidence["response"]["body"].replace(" ", "")


def test_unreachable_service_is_an_error_not_a_pass():
    result = run_probes(f"http://127.0.0.1:{free_port()}", BackendFacts(root="."), None)
    assert result.status == "error"
    assert "not reachable" in result.summary


def test_debug_switches_in_code(tmp_path: Path):
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\napp.debug = True\n"
        "if __name__ == '__main__':\n    app.run(debug=True)\n"
    )
    (tmp_path / "settings.py").write_text("DEBUG = True\n")
    (tmp_path / "quiet.py").write_text("DEBUG = True\napp.run(debug=False)\n")  # not settings
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("app.debug = True\n")
    found = {(f.location, f.title.split(": ", 1)[1]) for f in debug_in_code(tmp_path)}
    assert found == {
        ("app.py:3", "app.debug = True"),
        ("app.py:5", "run(debug=True)"),
        ("settings.py:1", "DEBUG = True in settings"),
    }


def test_probes_refuse_non_loopback_targets():
    with pytest.raises(BdevError, match="loopback"):
        run_probes("http://10.20.30.40:8000", BackendFacts(root="."), None)


def test_flask_and_express_paths_become_templates():
    assert normalise_path("/admin/users/<int:user_id>") == (
        "/admin/users/{user_id}",
        {"user_id": "integer"},
    )
    assert normalise_path("/files/:name") == ("/files/{name}", {"name": "string"})


def test_handler_code_names_the_query_parameters():
    targets = {t.endpoint: t for t in build_targets(flask_facts(), None)}
    assert targets["GET /users"].query_params == ["name"]
    assert targets["POST /notes"].body == {"text": "bdevprobe"}


@pytest.fixture(scope="module")
def good_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    db = tmp_path_factory.mktemp("good") / "items.db"
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
    proc = serve(GOOD, cmd, port, env={"DATABASE_PATH": str(db)})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


def test_good_service_has_no_high_or_critical_finding(good_url: str):
    openapi = httpx.get(good_url + "/openapi.json").json()
    result = run_probes(good_url, analyze(GOOD), openapi)
    assert result.data["targets"] >= 4  # the probes did have operations to aim at
    serious = [f for f in result.findings if f.severity in {"high", "critical"}]
    assert serious == []
    assert result.status == "ok"


USERS = [{"id": 1, "name": "alice"}, {"id": 2, "name": "bob"}, {"id": 3, "name": "carol"}]


def blind_sql_service(request: httpx.Request) -> httpx.Response:
    """Answers /users?name= and /orders?user_id= like a string-built SQL query would, but
    swallows database errors: only the boolean payloads can show the injection."""
    value = request.url.params.get("name") or request.url.params.get("user_id") or ""
    if value.endswith(("' OR '1'='1", " OR 1=1")):
        return httpx.Response(200, json=USERS)
    return httpx.Response(200, json=[u for u in USERS if value in (u["name"], str(u["id"]))])


def safe_service(request: httpx.Request) -> httpx.Response:
    value = request.url.params.get("name") or request.url.params.get("user_id") or ""
    return httpx.Response(200, json=[u for u in USERS if value in (u["name"], str(u["id"]))])


@pytest.mark.parametrize(("path", "param"), [("/users", "name"), ("/orders", "user_id")])
def test_blind_sql_injection_is_found_by_boolean_payloads(path: str, param: str):
    client = ProbeClient("http://127.0.0.1:9", transport=httpx.MockTransport(blind_sql_service))
    found = FindingSet()
    check_sql_injection(client, [Target("GET", path, query_params=[param])], found)
    [finding] = found.all()
    assert (finding.cwe, finding.severity) == ("CWE-89", "critical")
    assert "returns more" in finding.title
    assert finding.location == f"GET {path}?{param}=..."


def test_parameterised_queries_give_no_sql_finding():
    client = ProbeClient("http://127.0.0.1:9", transport=httpx.MockTransport(safe_service))
    found = FindingSet()
    targets = [Target("GET", "/users", query_params=["name"]),
               Target("GET", "/orders", query_params=["user_id"])]  # fmt: skip
    check_sql_injection(client, targets, found)
    assert found.all() == []
    assert client.sent == 4 + 7  # 4 for a name, 7 with the numeric variant for an id


def test_facts_from_analyze_lead_to_the_same_flaws(flawed_url: str):
    result = run_probes(flawed_url, analyze(FLAWED), None)
    cwes = {f.cwe for f in result.findings if f.tool == "probe"}
    assert {"CWE-89", "CWE-22", "CWE-306", "CWE-209", "CWE-942", "CWE-693", "CWE-400"} <= cwes
    assert cwes & {"CWE-489", "CWE-215"}


def test_which_open_routes_count_as_missing_authentication():
    asked = []

    def everything_open(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, json={"ok": True})

    targets = [
        Target("GET", "/admin/stats", auth_required=None),  # admin: always suspicious
        Target("GET", "/reports", auth_required=False),  # open while its sibling read is not
        Target("GET", "/reports/{report_id}", {"report_id": "integer"}, auth_required=True),
        Target("GET", "/items", auth_required=False),  # public reads, guarded writes: fine
        Target("POST", "/items", auth_required=True),
        Target("GET", "/health", auth_required=False),
    ]
    client = ProbeClient("http://127.0.0.1:9", transport=httpx.MockTransport(everything_open))
    found = FindingSet()
    check_missing_auth(client, targets, found, openapi=None)
    assert asked == ["/admin/stats", "/reports"]
    assert {(f.location, f.severity) for f in found.all()} == {
        ("GET /admin/stats", "high"),
        ("GET /reports", "medium"),
    }
