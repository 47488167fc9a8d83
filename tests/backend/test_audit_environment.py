"""The service's own environment: reading its dependency files, choosing its Python, the
cache, and the audit steps that run in it. Real files in tmp_path and real interpreters;
the tests that install from PyPI are marked slow."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bdev.backend.audit import environment
from bdev.backend.audit.depfiles import PythonRequest, read_dependencies
from bdev.backend.audit.document import render_markdown
from bdev.backend.audit.envcache import MARKER, build_dir, cache_key, cache_root, cached, commit
from bdev.backend.audit.installers import explain_failure, parse_pip_config
from bdev.backend.audit.interpreters import choose, describe, own_interpreter
from bdev.backend.audit.options import AuditOptions, parse_skip
from bdev.backend.audit.poetry_deps import constraint_to_pep440
from bdev.backend.audit.run import run_audit
from bdev.backend.facts import BackendFacts, Endpoint, EntryPoint
from bdev.errors import BdevError
from support.trees import write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "services"
BAD = "this-package-does-not-exist-bdev==1.0"


def texts(root: Path) -> list[str]:
    return [d.text for d in read_dependencies(root).declared]


# --- requirements files --------------------------------------------------------------------


def test_requirements_files_anywhere_with_includes_options_and_hashes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": """
                # the service
                --index-url https://pypi.org/simple
                -r base.txt
                -c constraints.txt
                flask==3.0.3 --hash=sha256:abc \\
                    --hash=sha256:def
                httpx>=0.27  # for TestClient
                -e .
                """,
            "base.txt": "sqlalchemy>=2\n",
            "constraints.txt": "urllib3<3\n",
            "services/api/requirements-dev.txt": "pytest>=8\n",
            ".venv/requirements.txt": "nope\n",
            "node_modules/x/requirements.txt": "nope\n",
            ".bdev/requirements.txt": "nope\n",
            "oddenv/pyvenv.cfg": "home = /usr\n",
            "oddenv/requirements.txt": "nope\n",
        },
    )
    deps = read_dependencies(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in deps.requirement_files] == [
        "requirements.txt",
        "services/api/requirements-dev.txt",
    ]
    assert [(d.text, d.source) for d in deps.declared] == [
        ("sqlalchemy>=2", "base.txt"),
        ("flask==3.0.3", "requirements.txt"),
        ("httpx>=0.27", "requirements.txt"),
        ("pytest>=8", "services/api/requirements-dev.txt"),
    ]
    assert [d.text for d in deps.opaque] == ["."]  # -e . : only an install can tell
    # Included files are part of what is hashed, constraints too (they add no requirement).
    assert set(deps.files) == {
        "requirements.txt",
        "base.txt",
        "constraints.txt",
        "services/api/requirements-dev.txt",
    }


def test_no_dependency_files_means_empty(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "print('hi')\n", "README.md": "requirements\n"})
    assert read_dependencies(tmp_path).empty


# --- pyproject.toml: PEP 621, dependency groups, Poetry -------------------------------------


def test_pep621_dependencies_with_test_extras_and_groups(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "Inventory_Svc"
                requires-python = ">=3.10"
                dependencies = ["fastapi>=0.110", "pydantic<2"]

                [project.optional-dependencies]
                test = ["pytest>=8", "httpx"]
                dev = ["inventory-svc[test]", "ruff"]
                docs = ["sphinx"]

                [dependency-groups]
                lint = ["mypy"]
                tests = ["pytest-cov", {include-group = "lint"}]
                """
        },
    )
    deps = read_dependencies(tmp_path)
    assert [d.text for d in deps.declared] == [
        "fastapi>=0.110",
        "pydantic<2",
        "pytest>=8",
        "httpx",
        "ruff",
        "pytest-cov",
        "mypy",
    ]  # the project's own extra is expanded, never installed from the index; docs left out
    assert deps.python.specifier == ">=3.10"
    assert deps.python.specifier_source == "pyproject.toml requires-python"


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("^3.10", ">=3.10,<4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.4", "~=1.4"),
        ("1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        (">=1.2,<2.0", ">=1.2,<2.0"),
        (">=1.2 <2.0", ">=1.2,<2.0"),
        ("*", ""),
        ("^1.0 || ^2.0", ""),
    ],
)
def test_poetry_constraints_become_pep440(poetry: str, pep440: str) -> None:
    assert constraint_to_pep440(poetry) == pep440


