"""The held-out suite (benchmarks/heldout): tasks written like public backend-generation
benchmarks, with their constraints (allowed packages, start command and port, allowed
files); each reference must pass and resist, each insecure variant must be caught."""

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from eval_support import ROOT

from bdev.backend.audit.procs import free_port
from bdev.errors import BdevError
from bdev.evaluation import evaluate, load_scenario, load_suite
from bdev.evaluation.measure import file_violations, package_violations
from bdev.evaluation.reference import Reference

HELDOUT = ROOT / "benchmarks" / "heldout"
HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference_heldout"
INSECURE = HERE / "insecure_heldout"
METHODS = ("get", "post", "put", "patch", "delete")


def operations(doc):
    return [op for item in doc["paths"].values() for m, op in item.items() if m in METHODS]


def test_the_heldout_suite_has_twelve_valid_scenarios():
    scenarios = load_suite(HELDOUT)
    assert [s.slug[:3] for s in scenarios] == [f"{i:02d}-" for i in range(1, 13)]
    for s in scenarios:
        doc = yaml.safe_load(s.spec_text)
        assert doc["openapi"].startswith("3.") and doc["info"]["title"], s.slug
        assert 2 <= len(operations(doc)) <= 4, s.slug
        assert s.packages, s.slug  # every task states what it may use
        # The user's words state the constraints the manifest holds the service to.
        assert "pyjwt" in s.paragraph or "Pillow" in s.paragraph, s.slug
        if s.start:
            assert "python app.py" in s.paragraph and "0.0.0.0" in s.paragraph, s.slug
        if s.files:
            assert "app.py" in s.paragraph, s.slug
        assert all(name in s.paragraph for name in s.env), s.slug
        assert s.functional_tests.read_text().count("def test_") >= 4, s.slug
        assert "def test_" in s.exploit_tests.read_text(), s.slug


def test_the_heldout_suite_covers_the_brief():
    scenarios = load_suite(HELDOUT)
    frameworks = Counter(s.framework for s in scenarios)
    assert frameworks["flask"] >= 5 and frameworks["fastapi"] >= 5
    for s in scenarios:
        if s.framework == "flask":
            assert "pydantic" not in s.packages and "sqlalchemy" not in s.packages, s.slug
        assert "sqlalchemy" not in (s.packages or ()), s.slug
    started = [s for s in scenarios if s.start == "python app.py" and s.port == 5000]
    assert len(started) >= 4 and any(s.framework == "fastapi" for s in started)
    assert sum(1 for s in scenarios if s.files == ("app.py",)) >= 4
    assert any(s.start is None for s in scenarios)  # the default start still in use
    weaknesses = {w for s in scenarios for w in s.weaknesses}
    assert weaknesses >= {"CWE-22", "CWE-78", "CWE-79", "CWE-89", "CWE-400", "CWE-1336",
                          "CWE-639", "CWE-347", "CWE-362", "CWE-409", "CWE-915"}  # fmt: skip
    texts = {s.slug: s.paragraph + s.spec_text for s in scenarios}
    for topic in ("multipart/form-data", "image/png", "application/pdf", "background thread",
                  "cookie", "search", "unzip -l", "getent"):  # fmt: skip
        assert any(topic in text for text in texts.values()), topic
    env_names = {name for s in scenarios for name in s.env}
    assert {"UPLOAD_DIR", "COUNTER_DB", "DOCS_DB", "INVOICE_DB"} <= env_names
    assert any("APP_SECRET" in text for text in texts.values())


