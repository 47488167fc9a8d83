"""What a model changes when it copies code: Read's line numbers, tabs for spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.tools.base import ToolContext
from bdev.tools.edit import EditTool
from bdev.tools.numbered import without_read_numbers
from bdev.tools.read import ReadTool
from bdev.tools.write import WriteTool

CODE = 'import os\n\n\ndef db():\n    return os.environ["DB"]\n'


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path)


def test_reads_own_output_is_recognised_and_ordinary_text_is_not(
    tmp_path: Path, ctx: ToolContext
) -> None:
    (tmp_path / "app.py").write_text(CODE)
    shown = ReadTool().run({"file_path": "app.py"}, ctx)
    assert without_read_numbers(shown.rstrip("\n") + "\n") == CODE
    assert without_read_numbers("x = 1\n") is None
    assert without_read_numbers("     3\tb\n     2\ta\n") is None  # not going up
    assert without_read_numbers("     1\tone\n     2\ttwo\nthree\n") is None  # one without
    assert without_read_numbers("1\tAlice\n2\tBob\n") is None  # data, not Read's columns


def test_a_file_written_back_with_reads_numbers_is_written_without_them(
    tmp_path: Path, ctx: ToolContext
) -> None:
    numbered = "".join(f"{n:6}\t{line}\n" for n, line in enumerate(CODE.splitlines(), 1))
    result = WriteTool().run({"file_path": "app.py", "content": numbered}, ctx)
    assert (tmp_path / "app.py").read_text() == CODE
    assert "line numbers copied from Read were taken off" in result


def test_an_edit_quoting_reads_numbers_applies_to_the_bare_lines(
    tmp_path: Path, ctx: ToolContext
) -> None:
    (tmp_path / "app.py").write_text(CODE)
    old = '     4\tdef db():\n     5\t    return os.environ["DB"]'
    new = '     4\tdef db():\n     5\t    return os.environ.get("DB", "app.db")'
    EditTool().run({"file_path": "app.py", "old_string": old, "new_string": new}, ctx)
    assert (tmp_path / "app.py").read_text().endswith('return os.environ.get("DB", "app.db")\n')


def test_an_edit_indented_with_tabs_applies_to_a_file_indented_with_spaces(
    tmp_path: Path, ctx: ToolContext
) -> None:
    # As the embedded model wrote it in change task 02.
    (tmp_path / "app.py").write_text(CODE)
    old = 'def db():\n\treturn os.environ["DB"]'
    new = 'def db():\n\treturn os.environ.get("DB", "app.db")'
    EditTool().run({"file_path": "app.py", "old_string": old, "new_string": new}, ctx)
    assert '\n    return os.environ.get("DB", "app.db")\n' in (tmp_path / "app.py").read_text()
    # A file that is indented with tabs itself is matched as it is, or not at all.
    (tmp_path / "tabs.py").write_text("def f():\n\treturn 1\n")
    EditTool().run(
        {"file_path": "tabs.py", "old_string": "\treturn 1", "new_string": "\treturn 2"}, ctx
    )
    assert (tmp_path / "tabs.py").read_text() == "def f():\n\treturn 2\n"