def test_poetry_dependencies_and_dev_groups(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.poetry]
                name = "svc"

                [tool.poetry.dependencies]
                python = "^3.10"
                fastapi = "^0.99.1"
                pydantic = {version = "<2", extras = ["email"]}
                uvicorn = {version = "0.22.0", markers = "sys_platform == 'linux'"}
                gunicorn = {version = "*", optional = true}
                lib = {git = "https://example.org/lib.git", tag = "v1"}

                [tool.poetry.dev-dependencies]
                black = "*"

                [tool.poetry.group.test.dependencies]
                pytest = "~8.1"

                [tool.poetry.group.docs.dependencies]
                sphinx = "*"
                """
        },
    )
    deps = read_dependencies(tmp_path)
    assert [d.text for d in deps.declared] == [
        "fastapi>=0.99.1,<0.100",
        "pydantic[email]<2",
        "uvicorn==0.22.0 ; sys_platform == 'linux'",
        "lib @ git+https://example.org/lib.git@v1",
        "black",
        "pytest>=8.1,<8.2",
    ]
    assert deps.python.specifier == ">=3.10,<4"


def test_poetry_lock_pins_win_over_the_ranges(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.poetry.dependencies]
                python = "^3.10"
                fastapi = "^0.99"
                """,
            "poetry.lock": """
                [[package]]
                name = "fastapi"
                version = "0.99.1"
                groups = ["main"]

                [[package]]
                name = "pytest"
                version = "8.1.1"
                groups = ["test"]

                [[package]]
                name = "colorama"
                version = "0.4.6"
                groups = ["main", "test"]
                markers = {main = "sys_platform == 'win32'", test = "sys_platform == 'win32'"}

                [[package]]
                name = "sphinx"
                version = "7.0.0"
                groups = ["docs"]

                [[package]]
                name = "pydantic"
                version = "1.10.13"
                category = "main"

                [[package]]
                name = "gunicorn"
                version = "21.0"
                category = "main"
                optional = true
                """,
        },
    )
    deps = read_dependencies(tmp_path)
    assert [d.text for d in deps.declared] == [
        "fastapi==0.99.1",
        "pytest==8.1.1",
        "colorama==0.4.6 ; (sys_platform == 'win32') or (sys_platform == 'win32')",
        "pydantic==1.10.13",
    ]
    assert set(deps.files) == {"pyproject.toml", "poetry.lock"}


# --- Pipfile and the Python version asked for ------------------------------------------------


