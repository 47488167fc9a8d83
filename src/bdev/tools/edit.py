"""Edit and MultiEdit: exact string replacement in a text file.

Matching is exact (no whitespace normalisation): a model that must quote the text it
replaces cannot silently change the wrong place. An `old_string` that occurs more than
once is refused unless `replace_all` says so, with the count, so the model can add
surrounding lines to make it unique.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.fileio import mend_python, read_text, save_text, syntax_note
from bdev.tools.importcheck import import_note
from bdev.tools.numbered import without_read_numbers
from bdev.tools.schema import BOOLEAN, STRING, array_of, object_schema
from bdev.tools.workspace import display_path, resolve_path, workspace_root


def apply_edit(text: str, old: str, new: str, replace_all: bool = False) -> tuple[str, int]:
    """Return the edited text and how many replacements were made; ToolError otherwise."""
    if old == new:
        raise ToolError("old_string and new_string are identical; nothing would change")
    if old == "":
        # Claude Code's convention: an empty old_string fills a new (or empty) file.
        if text == "":
            return new, 1
        raise ToolError("old_string is empty; quote the exact text to replace")
    count = text.count(old)
    bare = without_read_numbers(old) if count == 0 else None
    if bare is not None and bare in text:  # quoted from Read with its line numbers
        return apply_edit(text, bare, without_read_numbers(new) or new, replace_all)
    spaced = _tabs_as_spaces(old) if count == 0 and "\t" not in text else None
    if spaced is not None and spaced in text:  # indented with tabs, the file with spaces
        return apply_edit(text, spaced, _tabs_as_spaces(new) or new, replace_all)
    if count == 0:
        raise ToolError(
            "old_string not found (it must match exactly, including indentation)"
            + _closest_hint(text, old)
        )
    if count > 1 and not replace_all:
        raise ToolError(
            f"old_string occurs {count} times; include more surrounding lines to make it "
            "unique, or set replace_all to true"
        )
    if old in new and new in text and not replace_all:
        # An insertion (new_string keeps old_string) that is already there: old_string
        # still matches after it, so a model resending it would add the text once more
        # each time (a constrained run added the same block three times).
        raise ToolError(
            f"the file already has new_string (at line {_line_of(text, new)}): this change "
            "was made before, and making it again would add the same text twice; the file "
            "is unchanged. Go on with the next step"
        )
    return text.replace(old, new), count


_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)


def _tabs_as_spaces(text: str) -> str | None:
    """`text` with each tab that indents a line as four spaces; None when none does."""
    spaced = _LEADING_TABS.sub(lambda m: "    " * len(m.group()), text)
    return spaced if spaced != text else None


# A model that misquotes the code it wants to change (a small one often invents it) is
# shown the lines that come closest, so its next call can quote them exactly.
CLOSE_ENOUGH = 0.6  # difflib's ratio; below it a "closest" text only misleads
_MAX_SCAN_LINES = 5000
_MAX_OLD_LINES = 40


def _closest_hint(text: str, old: str) -> str:
    """'. The closest text, at line N: ...' for the run of lines of `text` most like
    `old`, or "" when none is close enough."""
    lines = text.splitlines()
    size = max(1, len(old.strip("\n").splitlines()))
    if not lines or len(lines) > _MAX_SCAN_LINES or size > _MAX_OLD_LINES:
        return ""
    wanted = old.strip("\n")
    best, best_at = 0.0, 0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)  # difflib caches what it learns about the second sequence
    for i in range(max(1, len(lines) - size + 1)):
        matcher.set_seq1("\n".join(lines[i : i + size]))
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            ratio = matcher.ratio()
            if ratio > best:
                best, best_at = ratio, i
    if best < CLOSE_ENOUGH:
        return _outline_hint(lines)
    shown = "\n".join(lines[best_at : best_at + size])
    return f". The closest text, at line {best_at + 1}:\n{shown}"


# Nothing close: the model is editing code it imagines (a small one then keeps editing
# its own previous guess). The file's definitions show what is there to change.
_DEFINITION = re.compile(r"^\s*(?:@|def |async def |class )")
_MAX_OUTLINE = 20


def _outline_hint(lines: list[str]) -> str:
    found = [(n, line.rstrip()) for n, line in enumerate(lines, 1) if _DEFINITION.match(line)]
    if not found:
        return ". Nothing in the file comes close: Read it and quote its lines exactly"
    shown = "\n".join(f"{n}: {line}" for n, line in found[:_MAX_OUTLINE])
    more = f"\n(and {len(found) - _MAX_OUTLINE} more)" if len(found) > _MAX_OUTLINE else ""
    return (
        ". Nothing in the file comes close; quote its lines exactly (Read it first). "
        f"Its definitions:\n{shown}{more}"
    )


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line where `fragment` first starts in `text` (1 if absent)."""
    return text.count("\n", 0, max(text.find(fragment), 0)) + 1


