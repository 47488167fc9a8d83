"""Configuration layers and their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.config import load_config
from bdev.errors import BdevError


def test_layers_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text(
        'model = "openai:qwen"\n[models]\nsonnet = "anthropic:claude-x"\n[limits]\nmax_steps = 10\n'
    )
    ws = tmp_path / "ws"
    (ws / ".bdev").mkdir(parents=True)
    (ws / ".bdev" / "config.toml").write_text(
        '[limits]\nmax_steps = 20\n[prices."openai:qwen"]\ninput = 1\noutput = 2\n'
    )
    monkeypatch.delenv("BDEV_MODEL", raising=False)
    cfg = load_config(ws, {"permissions.mode": "plan"}, user_path=user)
    assert cfg["model"] == "openai:qwen" and cfg.sources["model"] == str(user)
    assert cfg["limits.max_steps"] == 20 and cfg.sources["limits.max_steps"].endswith("config.toml")
    assert cfg.alias("sonnet") == "anthropic:claude-x"
    assert cfg["permissions.mode"] == "plan" and cfg.sources["permissions.mode"] == "flag"
    assert cfg.prices["openai:qwen"] == {"input": 1.0, "output": 2.0}
    assert cfg.sources["bash.timeout"] == "default"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("model = 3\n", "model must be str"),
        ("[limits]\nmax_steps = 'x'\n", "limits.max_steps must be int"),
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("model = \n", "invalid TOML"),
        ("[permissions]\nmode = 'yolo'\n", "yolo"),
        ("[prices.m]\ninput = 'cheap'\n", "prices.'m'"),
    ],
)
def test_bad_files_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    user = tmp_path / "user.toml"
    user.write_text(text)
    with pytest.raises(BdevError) as e:
        load_config(tmp_path, user_path=user)
    assert str(user) in str(e.value) and needle in str(e.value)


def test_environment_beats_files_and_flags_beat_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BDEV_MODEL", "anthropic:from-env")
    cfg = load_config(tmp_path, user_path=tmp_path / "none.toml")
    assert cfg["model"] == "anthropic:from-env"
    cfg = load_config(tmp_path, {"model": "openai:flag"}, user_path=tmp_path / "none.toml")
    assert cfg["model"] == "openai:flag"
