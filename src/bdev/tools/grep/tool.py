"""Grep: search file contents with a regular expression.

The search itself is done by an engine (ripgrep when its binary is found, else pure
Python); this module turns the arguments into a GrepQuery and the engine's answer into
text, so both engines produce identical output.
"""

from __future__ import annotations

from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.globs import split_globs
from bdev.tools.grep.pure import PythonEngine
from bdev.tools.grep.query import GrepEngine, GrepQuery, Line
from bdev.tools.grep.ripgrep import RipgrepEngine, find_rg
from bdev.tools.hidden import Hider, with_note
from bdev.tools.schema import BOOLEAN, STRING, described, enum, integer, object_schema
from bdev.tools.workspace import display_path, resolve_path, workspace_root

MAX_OUTPUT_CHARS = 30_000
MAX_LINE_CHARS = 500


def default_engine() -> GrepEngine:
    rg = find_rg()
    return RipgrepEngine(rg) if rg else PythonEngine()


class GrepTool:
    name = "Grep"
    description = (
        "Search file contents with a regex (ripgrep syntax). output_mode: "
        "files_with_matches (default), content (matching lines), count."
    )
    parameters = object_schema(
        {
            "pattern": STRING,
            "path": STRING,
            "glob": described(STRING, "e.g. *.py or *.{ts,tsx}"),
            "type": described(STRING, "e.g. py, js, go"),
            "output_mode": enum("content", "files_with_matches", "count"),
            "-i": BOOLEAN,
            "-n": BOOLEAN,
            "-A": integer(minimum=0),
            "-B": integer(minimum=0),
            "-C": integer(minimum=0),
            "head_limit": integer(minimum=1),
            "multiline": BOOLEAN,
        },
        "pattern",
    )
    brief = "Search file contents with a regex; lists the matching files."
    small_params = ("path",)
    read_only = True

    def __init__(self, engine: GrepEngine | None = None) -> None:
        self.engine = engine or default_engine()

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        root = workspace_root(ctx.workspace)
        target = resolve_path(ctx.workspace, args.get("path") or ".")
        if not target.exists():
            raise ToolError(f"{display_path(root, target)}: no such file or directory")
        if not args["pattern"]:
            raise ToolError("pattern is empty; give a regular expression")
        hider = Hider(ctx)
        skip = hider.scan(root, target)
        context = int(args.get("-C") or 0)
        before, after = args.get("-B"), args.get("-A")
        q = GrepQuery(
            pattern=args["pattern"],
            root=root,
            target=target,
            globs=split_globs(args.get("glob")),
            file_type=args.get("type") or None,
            ignore_case=bool(args.get("-i")),
            multiline=bool(args.get("multiline")),
            before=int(before if before is not None else context),
            after=int(after if after is not None else context),
            skip=skip,
        )
        return with_note(self._search(q, args), hider)

    def _search(self, q: GrepQuery, args: dict[str, Any]) -> str:
        """The answer of the engine, without the skipped files (ripgrep reads them, but
        nothing of them is shown)."""
        mode = args.get("output_mode") or "files_with_matches"
        limit = args.get("head_limit")
        if mode == "content":
            numbered = args.get("-n", True) is not False
            found = {p: lines for p, lines in self.engine.lines(q).items() if p not in q.skip}
            rows = _content_rows(found, numbered, bool(q.before or q.after))
            return _finish(rows, limit, "lines")
        if mode == "count":
            counts = {p: n for p, n in self.engine.counts(q).items() if p not in q.skip}
            rows = [f"{path}:{n}" for path, n in sorted(counts.items())]
            total = sum(counts.values())
            text = _finish(rows, limit, "files")
            return f"{text}\n({total} matching lines in {len(counts)} files)" if rows else text
        if mode != "files_with_matches":
            raise ToolError(f"output_mode {mode!r} is not content, files_with_matches or count")
        files = sorted(p for p in self.engine.files(q) if p not in q.skip)
        text = _finish(files, limit, "files")
        return f"Found {len(files)} files\n{text}" if files else text


def _content_rows(found: dict[str, list[Line]], numbered: bool, with_context: bool) -> list[str]:
    """grep's layout: `path:12:text` for matches, `path-13-text` for context, `--` between
    groups of lines that are not adjacent."""
    rows: list[str] = []
    for path in sorted(found):
        previous: int | None = None
        for line in found[path]:
            if with_context and rows and (previous is None or line.number != previous + 1):
                rows.append("--")
            sep = ":" if line.is_match else "-"
            text = line.text
            if len(text) > MAX_LINE_CHARS:
                text = f"{text[:MAX_LINE_CHARS]}… [line cut]"
            number = f"{line.number}{sep}" if numbered else ""
            rows.append(f"{path}{sep}{number}{text}")
            previous = line.number
    return rows


def _finish(rows: list[str], head_limit: int | None, unit: str) -> str:
    if not rows:
        return "No matches found"
    note = ""
    if head_limit and len(rows) > head_limit:
        note = f"\n(showing the first {head_limit} of {len(rows)} {unit})"
        rows = rows[:head_limit]
    text = "\n".join(rows)
    if len(text) > MAX_OUTPUT_CHARS:
        cut = len(text) - MAX_OUTPUT_CHARS
        text = (
            f"{text[:MAX_OUTPUT_CHARS]}\n"
            f"(output cut: {cut} more characters; narrow the search or use head_limit)"
        )
    return text + note
