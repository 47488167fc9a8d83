from __future__ import annotations

import os
from pathlib import Path

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.read import ReadTool
from bdev.tools.workspace import display_path, resolve_path
from bdev.tools.write import WriteTool


def test_relative_and_absolute_paths_inside_resolve(ws: Path) -> None:
    (ws / "a").mkdir()
    assert resolve_path(ws, "a/b.txt") == ws.resolve() / "a" / "b.txt"
    assert resolve_path(ws, str(ws / "a" / "b.txt")) == ws.resolve() / "a" / "b.txt"
    assert resolve_path(ws, "a/../c.txt") == ws.resolve() / "c.txt"


@pytest.mark.parametrize("path", ["../outside.txt", "a/../../x", "/etc/passwd", "/"])
def test_escapes_are_refused_naming_the_path(ws: Path, path: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace") as info:
        resolve_path(ws, path)
    assert path in str(info.value)


def test_empty_and_nul_paths_are_refused(ws: Path) -> None:
    with pytest.raises(ToolError, match="empty"):
        resolve_path(ws, "  ")
    with pytest.raises(ToolError, match="NUL"):
        resolve_path(ws, "a\0b")


def test_symlink_pointing_out_is_refused(ws: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    os.symlink(secret, ws / "link.txt")
    os.symlink(tmp_path, ws / "dirlink")
    ctx = ToolContext(workspace=ws)
    with pytest.raises(ToolError, match="outside the workspace"):
        ReadTool().run({"file_path": "link.txt"}, ctx)
    with pytest.raises(ToolError, match="outside the workspace"):
        WriteTool().run({"file_path": "dirlink/new.txt", "content": "x"}, ctx)
    assert not (tmp_path / "new.txt").exists()


def test_symlink_pointing_in_is_followed(ws: Path) -> None:
    (ws / "real.txt").write_text("hello\n")
    os.symlink(ws / "real.txt", ws / "alias.txt")
    out = ReadTool().run({"file_path": "alias.txt"}, ToolContext(workspace=ws))
    assert "hello" in out


def test_workspace_itself_behind_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f.txt").write_text("x\n")
    os.symlink(real, tmp_path / "alias")
    assert resolve_path(tmp_path / "alias", "f.txt") == real / "f.txt"
    assert resolve_path(tmp_path / "alias", str(tmp_path / "alias" / "f.txt")) == real / "f.txt"


def test_display_path_is_relative(ws: Path) -> None:
    root = ws.resolve()
    assert display_path(root, root / "a" / "b.py") == "a/b.py"
    assert display_path(root, root) == "."
