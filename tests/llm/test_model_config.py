"""Every command builds its model from the configuration: `bdev new` and `bdev eval`
reach the `[openai] base_url` of the config file, with its key, through a `[models]`
alias too. The fake server is a real HTTP endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from llm_fake_server import FakeServer, Reply, openai_completion
from typer.testing import CliRunner

from bdev import trust
from bdev.cli.eval_cmd import evaluate
from bdev.cli.new_cmd import new
from bdev.config import load_config, user_config_path
from bdev.errors import BdevError
from bdev.llm.resolve import model_from_config
from support.answers import ARCHIVE_ANSWER

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "fixtures" / "specs" / "items.yaml"
SCENARIO = ROOT / "benchmarks" / "scenarios" / "10-repeat-text"

app = typer.Typer()
app.command("new")(new)
app.command("eval")(evaluate)


@pytest.fixture
def project(tmp_path: Path, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose (trusted) project config points openai: at the fake
    server: an untrusted one could not move the endpoint (bdev.trust)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".bdev").mkdir()
    (tmp_path / ".bdev" / "config.toml").write_text(
        f'[openai]\nbase_url = "{fake_server.url}/v1"\napi_key = "config-key"\n'
        '[models]\nsonnet = "openai:aliased-model"\n'
    )
    trust.trust(tmp_path, tmp_path / ".bdev" / "config.toml", user_config_path().parent)
    return tmp_path


def test_new_uses_the_configured_endpoint_key_and_alias(
    project: Path, fake_server: FakeServer
) -> None:
    fake_server.script(Reply(body=openai_completion(ARCHIVE_ANSWER)))
    reqs = project / "reqs.txt"
    reqs.write_text("fastapi\nuvicorn\npydantic\n")
    result = CliRunner().invoke(
        app,
        [
            "new", "--spec", str(SPEC), "--out", str(project / "svc"), "--model", "sonnet",
            "--requirements", str(reqs), "--no-verify", "--no-audit",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 written by the model" in result.output
    seen = fake_server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer config-key"
    assert seen.body["model"] == "aliased-model"


def test_eval_uses_the_configured_endpoint(project: Path, fake_server: FakeServer) -> None:
    fake_server.script(Reply(body=openai_completion("I would rather not.")))
    result = CliRunner().invoke(
        app,
        [
            "eval", "--model", "openai:eval-model", "--strategy", "single-shot",
            "--scenarios", str(SCENARIO), "--out", str(project / "out"), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["runs"][0]
    assert run["build"]["notes"] == "the answer held no Python code"
    assert [r.path for r in fake_server.requests] == ["/v1/chat/completions"]
    assert fake_server.requests[0].headers["authorization"] == "Bearer config-key"
    assert fake_server.requests[0].body["model"] == "eval-model"


def test_an_alias_nobody_configured_is_one_clear_error(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    with pytest.raises(BdevError, match=r"'opus' is an alias nobody configured.*\[models\] opus"):
        model_from_config("opus", config)
