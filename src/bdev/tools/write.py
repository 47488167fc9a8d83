"""Write: create or overwrite a whole file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.fileio import save_text, syntax_note
from bdev.tools.schema import STRING, object_schema
from bdev.tools.workspace import display_path, resolve_path, workspace_root


class WriteTool:
    name = "Write"
    description = "Create or overwrite a file with content. Prefer Edit to change part of a file."
    parameters = object_schema({"file_path": STRING, "content": STRING}, "file_path", "content")
    brief = "Create or overwrite a file."
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = resolve_path(ctx.workspace, args["file_path"])
        shown = display_path(workspace_root(ctx.workspace), path)
        if path.is_dir():
            raise ToolError(f"{shown}: is a directory; give a file path")
        existed = path.exists()
        content: str = args["content"]
        if existed and _reads_as(path, content):
            # Said plainly, so a model repeating itself sees that nothing happened.
            return f"Unchanged: {shown} already has exactly this content"
        save_text(path, content, shown)
        verb = "Updated" if existed else "Created"
        lines = len(content.splitlines())
        return f"{verb} {shown} ({lines} lines)" + syntax_note(path, content)


def _reads_as(path: Path, content: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == content
    except (OSError, UnicodeDecodeError):
        return False