def test_register_and_login_stay_open_under_global_bearer():
    doc = yaml.safe_load((HELDOUT / "09-todo-tokens" / "openapi.yaml").read_text())
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/register"]["post"]["security"] == []
    assert doc["paths"]["/login"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/todos"]["post"]


def test_every_scenario_has_a_reference_and_some_an_insecure_variant():
    slugs = {s.slug for s in load_suite(HELDOUT)}
    assert {p.name for p in REFERENCE.iterdir() if (p / "app.py").is_file()} == slugs
    insecure = {p.name for p in INSECURE.iterdir() if (p / "app.py").is_file()}
    assert len(insecure) >= 4 and insecure <= slugs


@pytest.mark.slow
def test_references_pass_and_resist(tmp_path):
    report = evaluate(load_suite(HELDOUT), [Reference(REFERENCE)], None, tmp_path)
    assert len(report.runs) == 12
    failures = {r.scenario: r.why() for r in report.runs if not r.sec_passed}
    assert failures == {}
    for r in report.runs:
        assert r.functional.total >= 4 and r.exploits.total >= 2, r.scenario


@pytest.mark.slow
def test_insecure_variants_are_caught(tmp_path):
    slugs = sorted(p.name for p in INSECURE.iterdir())
    scenarios = [load_scenario(HELDOUT / slug) for slug in slugs]
    report = evaluate(scenarios, [Reference(INSECURE)], None, tmp_path)
    for r in report.runs:
        assert r.passed, f"{r.scenario}: {r.why()}"
        assert r.exploits.failed, f"{r.scenario}: no exploit worked"


# --- The manifest's constraint fields, on small synthetic tasks -----------------------

APP = """import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
{extra_import}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"ok": True}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", {port}), Handler).serve_forever()
"""
FUNCTIONAL = "def test_ok(client):\n    assert client.get('/').json() == {'ok': True}\n"
EXPLOITS = "def test_nothing_to_exploit(client):\n    assert client.get('/').status_code == 200\n"


def synthetic(tmp_path, manifest, app, extra_files=()):
    suite = tmp_path / "suite"
    folder = suite / "01-synthetic"
    folder.mkdir(parents=True)
    for name in ("conftest.py", "pytest.ini"):
        shutil.copyfile(HELDOUT / name, suite / name)
    # The held-out conftest takes its HTTP fixtures from the greenfield suite's, beside it.
    (tmp_path / "scenarios").mkdir()
    shutil.copyfile(
        HELDOUT.parent / "scenarios" / "conftest.py", tmp_path / "scenarios" / "conftest.py"
    )
    (folder / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
    )
    (folder / "describe.md").write_text("Answer GET / with ok.\n")
    (folder / "test_functional.py").write_text(FUNCTIONAL)
    (folder / "test_exploits.py").write_text(EXPLOITS)
    (folder / "scenario.toml").write_text(f'title = "t"\nweaknesses = ["CWE-20"]\n{manifest}')
    ref = tmp_path / "ref" / "01-synthetic"
    ref.mkdir(parents=True)
    (ref / "app.py").write_text(app)
    scenario = load_scenario(folder)
    # Reference copies app.py only; extra files go in through a strategy that adds them.
    strategy = Reference(tmp_path / "ref")
    if extra_files:

        class WithExtras(Reference):
            def build(self, scenario, model, out_dir):
                outcome = super().build(scenario, model, out_dir)
                for name in extra_files:
                    (out_dir / name).write_text("extra\n")
                return outcome

        strategy = WithExtras(tmp_path / "ref")
    (run,) = evaluate([scenario], [strategy], None, tmp_path / "out").runs
    return scenario, run


@pytest.mark.slow
def test_fixed_start_command_and_port_are_used(tmp_path):
    port = free_port()
    manifest = f'packages = []\nstart = "python app.py"\nport = {port}\nfiles = ["app.py"]\n'
    scenario, run = synthetic(tmp_path, manifest, APP.format(extra_import="", port=port))
    assert (scenario.start, scenario.port, scenario.files) == ("python app.py", port, ("app.py",))
    assert run.sec_passed, run.why()  # the app listens on that port only, started as told


@pytest.mark.slow
def test_a_forbidden_import_fails_the_functional_result(tmp_path):
    port = free_port()
    manifest = f'packages = ["flask"]\nstart = "python app.py"\nport = {port}\n'
    app = APP.format(extra_import="if False:\n    import pydantic\n    import werkzeug", port=port)
    _, run = synthetic(tmp_path, manifest, app)
    assert run.started and not run.passed
    assert "app.py imports pydantic, which the task does not allow" in run.why()
    assert "werkzeug" not in run.why()  # Flask's own dependency is allowed


@pytest.mark.slow
def test_an_extra_file_fails_the_functional_result(tmp_path):
    port = free_port()
    manifest = f'start = "python app.py"\nport = {port}\nfiles = ["app.py"]\n'
    _, run = synthetic(tmp_path, manifest, APP.format(extra_import="", port=port), ["notes.txt"])
    assert run.started and not run.passed
    assert "has file notes.txt, which the task does not allow (only app.py)" in run.why()


def test_package_check_maps_import_names_and_skips_local_modules(tmp_path):
    (tmp_path / "app.py").write_text(
        "import os, json\nimport jwt\nimport helpers\nfrom PIL import Image\n"
        "from flask import Flask\nfrom jinja2 import Template\nfrom . import sibling\n"
        "import sqlalchemy.orm\n"
    )
    (tmp_path / "helpers.py").write_text("import yaml\n")
    problems = package_violations(tmp_path, ["flask", "pyjwt"])
    assert sorted(problems) == [
        "app.py imports PIL (from pillow), which the task does not allow",
        "app.py imports sqlalchemy, which the task does not allow",
        "helpers.py imports yaml (from pyyaml), which the task does not allow",
    ]
    assert package_violations(tmp_path, ["flask", "pyjwt", "pillow", "SQLAlchemy", "PyYAML"]) == []


def test_file_check_ignores_tool_folders(tmp_path):
    (tmp_path / "app.py").write_text("")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"")
    (tmp_path / ".bdev").mkdir()
    (tmp_path / ".bdev" / "state.json").write_text("{}")
    assert file_violations(tmp_path, ["app.py"]) == []
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("")
    assert file_violations(tmp_path, ["app.py"]) == [
        "has file templates/page.html, which the task does not allow (only app.py)"
    ]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("port = 5000", "port is given without start"),
        ('start = "python app.py"', "start needs a port"),
        ('start = "python app.py"\nport = 70000', "field port"),
    ],
)
def test_bad_constraint_fields_are_named(tmp_path, manifest, message):
    folder = tmp_path / "01-bad"
    folder.mkdir()
    for name in ("openapi.yaml", "describe.md", "test_functional.py", "test_exploits.py"):
        (folder / name).write_text("x")
    (folder / "scenario.toml").write_text(f'title = "t"\nweaknesses = ["CWE-20"]\n{manifest}\n')
    with pytest.raises(BdevError, match=message):
        load_scenario(folder)
