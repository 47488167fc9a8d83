from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bdev.tools import fileio
from bdev.tools.base import ToolContext, ToolError
from bdev.tools.read import MAX_LINE_CHARS, ReadTool
from bdev.tools.write import WriteTool


def test_read_numbers_lines_like_cat_n(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.py").write_text("import os\n\nprint(1)\n")
    out = ReadTool().run({"file_path": "f.py"}, ctx)
    assert out.splitlines() == ["     1\timport os", "     2\t", "     3\tprint(1)"]


def test_read_offset_and_limit_with_note(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 101)))
    out = ReadTool().run({"file_path": "f.txt", "offset": 10, "limit": 3}, ctx)
    lines = out.splitlines()
    assert lines[:3] == ["    10\tline 10", "    11\tline 11", "    12\tline 12"]
    assert "lines 10-12 of 100" in lines[3]


def test_read_default_limit_is_2000_lines(ws: Path, ctx: ToolContext) -> None:
    (ws / "big.txt").write_text("x\n" * 2500)
    out = ReadTool().run({"file_path": "big.txt"}, ctx)
    assert out.count("\tx") == 2000
    assert "lines 1-2000 of 2500" in out


def test_read_cuts_long_lines(ws: Path, ctx: ToolContext) -> None:
    (ws / "min.js").write_text("a" * (MAX_LINE_CHARS + 500) + "\n")
    out = ReadTool().run({"file_path": "min.js"}, ctx)
    assert "500 more characters" in out
    assert len(out) < MAX_LINE_CHARS + 100


