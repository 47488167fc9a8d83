"""Write: create or overwrite a whole file."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from bdev.sourcestart import defined_twice, not_a_start
from bdev.tools.base import ToolContext, ToolError
from bdev.tools.fileio import mend_python, save_text, syntax_note
from bdev.tools.importcheck import import_note
from bdev.tools.numbered import without_read_numbers
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
        old = _text_of(path) if existed else None  # None too when it cannot be read
        content, numbers = args["content"], ""
        if (bare := without_read_numbers(content)) is not None:
            content = bare
            numbers = "\nNote: the line numbers copied from Read were taken off each line"
        content, fenced = _without_fence(path, content)
        if problem := not_a_start(str(path), content):
            # A copy of a tool's result or a summary in prose, sent as the file: whatever
            # it would replace, it is not this file's text.
            raise ToolError(
                f"{shown}: not written: {problem}. A tool's result or a summary is not "
                "the file's content; send the file's code, or change part of it with Edit"
            )
        twice = defined_twice(str(path), content)
        if twice and not defined_twice(str(path), old or ""):
            # A small model rewriting a module goes round it again with small changes.
            raise ToolError(
                f"{shown}: not written: {twice}; the file is unchanged. Send the module with "
                "each function once, or change part of it with Edit"
            )
        content, mended = mend_python(path, content)
        if old == content:
            # Said plainly, so a model repeating itself sees that nothing happened.
            return f"Unchanged: {shown} already has exactly this content"
        broken = syntax_note(path, content)
        if broken and existed and not syntax_note(path, old or ""):
            # A whole working module replaced by one that does not parse is work lost
            # (a small model's second Write of one stray line); new files and files
            # already broken are written, with the note.
            raise ToolError(
                f"{shown}: not written: it parses as Python now and this content does not "
                f"({broken.split('Python: ', 1)[-1]}); the file is unchanged. Send the whole "
                "file again, fixed, or change part of it with Edit"
            )
        python = existed and path.suffix == ".py" and not broken
        lost = _definitions_lost(old or "", content) if python else []
        if lost:
            # A small model's Write of a placeholder (`app.py\n\n# Your code here`) over
            # a working service parses, and would wipe it.
            raise ToolError(
                f"{shown}: not written: this content drops every function and class the "
                f"file defines ({', '.join(lost[:6])}{', ...' if len(lost) > 6 else ''}) "
                "and is less than half its length; the file is unchanged. Change part of "
                "it with Edit, or send the whole new module with those it still needs"
            )
        save_text(path, content, shown)
        verb = "Updated" if existed else "Created"
        lines = len(content.splitlines())
        checked = broken or import_note(ctx.import_python, workspace_root(ctx.workspace), path)
        return f"{verb} {shown} ({lines} lines)" + numbers + fenced + mended + checked


def _without_fence(path: Path, content: str) -> tuple[str, str]:
    """A Python file's `content` without the Markdown fence a model put around the code
    (```` ```python ```` … ```` ``` ````), with a note saying so; else as it is."""
    lines = content.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if path.suffix != ".py" or len(filled) < 2:
        return content, ""
    first, last = filled[0], filled[-1]
    if not lines[first].strip().startswith("```") or lines[last].strip() != "```":
        return content, ""
    code = "\n".join(lines[first + 1 : last]) + "\n"
    return code, "\nNote: the Markdown fence around the code (```) was taken off"


def _definitions_lost(old: str, new: str) -> list[str]:
    """The top-level functions and classes of the module `old` when `new` keeps none of
    them and has under half its lines; [] otherwise (or when either does not parse)."""
    before, after = _top_level_names(old), _top_level_names(new)
    if before is None or after is None or len(before) < 2 or before & after:
        return []
    if len(new.splitlines()) * 2 >= len(old.splitlines()):
        return []
    return sorted(before)


def _top_level_names(code: str) -> set[str] | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return {node.name for node in tree.body if isinstance(node, kinds)}


def _text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
