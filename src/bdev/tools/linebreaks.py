"""Line breaks a model put inside a Python string literal by writing JSON.

A tool call's `content` is a JSON string, so the model must write a Python `"\\n"` as
`\\\\n`. Small models often write `\\n`, which JSON reads as a real line break, and
`f.write(f'{a},{b}\\n')` arrives split over two lines: an unterminated string literal
and a module that does not start. The break has only one valid reading, so it is
written back as the two characters `\\n`, and only when the whole module then parses.
"""

from __future__ import annotations

import re

# 3.11: "unterminated string literal (detected at line 26)"; 3.12+ names f-strings.
_UNTERMINATED = re.compile(r"^unterminated (?:f-)?string literal")
MAX_MENDS = 50  # more breaks than this is not this slip but a different file


def mend_string_breaks(text: str, filename: str = "<string>") -> tuple[str, list[int]]:
    """`text` with each line break that ends a one-line string literal written as `\\n`,
    and the (original) line numbers where that was done; `text` unchanged and [] unless
    the result parses."""
    lines = text.split("\n")
    mended: list[int] = []
    for _ in range(MAX_MENDS):
        error = syntax_error("\n".join(lines), filename)
        if error is None:
            return "\n".join(lines), mended
        lineno = error.lineno or 0
        if not _UNTERMINATED.match(error.msg or "") or not 0 < lineno < len(lines):
            return text, []
        lines[lineno - 1 : lineno + 1] = [lines[lineno - 1] + "\\n" + lines[lineno]]
        # Joins go top-down, so those before this one shift its number by their count.
        mended.append(lineno + len(mended))
    return text, []


def syntax_error(text: str, filename: str) -> SyntaxError | None:
    """Why `text` does not compile as a Python module, or None when it does."""
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        return e
    except ValueError:  # a NUL byte: not this module's business
        return SyntaxError("it holds a NUL byte")
    return None