def test_read_errors(ws: Path, ctx: ToolContext) -> None:
    (ws / "d").mkdir()
    (ws / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (ws / "short.txt").write_text("one\n")
    with pytest.raises(ToolError, match="not found"):
        ReadTool().run({"file_path": "nope.txt"}, ctx)
    with pytest.raises(ToolError, match="is a directory"):
        ReadTool().run({"file_path": "d"}, ctx)
    with pytest.raises(ToolError, match="binary file"):
        ReadTool().run({"file_path": "img.png"}, ctx)
    with pytest.raises(ToolError, match="past the end"):
        ReadTool().run({"file_path": "short.txt", "offset": 5}, ctx)


def test_read_refuses_huge_files(
    ws: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileio, "MAX_TEXT_BYTES", 1024)
    (ws / "dump.sql").write_text("x" * 3 * 1024 * 1024)
    with pytest.raises(ToolError, match="3 MB, too large"):
        ReadTool().run({"file_path": "dump.sql"}, ctx)


def test_read_empty_file(ws: Path, ctx: ToolContext) -> None:
    (ws / "empty.txt").write_text("")
    assert "empty" in ReadTool().run({"file_path": "empty.txt"}, ctx)


def test_write_creates_parents_and_reports(ws: Path, ctx: ToolContext) -> None:
    out = WriteTool().run({"file_path": "a/b/c.txt", "content": "1\n2\n"}, ctx)
    assert (ws / "a/b/c.txt").read_text() == "1\n2\n"
    assert out == "Created a/b/c.txt (2 lines)"
    out = WriteTool().run({"file_path": "a/b/c.txt", "content": "3\n"}, ctx)
    assert out.startswith("Updated")
    assert (ws / "a/b/c.txt").read_text() == "3\n"


def test_write_of_the_same_content_says_nothing_changed(ws: Path, ctx: ToolContext) -> None:
    WriteTool().run({"file_path": "a.txt", "content": "same\n"}, ctx)
    before = (ws / "a.txt").stat().st_mtime_ns
    out = WriteTool().run({"file_path": "a.txt", "content": "same\n"}, ctx)
    assert out.startswith("Unchanged: a.txt")
    assert (ws / "a.txt").stat().st_mtime_ns == before


def test_write_keeps_mode_and_leaves_no_temp_files(ws: Path, ctx: ToolContext) -> None:
    script = ws / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    WriteTool().run({"file_path": "run.sh", "content": "#!/bin/sh\necho hi\n"}, ctx)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert sorted(os.listdir(ws)) == ["run.sh"]


def test_write_keeps_exact_newlines(ws: Path, ctx: ToolContext) -> None:
    WriteTool().run({"file_path": "crlf.txt", "content": "a\r\nb\r\n"}, ctx)
    assert (ws / "crlf.txt").read_bytes() == b"a\r\nb\r\n"


def test_write_errors(ws: Path, ctx: ToolContext) -> None:
    (ws / "d").mkdir()
    (ws / "file").write_text("x")
    with pytest.raises(ToolError, match="is a directory"):
        WriteTool().run({"file_path": "d", "content": "x"}, ctx)
    with pytest.raises(ToolError, match="cannot write"):
        WriteTool().run({"file_path": "file/child.txt", "content": "x"}, ctx)


def test_writing_python_that_does_not_parse_says_where(ws: Path, ctx: ToolContext) -> None:
    from bdev.tools.edit import EditTool

    out = WriteTool().run({"file_path": "app.py", "content": "def f(:\n    pass\n"}, ctx)
    assert out.startswith("Created app.py (2 lines)")
    assert "Note: it does not parse as Python: line 1:" in out
    assert out.endswith(": `def f(:`")  # the line itself, to Edit
    assert (ws / "app.py").read_text() == "def f(:\n    pass\n"  # still written
    out = EditTool().run({"file_path": "app.py", "old_string": "f(:", "new_string": "f():"}, ctx)
    assert "Note" not in out
    ok = WriteTool().run({"file_path": "notes.txt", "content": "def f(:"}, ctx)
    assert "Note" not in ok  # only Python files are parsed


def test_a_module_that_parses_is_not_replaced_by_one_that_does_not(
    ws: Path, ctx: ToolContext
) -> None:
    good = "def f():\n    return 1\n"
    WriteTool().run({"file_path": "app.py", "content": good}, ctx)
    refused = r"app.py: not written: .*\(line 2: invalid syntax: `\S+`\)"
    with pytest.raises(ToolError, match=refused):
        WriteTool().run({"file_path": "app.py", "content": "app.py\n```"}, ctx)
    assert (ws / "app.py").read_text() == good  # the work is still there
    fixed = "def f():\n    return 2\n"
    assert WriteTool().run({"file_path": "app.py", "content": fixed}, ctx).startswith("Updated")


def test_a_placeholder_does_not_replace_a_working_module(ws: Path, ctx: ToolContext) -> None:
    service = (
        "import os\n\n\ndef db():\n    return os.sep\n\n\ndef list_products():\n    return []\n"
    )
    WriteTool().run({"file_path": "app.py", "content": service}, ctx)
    # What the embedded model wrote over a working service in a constrained run: it parses.
    placeholder = "app.py\n\n# Your code here\n"
    with pytest.raises(ToolError, match=r"drops every function and class .*\(db, list_products\)"):
        WriteTool().run({"file_path": "app.py", "content": placeholder}, ctx)
    assert (ws / "app.py").read_text() == service
    # A rewrite that keeps one of them, a longer one, or a non-Python file is written.
    kept = "def db():\n    return 1\n"
    assert WriteTool().run({"file_path": "app.py", "content": kept}, ctx).startswith("Updated")
    (ws / "notes.txt").write_text(service)
    assert WriteTool().run({"file_path": "notes.txt", "content": "x\n"}, ctx).startswith("Updated")


def test_a_tool_result_or_a_summary_is_not_written_as_a_python_file(
    ws: Path, ctx: ToolContext
) -> None:
    service = "import os\n\n\ndef db():\n    return os.sep\n"
    (ws / "app.py").write_text(service)
    for content in ("<tool response>1\n", "app.py updated with validation for name.\n"):
        for path in ("app.py", "new_module.py"):
            with pytest.raises(ToolError, match=rf"{path}: not written: its first line, `"):
                WriteTool().run({"file_path": path, "content": content}, ctx)
    assert (ws / "app.py").read_text() == service
    assert not (ws / "new_module.py").exists()
    # The same text is a fine Markdown file.
    out = WriteTool().run({"file_path": "NOTES.md", "content": "<tool response>1\n"}, ctx)
    assert out.startswith("Created NOTES.md")


def test_a_markdown_fence_around_python_is_taken_off(ws: Path, ctx: ToolContext) -> None:
    fenced = "```python\nimport os\n\nprint(os.sep)\n```\n"
    out = WriteTool().run({"file_path": "app.py", "content": fenced}, ctx)
    assert "Markdown fence around the code (```) was taken off" in out
    assert (ws / "app.py").read_text() == "import os\n\nprint(os.sep)\n"
    # Anywhere but a Python file, or without a closing fence, the text stays as sent.
    WriteTool().run({"file_path": "README.md", "content": fenced}, ctx)
    assert (ws / "README.md").read_text() == fenced
    half = "```python\nimport os\n"
    WriteTool().run({"file_path": "b.py", "content": half}, ctx)
    assert (ws / "b.py").read_text() == half


def test_a_module_that_defines_a_function_twice_is_not_written(ws: Path, ctx: ToolContext) -> None:
    handler = "def member_id(token):\n    return int(token)\n"
    looped = f"import os\n\n\n{handler}\n\ndef borrow():\n    return os.sep\n\n\n{handler}"
    with pytest.raises(ToolError, match=r"not written: it defines `member_id` twice, at lines 4 a"):
        WriteTool().run({"file_path": "app.py", "content": looped}, ctx)
    assert not (ws / "app.py").exists()
    # A file that already had the duplicate is not held to it.
    (ws / "old.py").write_text(looped)
    assert (
        WriteTool()
        .run({"file_path": "old.py", "content": looped + "\n"}, ctx)
        .startswith("Updated old.py")
    )
