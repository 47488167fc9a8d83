from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.listing import MAX_GLOB_RESULTS, GlobTool, LSTool


@pytest.fixture
def tree(ws: Path, tmp_path: Path) -> Path:
    for rel in ["src/app/main.py", "src/app/util.py", "src/web.ts", "README.md", "tests/t.py"]:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text("x\n")
    (ws / "node_modules/pkg").mkdir(parents=True)
    (ws / "node_modules/pkg/index.py").write_text("x\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("x\n")
    os.symlink(outside, ws / "linked")
    return ws


def test_ls_shows_a_sorted_tree(tree: Path, ctx: ToolContext) -> None:
    out = LSTool().run({}, ctx)
    assert out.splitlines() == [
        "./",
        "  README.md",
        "  linked@",
        "  src/",
        "    app/",
        "      main.py",
        "      util.py",
        "    web.ts",
        "  tests/",
        "    t.py",
    ]


def test_ls_ignore_and_subdir(tree: Path, ctx: ToolContext) -> None:
    out = LSTool().run({"path": "src", "ignore": ["*.ts", "util.py"]}, ctx)
    assert out.splitlines() == ["src/", "  app/", "    main.py"]


def test_ls_errors(tree: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="no such directory"):
        LSTool().run({"path": "nope"}, ctx)
    with pytest.raises(ToolError, match="is a file"):
        LSTool().run({"path": "README.md"}, ctx)
    with pytest.raises(ToolError, match="outside the workspace"):
        LSTool().run({"path": "linked"}, ctx)


def test_glob_matches_any_depth_without_slash(tree: Path, ctx: ToolContext) -> None:
    out = GlobTool().run({"pattern": "*.py"}, ctx)
    assert sorted(out.splitlines()) == ["src/app/main.py", "src/app/util.py", "tests/t.py"]


def test_glob_anchored_braces_and_path(tree: Path, ctx: ToolContext) -> None:
    assert GlobTool().run({"pattern": "src/**/*.{py,ts}"}, ctx).count("\n") == 2
    assert GlobTool().run({"pattern": "*.py", "path": "tests"}, ctx) == "tests/t.py"
    assert GlobTool().run({"pattern": "*.rs"}, ctx) == "No files found"


def test_glob_says_when_its_pattern_starts_with_a_folder_not_there(
    tree: Path, ctx: ToolContext
) -> None:
    # A model in the service folder looks for `service/*` (the folder it is in).
    none = GlobTool().run({"pattern": "service/*"}, ctx)
    assert (
        none == "No files found (the pattern is relative to the workspace, which has no `service`)"
    )
    inside = GlobTool().run({"pattern": "app/*.py", "path": "tests"}, ctx)
    assert inside.endswith("relative to tests, which has no `app`)")
    assert GlobTool().run({"pattern": "src/*.rs"}, ctx) == "No files found"  # src is there
    assert GlobTool().run({"pattern": "*/x.py"}, ctx) == "No files found"


def test_glob_sorts_newest_first(tree: Path, ctx: ToolContext) -> None:
    now = time.time()
    os.utime(tree / "src/app/util.py", (now + 100, now + 100))
    os.utime(tree / "tests/t.py", (now - 100, now - 100))
    lines = GlobTool().run({"pattern": "**/*.py"}, ctx).splitlines()
    assert lines[0] == "src/app/util.py"
    assert lines[-1] == "tests/t.py"


def test_glob_caps_results(ws: Path, ctx: ToolContext) -> None:
    for i in range(MAX_GLOB_RESULTS + 5):
        (ws / f"f{i}.txt").write_text("")
    out = GlobTool().run({"pattern": "*.txt"}, ctx)
    assert f"showing {MAX_GLOB_RESULTS} of {MAX_GLOB_RESULTS + 5}" in out


def test_glob_does_not_follow_symlinks_out(tree: Path, ctx: ToolContext) -> None:
    assert "leak.py" not in GlobTool().run({"pattern": "**/*.py"}, ctx)
    with pytest.raises(ToolError, match="outside the workspace"):
        GlobTool().run({"pattern": "*.py", "path": "linked"}, ctx)
