"""What `generate` writes: files, requirements choices, lint-clean code, runnable tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from specfirst_support import MINIMAL, plan_for

from bdev.errors import BdevError
from bdev.specfirst import Options, generate, read_requirements
from bdev.specfirst.generate import PLAN_FILE

PACKAGE_FILES = {
    "app/__init__.py",
    "app/main.py",
    "app/models.py",
    "app/security.py",
    "app/store.py",
    "app/handlers.py",
    "app/openapi.json",
    "requirements.txt",
    "requirements-dev.txt",
    "README.md",
    "Dockerfile",
    ".dockerignore",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_api.py",
    PLAN_FILE,
}


def written(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_package_layout_and_project_files(tmp_path: Path) -> None:
    plan = plan_for("items.yaml")
    generate(plan, Options(allowed=MINIMAL, port=9000), tmp_path / "out")
    out = tmp_path / "out"
    assert written(out) == PACKAGE_FILES
    assert "uvicorn app.main:app --host 127.0.0.1 --port 9000" in (out / "README.md").read_text()
    assert "`archive_item`" in (out / "README.md").read_text()
    assert '"9000"' in (out / "Dockerfile").read_text()
    assert json.loads((out / "app/openapi.json").read_text()) == plan.document
    handlers = (out / "app/handlers.py").read_text()
    assert "# bdev:slot archive_item\n    raise NotImplementedError" in handlers
    assert (
        '"""Archive an item. Moves the item to the archive and notifies its watchers."""'
        in handlers
    )


def test_generation_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(plan_for("auth.yaml"), Options(framework="flask"), tmp_path / name)
    for relative in written(tmp_path / "a"):
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()


def test_non_empty_output_needs_force(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BdevError, match="directory is not empty"):
        generate(plan_for("items.yaml"), Options(), tmp_path)
    generate(plan_for("items.yaml"), Options(), tmp_path, force=True)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "app/main.py").is_file()


def test_minimal_requirements_give_stdlib_crypto(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("fastapi>=0.110\nuvicorn[standard]\n# a comment\npydantic==2.*\n")
    allowed = read_requirements(reqs)
    assert allowed == {"fastapi", "uvicorn", "pydantic"}
    generate(plan_for("auth.yaml"), Options(allowed=allowed), tmp_path / "out")
    security = (tmp_path / "out/app/security.py").read_text()
    assert "import jwt" not in security and "hmac.new(SECRET_KEY" in security
    assert "hashlib.scrypt" in security
    assert "PyJWT" not in (tmp_path / "out/requirements.txt").read_text()


def test_unrestricted_prefers_pyjwt(tmp_path: Path) -> None:
    generate(plan_for("auth.yaml"), Options(), tmp_path)
    assert "import jwt" in (tmp_path / "app/security.py").read_text()
    assert "PyJWT>=2.8" in (tmp_path / "requirements.txt").read_text().splitlines()


def test_email_validator_only_when_allowed(tmp_path: Path) -> None:
    generate(plan_for("auth.yaml"), Options(allowed=MINIMAL | {"email-validator"}), tmp_path / "a")
    generate(plan_for("auth.yaml"), Options(allowed=MINIMAL), tmp_path / "b")
    assert "email: EmailStr" in (tmp_path / "a/app/models.py").read_text()
    assert "email: StrictStr = Field(" in (tmp_path / "b/app/models.py").read_text()


def test_requirements_must_allow_the_framework(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match="leave out flask, needed for --framework flask"):
        generate(
            plan_for("items.yaml"),
            Options(framework="flask", allowed=frozenset({"pydantic"})),
            tmp_path,
        )


def test_stored_plan_round_trips(tmp_path: Path) -> None:
    from specfirst_support import SPECS

    from bdev.specfirst import ServicePlan, build_plan, load_spec

    plan = build_plan(load_spec(SPECS / "items.yaml"), describe="Shop items.")
    generate(plan, Options(), tmp_path)
    restored = ServicePlan.model_validate_json((tmp_path / PLAN_FILE).read_text())
    assert restored == plan and restored.describe == "Shop items."


@pytest.mark.parametrize(
    ("spec", "framework", "single"),
    [
        ("items.yaml", "fastapi", False),
        ("constraints.yaml", "flask", False),
        ("auth.yaml", "fastapi", True),
        ("edge_cases.yaml", "flask", True),
    ],
)
def test_generated_code_is_ruff_clean(
    tmp_path: Path, spec: str, framework: str, single: bool
) -> None:
    generate(plan_for(spec), Options(framework=framework, single_file=single), tmp_path)  # type: ignore[arg-type]
    common = ["--isolated", "--no-cache", "--line-length", "100"]
    rules = ["--select", "E,F,W,I,B,UP,SIM,RUF"]
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *common, *rules, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *common, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "framework", "single"),
    [("items.yaml", "fastapi", False), ("auth.yaml", "flask", True)],
)
def test_generated_tests_pass(tmp_path: Path, spec: str, framework: str, single: bool) -> None:
    generate(
        plan_for(spec), Options(framework=framework, single_file=single, allowed=MINIMAL), tmp_path
    )  # type: ignore[arg-type]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_output_is_clean_even_when_ruff_is_unavailable(tmp_path: Path, monkeypatch) -> None:
    import bdev.specfirst.codegen.pysource as pysource

    monkeypatch.setattr(pysource, "find_executable", lambda name: None)
    generate(plan_for("items.yaml"), Options(framework="flask", single_file=True), tmp_path)
    source = (tmp_path / "app.py").read_text()
    compile(source, "app.py", "exec")
    assert source.startswith('"""') and "from __future__ import annotations" in source
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "F", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
