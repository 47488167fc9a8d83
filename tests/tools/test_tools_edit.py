from __future__ import annotations

from pathlib import Path

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.edit import EditTool, MultiEditTool

SOURCE = "def a():\n    return 1\n\n\ndef b():\n    return 1\n"


@pytest.fixture
def src(ws: Path) -> Path:
    path = ws / "m.py"
    path.write_text(SOURCE)
    return path


def test_edit_replaces_a_unique_match(src: Path, ctx: ToolContext) -> None:
    out = EditTool().run(
        {"file_path": "m.py", "old_string": "def b():", "new_string": "def c():"}, ctx
    )
    assert src.read_text() == SOURCE.replace("def b():", "def c():")
    assert out == "Edited m.py: 1 replacement at line 5"


def test_edit_refuses_ambiguous_match_and_counts(src: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="occurs 2 times"):
        EditTool().run(
            {"file_path": "m.py", "old_string": "return 1", "new_string": "return 2"}, ctx
        )
    assert src.read_text() == SOURCE


def test_edit_replace_all(src: Path, ctx: ToolContext) -> None:
    args = {"file_path": "m.py", "old_string": "return 1", "new_string": "return 2"}
    out = EditTool().run({**args, "replace_all": True}, ctx)
    assert src.read_text().count("return 2") == 2
    assert "2 replacements" in out


def test_edit_errors(src: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="not found"):
        EditTool().run({"file_path": "m.py", "old_string": "nope", "new_string": "x"}, ctx)
    with pytest.raises(ToolError, match="identical"):
        EditTool().run({"file_path": "m.py", "old_string": "def", "new_string": "def"}, ctx)
    with pytest.raises(ToolError, match="file not found"):
        EditTool().run({"file_path": "missing.py", "old_string": "a", "new_string": "b"}, ctx)
    with pytest.raises(ToolError, match="old_string is empty"):
        EditTool().run({"file_path": "m.py", "old_string": "", "new_string": "b"}, ctx)
    assert src.read_text() == SOURCE


def test_edit_with_empty_old_string_fills_a_new_or_empty_file(ws: Path, ctx: ToolContext) -> None:
    out = EditTool().run({"file_path": "new/x.txt", "old_string": "", "new_string": "hi\n"}, ctx)
    assert (ws / "new/x.txt").read_text() == "hi\n"
    assert out == "Wrote new/x.txt (1 lines)"
    (ws / "empty.txt").write_text("")
    EditTool().run({"file_path": "empty.txt", "old_string": "", "new_string": "x"}, ctx)
    assert (ws / "empty.txt").read_text() == "x"


def test_edit_matches_exactly_including_crlf(ws: Path, ctx: ToolContext) -> None:
    (ws / "w.txt").write_bytes(b"a\r\nb\r\n")
    EditTool().run({"file_path": "w.txt", "old_string": "b", "new_string": "c"}, ctx)
    assert (ws / "w.txt").read_bytes() == b"a\r\nc\r\n"


def test_multiedit_applies_in_order(src: Path, ctx: ToolContext) -> None:
    edits = [
        {"old_string": "def a():", "new_string": "def first():"},
        {"old_string": "first", "new_string": "second"},  # sees the previous edit
        {"old_string": "return 1", "new_string": "return 0", "replace_all": True},
    ]
    out = MultiEditTool().run({"file_path": "m.py", "edits": edits}, ctx)
    text = src.read_text()
    assert "def second():" in text
    assert "return 1" not in text
    assert out == "Edited m.py: 3 edits, 4 replacements"


def test_multiedit_is_all_or_nothing(src: Path, ctx: ToolContext) -> None:
    edits = [
        {"old_string": "def a():", "new_string": "def z():"},
        {"old_string": "not there", "new_string": "x"},
    ]
    with pytest.raises(ToolError, match="edit 2 of 2: old_string not found"):
        MultiEditTool().run({"file_path": "m.py", "edits": edits}, ctx)
    assert src.read_text() == SOURCE


def test_multiedit_can_create_a_file(ws: Path, ctx: ToolContext) -> None:
    edits = [
        {"old_string": "", "new_string": "x = 1\n"},
        {"old_string": "1", "new_string": "2"},
    ]
    MultiEditTool().run({"file_path": "n.py", "edits": edits}, ctx)
    assert (ws / "n.py").read_text() == "x = 2\n"


def test_a_misquoted_old_string_is_answered_with_the_closest_lines(
    ws: Path, ctx: ToolContext
) -> None:
    # As the embedded model wrote it in a constrained run (change task 02): code it
    # remembered, not code the file has.
    (ws / "app.py").write_text(
        'import sqlite3\n\nDB = "events.db"\n\n\ndef db():\n    return sqlite3.connect(DB)\n'
    )
    with pytest.raises(ToolError) as e:
        EditTool().run(
            {"file_path": "app.py", "old_string": "db() = sqlite3.connect(DB)", "new_string": "x"},
            ctx,
        )
    assert str(e.value).endswith("The closest text, at line 7:\n    return sqlite3.connect(DB)")
    with pytest.raises(ToolError) as e:  # as many lines as the quote has
        EditTool().run(
            {
                "file_path": "app.py",
                "old_string": "def db():\n  return sqlite3.connect(DB)\n",
                "new_string": "x",
            },
            ctx,
        )
    assert "at line 6:\ndef db():\n    return sqlite3.connect(DB)" in str(e.value)
    with pytest.raises(ToolError) as e:  # nothing like it: no guess, what the file defines
        EditTool().run(
            {"file_path": "app.py", "old_string": "class Payment(Base):", "new_string": "x"}, ctx
        )
    assert str(e.value) == (
        "app.py: old_string not found (it must match exactly, including indentation). "
        "Nothing in the file comes close; quote its lines exactly (Read it first). "
        "Its definitions:\n6: def db():"
    )
    # As in change task 01: the model edited a route's path it imagined, then its own guess.
    (ws / "notes.txt").write_text("buy milk\n")
    with pytest.raises(ToolError) as e:
        EditTool().run(
            {"file_path": "notes.txt", "old_string": "GET /me/loans", "new_string": "x"}, ctx
        )
    assert str(e.value).endswith(
        "Nothing in the file comes close: Read it and quote its lines exactly"
    )


def test_an_insertion_already_made_is_not_made_again(ws: Path, ctx: ToolContext) -> None:
    (ws / "app.py").write_text("def db():\n    return 1\n")
    insert = {
        "file_path": "app.py",
        "old_string": "def db():",
        "new_string": "def db():\n    ensure()",
    }
    assert EditTool().run(insert, ctx).startswith("Edited app.py")
    once = (ws / "app.py").read_text()
    assert once == "def db():\n    ensure()\n    return 1\n"
    # old_string still matches; sent again, the same lines would go in twice.
    with pytest.raises(ToolError, match=r"already has new_string \(at line 1\): this change"):
        EditTool().run(insert, ctx)
    assert (ws / "app.py").read_text() == once
    # A replacement that does not keep old_string is an ordinary edit.
    swap = {"file_path": "app.py", "old_string": "return 1", "new_string": "return 2"}
    assert EditTool().run(swap, ctx).startswith("Edited app.py")
