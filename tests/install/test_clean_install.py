"""A new user's install: a brand-new virtualenv with bdev and only what pyproject declares.

The interpreter that runs this suite carries many packages bdev never declared (the
system Python here has openapi-spec-validator, moto, ...), so an undeclared import passes
every other test and breaks every command for every new user. These tests install the
checkout into an empty virtualenv, without extras, and use bdev there as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "services" / "good_fastapi"

pytestmark = pytest.mark.slow

# Every module of the package, imported one by one so that one failure names its module.
IMPORT_ALL = """
import importlib, pkgutil, sys
import bdev
failed = []
for info in pkgutil.walk_packages(bdev.__path__, "bdev."):
    if info.name == "bdev.__main__":  # runs the CLI: `python -m bdev`
        continue
    try:
        importlib.import_module(info.name)
    except Exception as e:
        failed.append(f"{info.name}: {type(e).__name__}: {e}")
print("\\n".join(failed) or f"imported every module of bdev")
sys.exit(1 if failed else 0)
"""


def _clean_env(home: Path) -> dict[str, str]:
    """The caller's environment less whatever would leak this interpreter into the venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(home)
    return env


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the venv's bin directory, the environment to run it with)."""
    base = tmp_path_factory.mktemp("clean-install")
    env = _clean_env(base / "home")
    venv.EnvBuilder(with_pip=True, clear=True).create(base / "venv")
    bin_dir = base / "venv" / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "-e", str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return bin_dir, env


def _run(fresh: tuple[Path, dict[str, str]], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=fresh[1], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )


def test_the_venv_is_not_this_interpreter(fresh: tuple[Path, dict[str, str]]) -> None:
    bin_dir, _ = fresh
    run = _run(fresh, str(bin_dir / "python"), "-c", "import sys; print(sys.prefix)")
    assert Path(run.stdout.strip()) == bin_dir.parent
    assert Path(run.stdout.strip()) != Path(sys.prefix)


def test_every_module_imports_with_declared_dependencies_only(
    fresh: tuple[Path, dict[str, str]],
) -> None:
    bin_dir, _ = fresh
    run = _run(fresh, str(bin_dir / "python"), "-c", IMPORT_ALL)
    assert run.returncode == 0, run.stdout + run.stderr


def test_commands_work_in_the_fresh_venv(fresh: tuple[Path, dict[str, str]]) -> None:
    bdev = str(fresh[0] / "bdev")
    help_run = _run(fresh, bdev, "--help")
    assert help_run.returncode == 0, help_run.stderr
    assert "run" in help_run.stdout and "audit" in help_run.stdout

    validate = _run(fresh, bdev, "agents", "validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr

    analyze = _run(fresh, bdev, "analyze", str(FIXTURE), "--json")
    assert analyze.returncode == 0, analyze.stderr
    assert '"framework": "fastapi"' in analyze.stdout
