"""`bdev new --model ...`: progress per slot, a summary naming what the model wrote."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from specfirst_support import ARCHIVE_ANSWER, SPECS
from typer.testing import CliRunner

from bdev.cli.new_cmd import new
from bdev.errors import BdevError

app = typer.Typer()
app.command("new")(new)
app.command("other")(lambda: None)  # two commands, so `new` stays a subcommand


def test_new_with_a_scripted_model(tmp_path: Path) -> None:
    script = tmp_path / "turns.json"
    script.write_text(json.dumps([{"content": ARCHIVE_ANSWER}]))
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("fastapi\nuvicorn\npydantic\n")
    out = tmp_path / "svc"
    result = CliRunner().invoke(
        app,
        [
            "new", "--spec", str(SPECS / "items.yaml"), "--out", str(out),
            "--model", f"scripted:{script}", "--requirements", str(reqs),
            "--no-verify", "--no-audit",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "fill archive_item: attempt 1 ok" in result.output
    assert "1 written by the model" in result.output and "0 not implemented" in result.output
    assert "archive_item: implemented (1 attempts" in result.output
    assert "report: " in result.output
    assert (out / "app/handlers.py").read_text().count('{"status": "archived"}') == 1


def test_new_rejects_model_and_no_model_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["new", "--spec", str(SPECS / "items.yaml"), "--model", "local", "--no-model"],
    )
    assert isinstance(result.exception, BdevError)
    assert "--model and --no-model" in str(result.exception)


def test_new_reports_an_unknown_model_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["new", "--spec", str(SPECS / "items.yaml"), "--out", str(tmp_path / "o"), "--model",
         "nonsense:thing"],
    )  # fmt: skip
    assert isinstance(result.exception, BdevError)
    assert "unknown model provider 'nonsense'" in str(result.exception)


def test_new_derives_the_spec_from_the_description_when_none_is_given(tmp_path: Path) -> None:
    def slot(**answer: object) -> dict[str, object]:
        base = {"inputs": [], "success": 200, "returns": "object", "returned_fields": [],
                "errors": [], "login_required": False}  # fmt: skip
        return {"tool_calls": [{"name": "operation", "arguments": {**base, **answer}}]}

    script = tmp_path / "turns.json"
    name = {"name": "name", "type": "string", "required": True, "min": 1, "max": 50}
    script.write_text(
        json.dumps(
            [
                slot(
                    inputs=[name], success=201, returned_fields=[{"name": "id", "type": "integer"}]
                ),
                slot(returns="list"),
            ]
        )
    )
    out = tmp_path / "svc"
    describe = (
        "POST /items saves an item (a name of 1 to 50 characters) and answers 201 with it "
        "and its id. GET /items lists the items."
    )
    result = CliRunner().invoke(
        app,
        ["new", "--describe", describe, "--out", str(out), "--model", f"scripted:{script}",
         "--single-file", "--no-verify", "--no-audit"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "operation  POST /items" in result.output and "operation  GET /items" in result.output
    derived = json.loads((out / ".bdev/openapi.json").read_text())
    body = derived["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["name"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 50,
    }
    assert "0 not implemented" in result.output
    assert "def " in (out / "app.py").read_text()


def test_new_without_spec_or_description_says_what_it_needs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new", "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, BdevError)
    assert "give --spec FILE, or --describe" in str(result.exception)