def _load(path: Path, shown: str, first_old: str) -> str:
    """The file's text; a missing file counts as empty when the edit creates it."""
    if first_old == "" and not path.exists():
        return ""
    return read_text(path, shown)


class EditTool:
    name = "Edit"
    description = (
        "Replace old_string with new_string in a file. old_string must match exactly and "
        "be unique unless replace_all is true."
    )
    parameters = object_schema(
        {"file_path": STRING, "old_string": STRING, "new_string": STRING, "replace_all": BOOLEAN},
        "file_path",
        "old_string",
        "new_string",
    )
    brief = "Replace old_string (exact, unique) with new_string in a file."
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = resolve_path(ctx.workspace, args["file_path"])
        shown = display_path(workspace_root(ctx.workspace), path)
        old, new = args["old_string"], args["new_string"]
        text = _load(path, shown, old)
        try:
            edited, count = apply_edit(text, old, new, bool(args.get("replace_all")))
        except ToolError as e:
            raise ToolError(f"{shown}: {e}") from None
        edited, mended = mend_python(path, edited)
        save_text(path, edited, shown)
        note = mended + _checked(path, edited, ctx)
        if old == "":
            return f"Wrote {shown} ({len(new.splitlines())} lines)" + note
        plural = "s" if count > 1 else ""
        # Text before the first match is unchanged, so its line number holds after the edit.
        line = _line_of(text, old)
        return f"Edited {shown}: {count} replacement{plural} at line {line}" + note


class MultiEditTool:
    name = "MultiEdit"
    description = (
        "Apply several Edit-style replacements to one file in order; all succeed or none "
        "is written."
    )
    parameters = object_schema(
        {
            "file_path": STRING,
            "edits": array_of(
                object_schema(
                    {"old_string": STRING, "new_string": STRING, "replace_all": BOOLEAN},
                    "old_string",
                    "new_string",
                ),
                min_items=1,
            ),
        },
        "file_path",
        "edits",
    )
    brief = "Apply several Edit replacements to one file, in order."
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = resolve_path(ctx.workspace, args["file_path"])
        shown = display_path(workspace_root(ctx.workspace), path)
        edits: list[dict[str, Any]] = args["edits"]
        if not edits:
            raise ToolError("edits is empty; give at least one {old_string, new_string}")
        existed = path.exists()
        text = _load(path, shown, edits[0]["old_string"])
        total = 0
        # Every edit applies to the result of the previous one, all in memory: the file
        # is written once, only when every edit succeeded.
        for i, edit in enumerate(edits, start=1):
            try:
                text, count = apply_edit(
                    text, edit["old_string"], edit["new_string"], bool(edit.get("replace_all"))
                )
            except ToolError as e:
                raise ToolError(
                    f"{shown}: edit {i} of {len(edits)}: {e}; no edit was applied"
                ) from None
            total += count
        text, mended = mend_python(path, text)
        save_text(path, text, shown)
        verb = "Edited" if existed else "Created"
        done = f"{verb} {shown}: {len(edits)} edits, {total} replacements"
        return done + mended + _checked(path, text, ctx)


def _checked(path: Path, text: str, ctx: ToolContext) -> str:
    """Where the edited file no longer parses, or else fails to import; "" when neither."""
    broken = syntax_note(path, text)
    return broken or import_note(ctx.import_python, workspace_root(ctx.workspace), path)
