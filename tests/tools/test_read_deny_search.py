"""Read deny rules reach the search tools: `Read(.env)` and `Read(secrets/**)` keep
those files out of Grep (both engines), Glob and LS, and each says how many it hid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.tools.base import ToolContext
from bdev.tools.grep import GrepTool
from bdev.tools.grep.pure import PythonEngine
from bdev.tools.grep.query import GrepEngine
from bdev.tools.grep.ripgrep import RipgrepEngine, find_rg
from bdev.tools.listing import GlobTool, LSTool
from bdev.tools.policy import Policy

DENY = ["Read(.env)", "Read(secrets/**)"]


def engines() -> list[GrepEngine]:
    rg = find_rg()
    return [PythonEngine(), *([RipgrepEngine(rg)] if rg else [])]


@pytest.fixture
def tree(ws: Path) -> Path:
    (ws / ".env").write_text("API_KEY=sk-secret\n")
    (ws / "secrets").mkdir()
    (ws / "secrets" / "prod.key").write_text("API_KEY=sk-prod\n")
    (ws / "app.py").write_text("API_KEY = getenv('API_KEY')\n")
    return ws


def denied_ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, read_denied=Policy(deny=DENY, workspace=ws).read_filter)


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.name)
@pytest.mark.parametrize("mode", ["content", "files_with_matches", "count"])
def test_grep_neither_shows_nor_counts_denied_files(
    tree: Path, engine: GrepEngine, mode: str
) -> None:
    out = GrepTool(engine).run({"pattern": "API_KEY", "output_mode": mode}, denied_ctx(tree))
    assert "sk-" not in out and ".env" not in out and "prod.key" not in out
    assert "app.py" in out
    assert "(2 files hidden by Read deny rules)" in out


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.name)
def test_grep_says_hidden_even_when_nothing_else_matches(tree: Path, engine: GrepEngine) -> None:
    out = GrepTool(engine).run({"pattern": "sk-prod", "path": "secrets"}, denied_ctx(tree))
    assert out == "No matches found\n(1 file hidden by Read deny rules)"


def test_without_deny_rules_grep_searches_everything(tree: Path) -> None:
    out = GrepTool(PythonEngine()).run({"pattern": "sk-"}, ToolContext(workspace=tree))
    assert ".env" in out and "secrets/prod.key" in out and "hidden" not in out


def test_glob_leaves_denied_files_out(tree: Path) -> None:
    out = GlobTool().run({"pattern": "**/*"}, denied_ctx(tree))
    assert out.splitlines() == ["app.py", "(2 files hidden by Read deny rules)"]
    only_hidden = GlobTool().run({"pattern": "*.key"}, denied_ctx(tree))
    assert only_hidden == "No files found\n(1 file hidden by Read deny rules)"


def test_ls_leaves_denied_files_out(tree: Path) -> None:
    out = LSTool().run({}, denied_ctx(tree))
    assert ".env" not in out and "prod.key" not in out
    assert "app.py" in out and "secrets/" in out
    assert out.endswith("(2 files hidden by Read deny rules)")


def test_a_run_with_a_deny_flag_hides_files_from_grep(tree: Path) -> None:
    from support.runtime import events, make_runner

    # The pattern as written does not match itself (the transcript is in the workspace too).
    pattern = "sk-(secret|prod)"
    grep = {"name": "Grep", "arguments": {"pattern": pattern, "output_mode": "content"}}
    runner = make_runner(
        tree, [{"tool_calls": [grep]}, {"content": "done"}], "default", **{"permissions.deny": DENY}
    )
    session_id, _ = runner.start("find keys", runner.registry.get("general-purpose"))
    results = [
        e["message"]["content"]
        for e in events(tree, session_id)
        if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert results == ["No matches found\n(2 files hidden by Read deny rules)"]
