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

from bdev.backend.audit.procs import free_port, stop_group, wait_for_port
from bdev.backend.audit.probes import MAX_REQUESTS, run_probes
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.sec_targets import build_targets, normalise_path
from bdev.backend.facts import BackendFacts, Endpoint, Location
from bdev.errors import BdevError

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
    facts = BackendFacts(
        root=str(FLAWED),
        endpoints=[Endpoint(method="POST", path="/notes", handler="create_note")],
    )
    result = run_probes(flawed_url, facts, None)
    big = next(f for f in result.findings if f.cwe == "CWE-400")
    assert '"length":10485760' in big.evidence["response"]["body"].replace(" ", "")


def test_debug_mode_in_code_is_reported_without_a_server(tmp_path: Path):
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n"
                                     "app.run(debug=True)\n")  # fmt: skip
    facts = BackendFacts(root=str(tmp_path))
    result = run_probes(f"http://127.0.0.1:{free_port()}", facts, None)
    assert result.status == "error"  # nothing listens there
    assert "not reachable" in result.summary


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
    if not (GOOD / "app" / "main.py").is_file():
        pytest.skip("the good_fastapi fixture is not there")
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
    result = run_probes(good_url, BackendFacts(root=str(GOOD)), openapi)
    assert result.data["targets"] >= 4  # the probes did have operations to aim at
    serious = [f for f in result.findings if f.severity in {"high", "critical"}]
    assert serious == []
    assert result.status == "ok"
