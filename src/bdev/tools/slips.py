"""Slips that keep a model's Python module from parsing, whose fix has one reading.

Mended only when the whole module then parses; otherwise the text is left as it was
and the syntax error goes back to the model.

- A line break inside a one-line string literal. A tool call's `content` is a JSON
  string, so the model must write a Python `"\\n"` as `\\\\n`. Small models often write
  `\\n`, which JSON reads as a real line break, and `f.write(f'{a},{b}\\n')` arrives split
  over two lines. The break is written back as the two characters `\\n`.
- A closing bracket that does not match the one it closes (`detail=str(e)}`): it becomes
  the one that does. A closing bracket with nothing to close (`f(a))`) is taken out. The
  embedded model, told only the line, sent the same 40-line Write again for 15 minutes
  (greenfield 02 at `b9fa3d5`). A bracket never closed gets its closer at the end of its
  line (`uvicorn.run(app, port=8000`: 01 at `d8d21f0`, seven Edits that each made it
  worse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# 3.11: "unterminated string literal (detected at line 26)"; 3.12+ names f-strings.
_UNTERMINATED = re.compile(r"^unterminated (?:f-)?string literal")
_MISMATCHED = re.compile(r"^closing parenthesis '(.)' does not match opening parenthesis '(.)'")
_UNMATCHED = re.compile(r"^unmatched '(.)'")
_UNCLOSED = re.compile(r"^'(.)' was never closed")
_CLOSER = {"(": ")", "[": "]", "{": "}"}
MAX_MENDS = 50  # more slips than this is not a slip but a different file


@dataclass
class Mended:
    text: str
    # The original line numbers of each line break written as `\n`.
    breaks: list[int] = field(default_factory=list)
    # (line, what was there, what is there now), top to bottom: "" for nothing (a
    # bracket taken out, or one added at the end of the line).
    brackets: list[tuple[int, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.breaks or self.brackets)


def mend_slips(text: str, filename: str = "<string>") -> Mended:
    """`text` with its slips mended, and where; `text` as it is (and nothing said)
    unless the result parses."""
    lines = text.split("\n")
    done = Mended(text)
    for _ in range(MAX_MENDS):
        error = syntax_error("\n".join(lines), filename)
        if error is None:
            return Mended("\n".join(lines), done.breaks, done.brackets)
        lineno, msg = error.lineno or 0, error.msg or ""
        if not 0 < lineno <= len(lines):
            break
        if _UNTERMINATED.match(msg) and lineno < len(lines):
            lines[lineno - 1 : lineno + 1] = [lines[lineno - 1] + "\\n" + lines[lineno]]
            # Joins go top-down, so those before this one shift its number by their count.
            done.breaks.append(lineno + len(done.breaks))
        elif (bracket := _bracket(lines[lineno - 1], error)) is not None:
            at, wrong, right = bracket
            line = lines[lineno - 1]
            lines[lineno - 1] = line[:at] + right + line[at + len(wrong) :]
            done.brackets.append((lineno + len(done.breaks), wrong, right))
        else:
            break
    return Mended(text)


def _bracket(line: str, error: SyntaxError) -> tuple[int, str, str] | None:
    """(index in `line`, the closer there, what it should be) for a bracket slip."""
    at = (error.offset or 0) - 1
    if not 0 <= at < len(line):
        return None
    msg = error.msg or ""
    if (found := _MISMATCHED.match(msg)) and line[at] == found[1]:
        return at, found[1], _CLOSER[found[2]]
    if (found := _UNMATCHED.match(msg)) and line[at] == found[1]:
        return at, found[1], ""
    if (found := _UNCLOSED.match(msg)) and line[at] == found[1]:
        end = len(line.rstrip())
        return end, "", _CLOSER[found[1]]
    return None


def syntax_error(text: str, filename: str) -> SyntaxError | None:
    """Why `text` does not compile as a Python module, or None when it does."""
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        return e
    except ValueError:  # a NUL byte: not this module's business
        return SyntaxError("it holds a NUL byte")
    return None
