"""The small-model profile: which models get it, which tools and what prompt they see."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bdev.agents.definition import load_definition
from bdev.agents.registry import BUILTIN_DIR, AgentRegistry
from bdev.config import load_config
from bdev.errors import BdevError
from bdev.llm.base import Message, ModelResponse, ToolSpec
from bdev.runtime.profile import (
    SMALL_BUDGET,
    estimate_prefix,
    offered_tools,
    parse_profile,
    profile_for,
)
from bdev.runtime.prompt import first_request, system_prompt
from bdev.runtime.runner import Runner
from bdev.tools.base import TOOL_NAMES
from bdev.tools.registry import build_tools, tool_specs
from support.runtime import events, write_agent
from support.seeds import seed_files

ALL = list(TOOL_NAMES)

REPO = Path(__file__).resolve().parents[2]  # any real folder: the prompt names it


def _config(workspace: Path, toml: str = "") -> Any:
    (workspace / ".bdev").mkdir(exist_ok=True)
    (workspace / ".bdev" / "config.toml").write_text(toml)
    return load_config(workspace)


def test_small_offers_core_tools_and_drops_the_rest() -> None:
    assert offered_tools(ALL, "small") == ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]
    assert offered_tools(["Read", "LS", "Bash", "TodoWrite"], "small") == ["Read", "LS", "Bash"]
    assert offered_tools(["Read", "MultiEdit"], "small") == ["Read", "MultiEdit"]
    # Nothing core listed: the definition's own tools stay.
    assert offered_tools(["WebSearch", "WebFetch"], "small") == ["WebSearch", "WebFetch"]
    assert offered_tools(ALL, "full") == ALL


def test_compact_specs_keep_required_and_chosen_params_only() -> None:
    specs = {s.name: s for s in tool_specs(build_tools(), compact=True)}
    assert specs["Read"].parameters == {
        "type": "object",
        "properties": {"file_path": {"type": "string"}},
        "required": ["file_path"],
    }
    assert set(specs["Grep"].parameters["properties"]) == {"pattern", "path"}
    assert set(specs["Bash"].parameters["properties"]) == {"command"}
    assert set(specs["Task"].parameters["properties"]) == {"description", "prompt", "subagent_type"}
    full = {s.name: s for s in tool_specs(build_tools())}
    assert all(len(specs[n].description) < len(full[n].description) for n in specs)


def test_full_profile_is_unchanged(tmp_path: Path) -> None:
    d = AgentRegistry(tmp_path).get("general-purpose")
    system, specs = first_request(d, tmp_path)
    assert (system, specs) == first_request(d, tmp_path, "full")
    assert system == system_prompt(d, tmp_path, ALL)
    assert d.body.strip() in system
    assert specs == tool_specs(build_tools(ALL))


def test_small_profile_stays_within_budget_for_seeds_and_builtins() -> None:
    for path in [*seed_files(), *sorted(BUILTIN_DIR.glob("*.md"))]:
        d = load_definition(path)
        system, specs = first_request(d, REPO, "small")
        assert estimate_prefix(system, specs) <= SMALL_BUDGET, path
        # Condensed and saying so, or short enough to be shown whole: never cut silently.
        assert "condensed for a small model" in system or d.body.strip() in system, path
        assert system == first_request(d, REPO, "small")[0]  # byte-stable
        assert {s.name for s in specs} <= {"Read", "Write", "Edit", "Glob", "Grep", "Bash", "LS"}


def test_which_models_are_small(workspace: Path) -> None:
    config = _config(
        workspace,
        '[models]\nhaiku = "openai:qwen-3b"\n'
        '[models."openai:qwen-3b"]\nsmall = true\n'
        '[models."local"]\nsmall = false\n',
    )
    assert profile_for("openai:qwen-3b", config) == "small"
    assert profile_for("haiku", config) == "small"  # through the alias
    assert profile_for("openai:gpt-4o", config) == "full"
    assert profile_for("local", config) == "full"  # configured small = false wins
    defaults = load_config(workspace / "elsewhere")
    assert profile_for("local", defaults) == "small"
    assert profile_for("local:qwen2.5-coder-0.5b", defaults) == "small"
    assert profile_for("anthropic:claude-sonnet-4-5", defaults) == "full"


def test_a_bad_model_setting_is_named(workspace: Path) -> None:
    with pytest.raises(BdevError, match=r"models\.'x'\.small must be bool"):
        _config(workspace, '[models."x"]\nsmall = "maybe"\n')


def test_parse_profile() -> None:
    assert parse_profile("small") == "small"
    with pytest.raises(BdevError, match="unknown profile 'tiny'; use one of: full, small"):
        parse_profile("tiny")


class _Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[list[Message], list[ToolSpec]]] = []

    def complete(self, messages: list[Message], tools: list[ToolSpec], **_: Any) -> ModelResponse:
        self.seen.append((list(messages), list(tools)))
        return ModelResponse(content="done", model=self.name)


def test_a_model_configured_small_runs_with_the_small_profile(workspace: Path) -> None:
    config = _config(workspace, '[models."openai:qwen-3b"]\nsmall = true\n')
    body = "You are a test agent.\n\n" + "\n".join(
        f"## Part {i}\n\n{'Word ' * 60}." for i in range(30)
    )
    path = write_agent(workspace / ".claude" / "agents", "long", "Read, Bash, TodoWrite", body=body)
    model = _Recorder()
    runner = Runner(
        workspace=workspace,
        config=config,
        registry=AgentRegistry(workspace, user_dir=workspace / "none"),
        model_factory=lambda spec: model,
        model_override="openai:qwen-3b",
    )
    sid, result = runner.start("task", load_definition(path))
    assert result.final == "done"
    messages, specs = model.seen[0]
    assert [s.name for s in specs] == ["Read", "Bash"]
    assert specs == tool_specs(build_tools(["Read", "Bash"]), compact=True)
    assert "condensed for a small model" in messages[0].content
    assert estimate_prefix(messages[0].content, specs) <= SMALL_BUDGET
    start = events(workspace, sid)[0]
    assert start["profile"] == "small" and start["tools"] == ["Read", "Bash"]


def test_schemas_json_round_trip() -> None:
    # What `agents show` prints must be valid JSON the template can take.
    specs = tool_specs(build_tools(), compact=True)
    assert json.loads(json.dumps([s.__dict__ for s in specs]))


def test_a_loaded_local_model_name_is_small(workspace: Path) -> None:
    from bdev.llm import catalog
    from bdev.llm.resolve import is_small

    config = _config(workspace)
    assert is_small(f"local/{catalog.get(None).id}", config)  # LocalModel.name
    assert not is_small("openai:gpt-4o", config)