def test_pipfile_packages_dev_packages_and_python(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Pipfile": """
                [packages]
                flask = "==2.0.3"
                requests = "*"
                psycopg = {version = ">=3", extras = ["binary"], markers = "os_name == 'posix'"}
                lib = {git = "https://example.org/lib.git", ref = "main"}

                [dev-packages]
                pytest = ">=7"

                [requires]
                python_version = "3.9"
                """
        },
    )
    deps = read_dependencies(tmp_path)
    assert [d.text for d in deps.declared] == [
        "flask==2.0.3",
        "requests",
        "psycopg[binary]>=3 ; os_name == 'posix'",
        "lib @ git+https://example.org/lib.git@main",
        "pytest>=7",
    ]
    assert deps.python.version == (3, 9)


def test_python_version_file_is_the_most_specific_request(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".python-version": "3.12.1\n",
            "Pipfile": '[requires]\npython_version = "3.9"\n',
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8"\n',
        },
    )
    python = read_dependencies(tmp_path).python
    assert (python.version, python.version_source) == ((3, 12), ".python-version")
    assert python.specifier == ">=3.8"


def test_interpreter_choice(tmp_path: Path) -> None:
    own = own_interpreter()
    assert choose(PythonRequest()).own
    mine = PythonRequest(version=own.version[:2], version_source=".python-version")
    assert choose(mine).interpreter == own
    assert choose(PythonRequest(specifier=">=3.8", specifier_source="x")).own
    # A version nobody has: bdev's own, and the step says so.
    missing = choose(PythonRequest(version=(3, 1), version_source=".python-version"))
    assert missing.own and "3.1" in missing.note and "not installed" in missing.note
    found = describe(sys.executable)
    assert found is not None and found.version == own.version


# --- cache key and the atomic cache ----------------------------------------------------------


def test_cache_key_follows_content_and_interpreter(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask==3.0.3\n", "README.md": "v1\n"})
    own = own_interpreter()

    def key(python=own, tools=("pytest",)) -> str:
        return cache_key(read_dependencies(tmp_path).content_digest(), python, list(tools))

    first = key()
    assert key() == first
    (tmp_path / "README.md").write_text("v2\n")  # not a dependency file
    assert key() == first
    older = type(own)(own.path, (3, 9, 18), own.base_prefix)
    assert key(python=older) != first
    assert key(tools=("pytest", "coverage")) != first
    (tmp_path / "requirements.txt").write_text("flask==3.0.2\n")
    assert key() != first


def test_a_half_built_environment_is_never_a_cache_hit(tmp_path: Path) -> None:
    target = tmp_path / "envs" / "k1"
    with build_dir(target) as venv:
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text("")
        (venv / "bin" / "pytest").write_text(f"#!{venv}/bin/python\nimport pytest\n")
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        leftovers = list(target.parent.glob(".build-*"))
        assert leftovers and cached(target) is None  # killed here: nothing in place
        commit(venv, target, {"installer": "uv"})
    assert cached(target) == {"installer": "uv"}
    assert (target / "bin" / "pytest").read_text().startswith(f"#!{target}/bin/python\n")
    assert not list(target.parent.glob(".build-*"))
    # A concurrent audit committing the same key keeps the first one.
    with build_dir(target) as venv:
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text("")
        commit(venv, target, {"installer": "pip"})
    assert json.loads((target / MARKER).read_text())["installer"] == "uv"


# --- installers ------------------------------------------------------------------------------


def test_pip_index_settings_are_handed_to_uv() -> None:
    settings = parse_pip_config(
        "global.index-url='https://mirror.example/simple'\n"
        ":env:.index-url='https://env.example/simple'\n"
        "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'\n"
        ":env:.find-links='/opt/wheels'\n"
        "global.constraint='/etc/pip/c.txt'\n"
        "global.cert='/etc/ssl/ca.crt'\n"
    )
    assert settings.index_url == "https://env.example/simple"  # the environment wins
    assert settings.uv_args() == [
        "--index-url", "https://env.example/simple",
        "--extra-index-url", "file:///opt/a/simple",
        "--extra-index-url", "file:///opt/b/simple",
        "--find-links", "/opt/wheels",
        "--constraint", "/etc/pip/c.txt",
        "--index-strategy", "unsafe-best-match",
    ]  # fmt: skip
    assert parse_pip_config("").uv_args() == []


UV_OUTPUT = """Using Python 3.11.7 environment at: /x/venv
error: No solution found when resolving dependencies
  cause: Because this-package-does-not-exist-bdev was not found in the package registry and \
you require this-package-does-not-exist-bdev==1.0, we can conclude that your requirements \
are unsatisfiable.
"""
PIP_OUTPUT = """Collecting flask
ERROR: Could not find a version that satisfies the requirement \
this-package-does-not-exist-bdev==1.0 (from versions: none)
ERROR: No matching distribution found for this-package-does-not-exist-bdev==1.0
"""


@pytest.mark.parametrize("output", [UV_OUTPUT, PIP_OUTPUT])
def test_the_failing_requirement_is_named(tmp_path: Path, output: str) -> None:
    write(tmp_path, {"requirements.txt": f"flask\n{BAD}\n"})
    failure = explain_failure(output, read_dependencies(tmp_path).declared)
    assert (failure.requirement, failure.source) == (BAD, "requirements.txt")
    assert BAD.split("==")[0] in failure.reason


# --- the environment step --------------------------------------------------------------------


def prepare(root: Path, tmp_path: Path, **kw) -> tuple:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    messages: list[str] = []
    result, env = environment.prepare(
        root, work, python=kw.pop("python", None), timeout_s=600, progress=messages.append, **kw
    )
    return result, env, messages


def test_no_dependency_files_uses_bdevs_interpreter(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {"app.py": "x = 1\n"})
    result, env, messages = prepare(root, tmp_path)
    assert result.status == "ok" and env.python == sys.executable and not messages
    assert result.data["how"] == "no dependency files: bdev's own interpreter"


@pytest.mark.slow
def test_declared_requirements_get_their_own_env_even_when_bdev_has_them(tmp_path: Path) -> None:
    # Isolation is the point: a service that imports what it never declared must fail
    # here as it would in production, not pass on bdev's interpreter.
    root = write(tmp_path / "svc", {"requirements.txt": "packaging\n"})
    result, env, _ = prepare(root, tmp_path)
    assert result.status == "ok" and env.python != sys.executable
    assert Path(env.python).is_relative_to(cache_root())


def test_an_unavailable_python_version_is_said(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {".python-version": "3.1\n"})
    result, _, _ = prepare(root, tmp_path)
    assert result.data["python_version"] == own_interpreter().version_text
    assert "not installed here" in result.data["python_note"] and "note:" in result.summary


def test_a_given_interpreter_is_used_as_it_is(tmp_path: Path) -> None:
    root = write(tmp_path / "svc", {"requirements.txt": f"{BAD}\n"})
    result, env, messages = prepare(root, tmp_path, python=sys.executable)
    assert result.status == "ok" and env.python == sys.executable and not messages
    assert "nothing built" in result.summary
    if (Path(sys.executable).parent.parent / "pyvenv.cfg").is_file():
        assert env.env["PATH"].startswith(str(Path(sys.executable).parent))
    with pytest.raises(BdevError, match="no such interpreter"):
        AuditOptions(python=str(tmp_path / "nowhere" / "python"))


def test_config_key_reaches_the_workflow_options(tmp_path: Path) -> None:
    from bdev.config import load_config
    from bdev.workflow.backend import WorkflowOptions

    write(tmp_path, {".bdev/config.toml": f'[audit]\npython = "{sys.executable}"\n'})
    config = load_config(tmp_path, user_path=tmp_path / "none.toml")
    assert WorkflowOptions.from_config(config).audit.python == sys.executable


# --- whole audits (PyPI) ---------------------------------------------------------------------


def tiny_service(root: Path, requirements: str) -> BackendFacts:
    write(
        root,
        {
            "requirements.txt": requirements,
            "server.py": """
                import sys
                from http.server import BaseHTTPRequestHandler, HTTPServer

                class H(BaseHTTPRequestHandler):
                    def do_GET(self):
                        self.send_response(200)
                        self.end_headers()
                        self.wfile.write(b"ok")

                if __name__ == "__main__":
                    HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
                """,
            "tests/test_server.py": "def test_ok():\n    assert True\n",
        },
    )
    return BackendFacts(
        root=str(root),
        language="python",
        entry_point=EntryPoint(file="server.py", command=["python", "server.py", "{port}"]),
        endpoints=[Endpoint(method="GET", path="/health", handler="H")],
        health_endpoints=["/health"],
    )


@pytest.mark.slow
def test_audit_records_the_environment_first_and_tests_use_it(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    facts = tiny_service(root, "packaging\n")
    skip = parse_skip("migrations,startup,conformance,probes,load,security")
    report = run_audit(root, AuditOptions(skip=skip, python=sys.executable), facts=facts)
    assert [s.name for s in report.steps][:2] == ["environment", "tests"]
    assert report.step("environment").data["python"] == sys.executable
    assert report.step("tests").data["python"] == sys.executable
    assert report.tests.passed == 1
    # Nothing runs the service's code: no environment is looked for.
    skip = parse_skip("tests,migrations,startup,security")
    report = run_audit(root, AuditOptions(skip=skip), facts=facts)
    assert report.step("environment").summary == "no step runs the service's code"


@pytest.fixture
def env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    # A fresh bdev cache; uv keeps its download cache where it was.
    if "UV_CACHE_DIR" not in os.environ:
        default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
        monkeypatch.setenv("UV_CACHE_DIR", str(default))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache / "bdev" / "envs"


@pytest.mark.slow
def test_uninstallable_requirement_is_not_checked_and_named(tmp_path: Path, env_cache) -> None:
    root = tmp_path / "svc"
    facts = tiny_service(root, f"packaging\n{BAD}\n")
    progress: list[str] = []
    options = AuditOptions(skip=parse_skip("conformance,probes,load,security"))
    report = run_audit(root, options, progress.append, facts=facts)

    env = report.step("environment")
    assert env.status == "error" and BAD in env.summary
    assert env.data["failing_requirement"] == BAD and env.data["declared_in"] == "requirements.txt"
    assert "not found" in env.data["installer_output_tail"]
    for name in ("tests", "migrations", "startup"):
        step = report.step(name)
        assert step.status == "skipped" and BAD in step.summary, step
    checks = {c.name: c for c in report.checklist}
    for name in ("tests pass", "line coverage >= 80%", "service starts", "health endpoint"):
        assert checks[name].status == "not checked", checks[name]
    assert BAD in checks["tests pass"].evidence
    assert any(m.startswith("environment: error") and BAD in m for m in progress)
    assert "## Environment" in render_markdown(report)
    assert not list(env_cache.glob("*"))  # nothing half-built left behind, nothing cached


@pytest.mark.slow
def test_pip_fallback_names_the_failing_requirement_too(tmp_path: Path, env_cache) -> None:
    root = write(tmp_path / "svc", {"requirements.txt": f"packaging\n{BAD}\n"})
    with pytest.raises(environment.EnvironmentFailure) as caught:
        prepare(root, tmp_path, use_uv=False)
    result = caught.value.result
    assert result.data["installer"] == "pip" and result.data["failing_requirement"] == BAD
    assert "No matching distribution" in result.data["reason"]


@pytest.mark.slow
def test_a_service_pinned_against_bdevs_own_dependencies_runs_in_its_env(
    tmp_path: Path, env_cache
) -> None:
    root = FIXTURES / "legacy_pydantic1"
    progress: list[str] = []
    options = AuditOptions(skip=parse_skip("conformance,probes,load,security"))
    report = run_audit(root, options, progress.append)

    env = report.step("environment")
    assert env.status == "ok" and env.data["cache"] == "fresh", env
    assert env.data["added"] == ["pytest", "coverage"]
    python = env.data["python"]
    assert python.startswith(str(env_cache)) and python != sys.executable
    assert any("building the service's environment" in m for m in progress)

    tests = report.step("tests")
    assert tests.status == "ok", tests.summary
    assert tests.data["python"] == python
    assert (tests.data["passed"], tests.data["failed"]) == (3, 0)  # one asserts pydantic 1
    assert report.tests.coverage_percent and report.tests.coverage_percent > 50
    startup = report.step("startup")
    assert startup.status == "ok" and startup.data["command"].startswith(python)

    # The second audit finds it in the cache.
    again, _, messages = prepare(root, tmp_path)
    assert again.data["cache"] == "hit" and again.data["python"] == python and not messages
