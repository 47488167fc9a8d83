from __future__ import annotations

import os
from pathlib import Path

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.grep import GrepTool, PythonEngine, RipgrepEngine, find_rg
from bdev.tools.grep import tool as grep_tool

RG = find_rg()
ENGINES = [
    pytest.param("python", id="python"),
    pytest.param(
        "ripgrep", id="ripgrep", marks=pytest.mark.skipif(RG is None, reason="no rg binary")
    ),
]


def make_tool(engine: str) -> GrepTool:
    return GrepTool(PythonEngine() if engine == "python" else RipgrepEngine(RG or "rg"))


@pytest.fixture
def tree(ws: Path, tmp_path: Path) -> Path:
    files = {
        "app/main.py": "import os\n\ndef handler(req):\n    return TODO_fix(req)\n",
        "app/models.py": "class User:\n    name: str\n    # todo: email\n",
        "app/web.ts": "export const TODO = 1;\n",
        "docs/guide.md": "one\ntwo\nthree TODO\nfour\nfive\nsix\nseven TODO\n",
        "notes.txt": "nothing here\n",
        "node_modules/lib/index.js": "TODO in a dependency\n",
        ".git/config": "TODO in git\n",
        ".github/workflow.yml": "# TODO hidden dirs are searched\n",
    }
    for rel, text in files.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    (ws / "blob.bin").write_bytes(b"TODO\0\1\2")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("TODO outside\n")
    os.symlink(outside, ws / "linkdir")
    os.symlink(outside / "leak.py", ws / "linkfile.py")
    return ws


