from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bdev.errors import BdevError
from bdev.llm.anthropic_api import AnthropicModel
from bdev.llm.openai_compat import OpenAICompatModel
from bdev.llm.resolve import create_model
from bdev.llm.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def test_scripted(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"content": "hi"}]), encoding="utf-8")
    model = create_model(f"scripted:{path}")
    assert isinstance(model, ScriptedModel)
    assert model.name == f"scripted:{path}"


def test_openai_with_flags() -> None:
    model = create_model(
        "openai:gpt-4o-mini", base_url="http://127.0.0.1:1/v1", api_key="k", timeout=7
    )
    assert isinstance(model, OpenAICompatModel)
    assert (model.name, model.model) == ("openai:gpt-4o-mini", "gpt-4o-mini")
    assert model._client.api_key == "k"
    assert model._client.timeout == 7
    assert str(model._client.base_url) == "http://127.0.0.1:1/v1/"


def test_keys_and_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    model = create_model("openai:qwen")
    assert isinstance(model, OpenAICompatModel)
    assert model._client.api_key == "env-key"
    assert str(model._client.base_url) == "http://127.0.0.1:2/v1/"


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    model = create_model("anthropic:claude-x", api_key="flag-key")
    assert isinstance(model, AnthropicModel)
    assert model._client.api_key == "flag-key"


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("claude-sonnet-4", AnthropicModel),
        ("gpt-4o", OpenAICompatModel),
        ("o3-mini", OpenAICompatModel),
    ],
)
def test_bare_model_ids_pick_their_provider(spec: str, kind: type) -> None:
    assert isinstance(create_model(spec, api_key="k"), kind)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mistral:7b", "unknown model provider 'mistral'"),
        ("llama3", "cannot tell which provider serves model 'llama3'"),
        ("openai:", "names no model after 'openai'"),
    ],
)
def test_bad_specs_list_the_valid_forms(spec: str, message: str) -> None:
    with pytest.raises(BdevError, match=message) as err:
        create_model(spec)
    if "names no model" not in message:
        assert "openai:MODEL" in str(err.value) and "scripted:FILE" in str(err.value)


def test_local_without_its_extras_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail exactly as a missing module does.
    monkeypatch.setitem(sys.modules, "bdev.llm.local.model", None)
    with pytest.raises(BdevError, match=r'pip install -e "\.\[local\]"'):
        create_model("local")


def test_local_passes_the_model_id(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen: list[str | None] = []

    class FakeLocal:
        def __init__(self, model_id: str | None) -> None:
            seen.append(model_id)

    monkeypatch.setitem(
        sys.modules, "bdev.llm.local.model", types.SimpleNamespace(LocalModel=FakeLocal)
    )
    create_model("local")
    create_model("local:qwen2.5-coder-0.5b")
    assert seen == [None, "qwen2.5-coder-0.5b"]
