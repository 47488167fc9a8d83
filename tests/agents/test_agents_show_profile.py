"""`bdev agents show --profile`: what a model of a profile receives, with its token count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bdev.agents.definition import load_definition
from bdev.cli import agents_cmd
from bdev.llm.local import tokenizer
from bdev.runtime.profile import SMALL_BUDGET
from bdev.runtime.prompt import first_request
from support.seeds import seed_files

cli = CliRunner()

REPO = Path(__file__).resolve().parents[2]  # any real folder: the prompt names it


def _show(*args: str) -> tuple[int, str]:
    result = cli.invoke(agents_cmd.app, ["show", *args])
    return result.exit_code, result.output


def test_show_profile_small_prints_prompt_schemas_and_an_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokenizer, "load_tokenizer", lambda *a, **k: None)  # no model here
    code, output = _show("--profile", "small", "general-purpose", "--workspace", str(tmp_path))
    assert code == 0, output
    prompt, _, rest = output.partition("\n\n--- tools (sent beside the messages")
    schemas, _, count = rest.partition("\n\n--- ~")
    specs = json.loads(schemas[schemas.index("\n") + 1 :])
    assert [s["name"] for s in specs] == ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]
    assert "offset" not in specs[0]["parameters"]["properties"]
    assert "- Tools: Read, Write, Edit, Glob, Grep, Bash" in prompt
    assert "condensed for a small model" in prompt
    tokens = int(count.split()[0])
    assert tokens <= SMALL_BUDGET
    assert "ESTIMATE" in count and f"budget {SMALL_BUDGET}" in count


def test_show_profile_full_is_the_whole_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokenizer, "load_tokenizer", lambda *a, **k: None)
    code, output = _show("--profile", "full", "general-purpose", "--workspace", str(tmp_path))
    assert code == 0, output
    assert "condensed" not in output and "TodoWrite" in output and "budget" not in output


def test_a_bad_profile_is_one_clear_error() -> None:
    args = ["show", "--profile", "tiny", "general-purpose"]
    result = cli.invoke(agents_cmd.app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if "profile" in line]
    assert len(errors) == 1
    assert (
        "Invalid value for '--profile': unknown profile 'tiny'; use one of: full, small"
        in errors[0]
    )
    assert "Traceback" not in result.output


@pytest.mark.model
def test_seeds_fit_the_budget_by_the_real_tokenizer() -> None:
    tok = tokenizer.load_tokenizer()
    assert tok is not None
    for path in seed_files():
        system, specs = first_request(load_definition(path), REPO, "small")
        assert tok.prefix_tokens(system, specs) < SMALL_BUDGET, path
        full_system, full_specs = first_request(load_definition(path), REPO)
        assert tok.prefix_tokens(full_system, full_specs) > SMALL_BUDGET  # it did need it