@pytest.mark.parametrize("engine", ENGINES)
def test_files_with_matches_is_default_and_sorted(
    engine: str, tree: Path, ctx: ToolContext
) -> None:
    out = make_tool(engine).run({"pattern": "TODO"}, ctx)
    # Skips node_modules, .git, binary files and symlinks; searches other hidden dirs.
    assert out.splitlines() == [
        "Found 4 files",
        ".github/workflow.yml",
        "app/main.py",
        "app/web.ts",
        "docs/guide.md",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_content_mode_numbers_lines(engine: str, tree: Path, ctx: ToolContext) -> None:
    args = {"pattern": "TODO", "output_mode": "content", "path": "docs"}
    out = make_tool(engine).run(args, ctx)
    assert out.splitlines() == ["docs/guide.md:3:three TODO", "docs/guide.md:7:seven TODO"]
    out = make_tool(engine).run({**args, "-n": False}, ctx)
    assert out.splitlines() == ["docs/guide.md:three TODO", "docs/guide.md:seven TODO"]


@pytest.mark.parametrize("engine", ENGINES)
def test_content_with_context(engine: str, tree: Path, ctx: ToolContext) -> None:
    args = {"pattern": "TODO", "output_mode": "content", "path": "docs/guide.md", "-C": 1}
    assert make_tool(engine).run(args, ctx).splitlines() == [
        "docs/guide.md-2-two",
        "docs/guide.md:3:three TODO",
        "docs/guide.md-4-four",
        "--",
        "docs/guide.md-6-six",
        "docs/guide.md:7:seven TODO",
    ]
    args = {"pattern": "three", "output_mode": "content", "path": "docs", "-A": 2, "-B": 0}
    assert make_tool(engine).run(args, ctx).splitlines() == [
        "docs/guide.md:3:three TODO",
        "docs/guide.md-4-four",
        "docs/guide.md-5-five",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_count_ignore_case_glob_and_type(engine: str, tree: Path, ctx: ToolContext) -> None:
    grep = make_tool(engine)
    out = grep.run({"pattern": "todo", "output_mode": "count", "-i": True, "path": "app"}, ctx)
    assert out.splitlines() == [
        "app/main.py:1",
        "app/models.py:1",
        "app/web.ts:1",
        "(3 matching lines in 3 files)",
    ]
    assert grep.run({"pattern": "TODO", "glob": "*.{ts,md}"}, ctx).splitlines()[1:] == [
        "app/web.ts",
        "docs/guide.md",
    ]
    assert grep.run({"pattern": "TODO", "glob": "!*.md"}, ctx).count("\n") == 3
    assert grep.run({"pattern": "TODO", "type": "py"}, ctx).splitlines()[1:] == ["app/main.py"]
    # Anchored globs are relative to the workspace, also when searching a folder.
    assert grep.run({"pattern": "TODO", "path": "app", "glob": "app/*.ts"}, ctx).endswith(
        "\napp/web.ts"
    )
    assert grep.run({"pattern": "TODO", "path": "app", "glob": "web.ts"}, ctx).endswith(
        "\napp/web.ts"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_head_limit_and_no_match(engine: str, tree: Path, ctx: ToolContext) -> None:
    grep = make_tool(engine)
    out = grep.run({"pattern": "TODO", "head_limit": 2}, ctx)
    assert out.splitlines()[1:] == [
        ".github/workflow.yml",
        "app/main.py",
        "(showing the first 2 of 4 files)",
    ]
    assert grep.run({"pattern": "zzz_nothing"}, ctx) == "No matches found"


@pytest.mark.parametrize("engine", ENGINES)
def test_multiline(engine: str, tree: Path, ctx: ToolContext) -> None:
    grep = make_tool(engine)
    args = {"pattern": r"def handler.*TODO_fix", "output_mode": "content", "path": "app"}
    assert grep.run(args, ctx) == "No matches found"
    out = grep.run({**args, "multiline": True}, ctx)
    assert out.splitlines() == [
        "app/main.py:3:def handler(req):",
        "app/main.py:4:    return TODO_fix(req)",
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_matches_do_not_span_lines_without_multiline(
    engine: str, ws: Path, ctx: ToolContext
) -> None:
    (ws / "a.txt").write_text("alpha\nbeta\n")
    assert make_tool(engine).run({"pattern": r"alpha\s+beta"}, ctx) == "No matches found"


@pytest.mark.parametrize("engine", ENGINES)
def test_errors(engine: str, tree: Path, ctx: ToolContext) -> None:
    grep = make_tool(engine)
    with pytest.raises(ToolError, match="grep failed"):
        grep.run({"pattern": "a(b"}, ctx)
    with pytest.raises(ToolError, match="no such file"):
        grep.run({"pattern": "x", "path": "missing"}, ctx)
    with pytest.raises(ToolError, match="outside the workspace"):
        grep.run({"pattern": "TODO", "path": "linkdir"}, ctx)
    with pytest.raises(ToolError, match="outside the workspace"):
        grep.run({"pattern": "TODO", "path": "../"}, ctx)
    with pytest.raises(ToolError, match="type"):
        grep.run({"pattern": "x", "type": "nosuchtype"}, ctx)


@pytest.mark.skipif(RG is None, reason="no rg binary")
def test_engines_agree_on_a_generated_tree(ws: Path) -> None:
    for i in range(60):
        body = "".join(f"line {j} value_{(i * j) % 7}\n" for j in range(30))
        path = ws / f"pkg{i % 4}" / f"mod{i}.{'py' if i % 3 else 'txt'}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(body)
    ctx = ToolContext(workspace=ws)
    queries = [
        {"pattern": "value_3"},
        {"pattern": r"line 1\d value_[25]", "output_mode": "content", "-C": 2},
        {"pattern": "VALUE_6", "-i": True, "output_mode": "count", "glob": "pkg1/*"},
        {"pattern": "value_0$", "type": "py", "output_mode": "content", "-B": 1},
    ]
    for q in queries:
        assert make_tool("python").run(q, ctx) == make_tool("ripgrep").run(q, ctx), q


def test_default_engine_prefers_rg_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grep_tool, "find_rg", lambda: "/opt/rg")
    engine = GrepTool().engine
    assert isinstance(engine, RipgrepEngine)
    assert engine.binary == "/opt/rg"
    monkeypatch.setattr(grep_tool, "find_rg", lambda: None)
    assert isinstance(GrepTool().engine, PythonEngine)
