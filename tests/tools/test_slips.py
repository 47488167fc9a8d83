from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdev.tools.base import ToolContext
from bdev.tools.edit import EditTool, MultiEditTool
from bdev.tools.slips import mend_slips
from bdev.tools.write import WriteTool

# The arguments of a Write the embedded model made in a constrained run (greenfield
# 01-notes-search, 2026-12-02), as JSON: its `\n` inside the f-string is a line break.
REPLY = (
    '{"file_path": "app.py", "content": "import os\\n\\nDATABASE_PATH = os.getenv('
    "'DATABASE_PATH')\\n\\n\\ndef save(note_id, title):\\n    with open(DATABASE_PATH, 'a')"
    " as f:\\n        f.write(f'{note_id},{title}\\n')\\n    return note_id\\n\"}"
)


def test_a_break_inside_a_one_line_string_is_written_as_backslash_n() -> None:
    text = "x = 'a\nb'\ny = f\"{x}\n\n\"\nz = 1\n"
    mended = mend_slips(text)
    assert mended.text == "x = 'a\\nb'\ny = f\"{x}\\n\\n\"\nz = 1\n"
    assert mended.breaks == [1, 3, 4]  # the original lines each break ended
    compile(mended.text, "m.py", "exec")


def test_a_closing_bracket_that_does_not_match_is_made_to() -> None:
    # Greenfield 02 at b9fa3d5: the same Write with this line, for 15 minutes.
    text = "def f(e):\n    raise ValueError(str(e)}\n\n\nx = [1, (2)]]\ny = {'é': [1)}\n"
    mended = mend_slips(text)
    assert (
        mended.text == "def f(e):\n    raise ValueError(str(e))\n\n\nx = [1, (2)]\ny = {'é': [1]}\n"
    )
    assert mended.brackets == [(2, "}", ")"), (5, "]", ""), (6, ")", "]")]
    # Never closed (01 at d8d21f0: seven Edits, each worse): closed at the line's end.
    mended = mend_slips("import uvicorn\n\nuvicorn.run(app, port=[8000\n")
    assert mended.text == "import uvicorn\n\nuvicorn.run(app, port=[8000])\n"
    assert mended.brackets == [(3, "", "]"), (3, "", ")")]
    # With a line break slip above it, the bracket's line is the one the model sent.
    text = "A = 'a\nb'\nB = f(1]\n"
    mended = mend_slips(text)
    assert mended.text == "A = 'a\\nb'\nB = f(1)\n"
    assert (mended.breaks, mended.brackets) == ([1], [(3, "]", ")")])


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n",  # parses already
        "x = 'a\n",  # the break is the file's last: nothing to join it with
        "x = 'a\nb'\ny = )\n",  # mended, it still does not parse: left for the model
        "x = f(1]\ndef g(:\n    pass\n",  # a bracket mended, another error left as it was
        "x = f(1,\n  2\ny = 3\n",  # closed at the end of the line it would not parse
        "x = f(1  # one\n",  # the line's end is a comment
        "def f(:\n    pass\n",  # another error altogether
        'x = """a\n',  # an unterminated triple-quoted string is not this slip
    ],
)
def test_text_that_would_not_parse_after_it_is_left_alone(text: str) -> None:
    mended = mend_slips(text)
    assert not mended and mended.text == text


def test_write_mends_the_models_json_slip_and_says_so(ws: Path, ctx: ToolContext) -> None:
    args = json.loads(REPLY)
    out = WriteTool().run(args, ctx)
    written = (ws / "app.py").read_text()
    assert "        f.write(f'{note_id},{title}\\n')\n" in written
    compile(written, "app.py", "exec")
    assert out.startswith("Created app.py (9 lines)")
    assert out == "Created app.py (9 lines); bdev mended line 8 (a line break in a string, now \\n)"
    assert "does not parse" not in out
    # The same call again is the same file: the model is told nothing changed.
    assert WriteTool().run(args, ctx).startswith("Unchanged: app.py")


def test_only_python_files_are_mended(ws: Path, ctx: ToolContext) -> None:
    WriteTool().run({"file_path": "notes.txt", "content": "x = 'a\nb'\n"}, ctx)
    assert (ws / "notes.txt").read_text() == "x = 'a\nb'\n"


def test_edit_and_multiedit_mend_what_they_insert(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("def f():\n    return ''\n")
    out = EditTool().run(
        {"file_path": "m.py", "old_string": "return ''", "new_string": "return 'a\n'"}, ctx
    )
    assert (ws / "m.py").read_text() == "def f():\n    return 'a\\n'\n"
    assert out.endswith("; bdev mended line 2 (a line break in a string, now \\n)")
    out = MultiEditTool().run(
        {"file_path": "m.py", "edits": [{"old_string": "'a\\n'", "new_string": "'b\n\n'"}]},
        ctx,
    )
    assert (ws / "m.py").read_text() == "def f():\n    return 'b\\n\\n'\n"
    assert out.endswith(
        "; bdev mended line 2 (a line break in a string, now \\n), line 3 (a line break in a "
        "string, now \\n)"
    )


def test_write_says_which_bracket_it_changed(ws: Path, ctx: ToolContext) -> None:
    code = "def f(e):\n    raise ValueError(str(e)}\n"
    out = WriteTool().run({"file_path": "app.py", "content": code}, ctx)
    # On the result's own line: a note of its own was copied into the file.
    assert out == "Created app.py (2 lines); bdev mended line 2 (`}` made `)`)"
    assert (ws / "app.py").read_text() == code.replace("}", ")")
    out = WriteTool().run({"file_path": "app.py", "content": "print(1\n"}, ctx)
    assert out == "Updated app.py (1 lines); bdev mended line 1 (`)` added)"
