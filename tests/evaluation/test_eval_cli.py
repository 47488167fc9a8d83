import json

import pytest
import typer
from eval_support import SUITE
from typer.testing import CliRunner

from bdev.cli.eval_cmd import evaluate
from bdev.errors import BdevError

pytestmark = pytest.mark.slow  # runs scenario services and their exploit suites

app = typer.Typer()
app.command("eval")(evaluate)
app.command("other")(lambda: None)  # two commands: `eval` stays a subcommand


def test_reference_run_as_json(tmp_path):
    result = CliRunner().invoke(
        app,
        ["eval", "--strategy", "reference", "--scenarios", str(SUITE / "10-repeat-text"),
         "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"] == [json.loads((tmp_path / "results.json").read_text())["totals"][0]]
    assert data["runs"][0]["sec_pass"] is True


def test_table_output(tmp_path):
    result = CliRunner().invoke(
        app,
        ["eval", "--strategy", "reference", "--scenarios", f"{SUITE}/10-*", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "sec_pass@1" in result.stdout and "100% (1)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "best-of-n"], "unknown strategy 'best-of-n'"),
        (["--scenarios", "99-*", "--strategy", "reference"], "no scenario folders matching"),
    ],
)
def test_user_errors(tmp_path, args, message):
    result = CliRunner().invoke(app, ["eval", "--out", str(tmp_path), *args])
    assert isinstance(result.exception, BdevError)
    assert message in str(result.exception)


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    from bdev.team.locks import Held

    first = Held(tmp_path / ".eval.lock", "a bdev eval")  # as a run in progress holds it
    args = ["eval", "--strategy", "reference", "--scenarios", f"{SUITE}/10-*", "--out"]
    try:
        result = CliRunner().invoke(app, [*args, str(tmp_path)])
        assert isinstance(result.exception, BdevError)
        assert "already running" in str(result.exception) and str(tmp_path) in str(result.exception)
        assert not (tmp_path / "results.json").exists()
    finally:
        first.release()
    assert CliRunner().invoke(app, [*args, str(tmp_path)]).exit_code == 0  # free again


def test_resume_keeps_the_saved_runs_of_the_change_suite(tmp_path, monkeypatch):
    from bdev.evaluation import harness

    monkeypatch.setattr(harness, "revision", lambda: "0.1.0@0123456789ab")  # a clean commit
    args = ["eval", "--suite", "changes", "--strategy", "reference", "--scenarios", "06-*",
            "--out", str(tmp_path)]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    saved = json.loads((tmp_path / "results.json").read_text())
    again = CliRunner().invoke(app, [*args, "--resume"])
    assert again.exit_code == 0, again.output
    assert "(kept from" in again.stderr
    assert json.loads((tmp_path / "results.json").read_text())["runs"] == saved["runs"]


def test_the_terminal_tables_end_with_the_malformed_replies(capsys):
    from bdev.cli.eval_cmd import _render
    from bdev.evaluation import BuildOutcome, EvalReport, ScenarioRun

    loop = BuildOutcome(ok=True, steps=30, replies=30, malformed=2)
    report = EvalReport("m", [ScenarioRun("01-a", "constrained-loop", loop),
                              ScenarioRun("01-a", "reference", BuildOutcome(ok=True))])  # fmt: skip
    _render(report)
    assert capsys.readouterr().out.splitlines()[-1] == "malformed/replies: constrained-loop 2/30"


def test_samples_run_each_scenario_again_and_count_runs(tmp_path):
    args = ["eval", "--strategy", "reference", "--scenarios", f"{SUITE}/10-*", "--out"]
    result = CliRunner().invoke(app, [*args, str(tmp_path), "--samples", "2"])
    assert result.exit_code == 0, result.output
    assert "100% (2)" in result.stdout and " runs " in result.stdout  # not "scenarios"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [r["sample"] for r in saved["runs"]] == [1, 2]
    assert (tmp_path / "reference" / "10-repeat-text@2" / "result.json").is_file()
    refused = CliRunner().invoke(app, [*args, str(tmp_path), "--samples", "0"])
    assert refused.exit_code == 2 and "--samples" in refused.output
