"""A small model's first turn lists the workspace's real files."""

from __future__ import annotations

from pathlib import Path

from bdev.runtime.workspace_files import MAX_LISTED, workspace_files
from support.runtime import agent_def, events, make_runner


def test_the_list_is_shallowest_first_without_hidden_or_dependency_folders(tmp_path: Path) -> None:
    for rel in ("app.py", "tests/test_app.py", "migrations/001_init.sql", ".env",
                ".git/HEAD", ".venv/lib/x.py", "node_modules/a/index.js"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert workspace_files(tmp_path).splitlines() == [
        "Files in the workspace:",
        "- app.py",
        "- migrations/001_init.sql",
        "- tests/test_app.py",
    ]


def test_a_long_list_is_cut_and_counted(tmp_path: Path) -> None:
    for i in range(MAX_LISTED + 7):
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / f"m{i:03}.py").write_text("")
    (tmp_path / "main.py").write_text("")
    lines = workspace_files(tmp_path).splitlines()
    assert lines[1] == "- main.py"  # the top level comes first
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == "- and 8 more (Glob finds them)"


def test_an_empty_workspace_says_so(tmp_path: Path) -> None:
    assert workspace_files(tmp_path) == "The workspace has no files yet."


def _first_turn(workspace: Path, small: bool) -> str:
    if small:
        (workspace / ".bdev").mkdir(exist_ok=True)
        (workspace / ".bdev" / "config.toml").write_text('[models."scripted:test"]\nsmall = true\n')
    runner = make_runner(workspace, [{"content": "Done."}])
    sid, _ = runner.start("fix the bug", agent_def(workspace))
    messages = [e["message"] for e in events(workspace, sid) if e["type"] == "message"]
    return next(m["content"] for m in messages if m["role"] == "user")


def test_only_a_small_model_is_told_the_files(workspace: Path) -> None:
    (workspace / "service.py").write_text("print('hi')\n")
    assert "service.py" not in _first_turn(workspace, small=False)
    turn = _first_turn(workspace, small=True)
    assert turn.startswith("fix the bug\n\nFiles in the workspace:\n")
    assert "- service.py" in turn and ".claude" not in turn
