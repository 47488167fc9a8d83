"""Read: a text file with line numbers, the way `cat -n` shows it."""

from __future__ import annotations

from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.fileio import read_text
from bdev.tools.schema import STRING, integer, object_schema
from bdev.tools.workspace import display_path, resolve_path, workspace_root

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000


class ReadTool:
    name = "Read"
    description = (
        "Read a text file; lines come numbered. Use offset (1-based line) and limit for long files."
    )
    parameters = object_schema(
        {"file_path": STRING, "offset": integer(minimum=1), "limit": integer(minimum=1)},
        "file_path",
    )
    brief = "Read a text file (lines come numbered)."
    read_only = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = resolve_path(ctx.workspace, args["file_path"])
        shown = display_path(workspace_root(ctx.workspace), path)
        lines = read_text(path, shown).splitlines()
        if not lines:
            return f"({shown} is empty)"
        offset = int(args.get("offset") or 1)
        limit = int(args.get("limit") or DEFAULT_LIMIT)
        if offset > len(lines):
            raise ToolError(
                f"{shown}: offset {offset} is past the end (the file has {len(lines)} lines)"
            )
        end = min(len(lines), offset - 1 + limit)
        out = [f"{n:6}\t{_cut(lines[n - 1])}" for n in range(offset, end + 1)]
        if offset > 1 or end < len(lines):
            out.append(f"(lines {offset}-{end} of {len(lines)}; use offset to read more)")
        return "\n".join(out)


def _cut(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]}… [{len(line) - MAX_LINE_CHARS} more characters]"
