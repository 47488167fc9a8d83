"""`bdev new` as a typer command (wired into the CLI by the lead; mounted here alone)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from specfirst_support import SPECS
from typer.testing import CliRunner

from bdev.cli.new_cmd import new
from bdev.errors import BdevError
from bdev.specfirst.generate import PLAN_FILE

app = typer.Typer()
app.command("new")(new)
app.command("other")(lambda: None)  # two commands, so `new` stays a subcommand


def invoke(*args: str):
    return CliRunner().invoke(app, ["new", "--no-model", *args])


def test_new_writes_the_service_and_prints_a_summary(tmp_path: Path) -> None:
    describe = tmp_path / "about.txt"
    describe.write_text("Items can be archived; archiving notifies watchers.")
    out = tmp_path / "svc"
    result = invoke(
        "--spec", str(SPECS / "items.yaml"), "--out", str(out), "--framework", "flask",
        "--describe", str(describe), "--port", "8081",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 operations generated (5 working, 1 slots left for the model)" in result.output
    assert "slot  archive_item  (app/handlers.py)" in result.output
    assert "16 files written to" in result.output
    assert "from flask import" in (out / "app/main.py").read_text()
    assert "--port 8081" in (out / "README.md").read_text()
    stored = json.loads((out / PLAN_FILE).read_text())
    assert stored["describe"] == "Items can be archived; archiving notifies watchers."


def test_constraints_the_description_states_are_echoed_and_honoured(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    describe = (
        "Put all code in one file app.py and do not create any additional files. Only use "
        "the standard library plus Flask. It must listen on 0.0.0.0:5000. Keep the data in "
        "the SQLite file given by ITEMS_DB."
    )
    result = invoke("--spec", str(SPECS / "items.yaml"), "--out", str(out),
                    "--framework", "flask", "--describe", describe)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "constraint: files: all code in one file, app.py" in result.output
    assert "constraint: serve: on 0.0.0.0:5000" in result.output
    assert sorted(p.name for p in out.iterdir()) == [".bdev", "app.py"]
    app = (out / "app.py").read_text()
    assert "import pydantic" not in app and "from pydantic" not in app
    assert '"ITEMS_DB"' in app and '"0.0.0.0"' in app


def test_new_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    result = invoke("--spec", str(SPECS / "items.yaml"), "--out", str(tmp_path))
    assert isinstance(result.exception, BdevError)
    assert "not empty (use --force" in str(result.exception)
    result = invoke(
        "--spec", str(SPECS / "items.yaml"), "--out", str(tmp_path), "--force", "--single-file"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "app.py").is_file()


def test_new_with_requirements_and_bad_framework(tmp_path: Path) -> None:
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("fastapi\nuvicorn\npydantic\n")
    result = invoke(
        "--spec",
        str(SPECS / "auth.yaml"),
        "--out",
        str(tmp_path / "o"),
        "--requirements",
        str(reqs),
    )
    assert result.exit_code == 0, result.output
    assert "import jwt" not in (tmp_path / "o/app/security.py").read_text()
    result = invoke("--spec", str(SPECS / "auth.yaml"), "--framework", "django")
    assert isinstance(result.exception, BdevError)
    assert "--framework must be fastapi or flask, not 'django'" in str(result.exception)


@pytest.mark.parametrize("name", ["invalid/bad_ref.yaml", "invalid/mutual_tls.yaml"])
def test_new_reports_spec_errors_as_bdev_errors(tmp_path: Path, name: str) -> None:
    result = invoke("--spec", str(SPECS / name), "--out", str(tmp_path / "o"))
    assert isinstance(result.exception, BdevError)
    assert not (tmp_path / "o").exists()
