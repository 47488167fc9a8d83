"""Whether a text can be (the start of) a source file of its kind.

A small model that has just read a tool's result often "writes" the file with a copy of a
result (`<tool response>1\\n2…`) or a summary in prose (`app.py updated with …`). Its
first line settles it: no Python module begins that way. Knowing it from the first line
lets the embedded model's decoding stop a 2,000-token reply after a few tokens, and Write
refuse the call with the reason, instead of the file losing its code.

The same model, rewriting a module, often goes round it again with small changes: the
exact-repeat stop misses that, but the module then defines one of its functions a second
time (`defined_twice`), which no module written on purpose does.

Only Python is judged (the services bdev changes); any other kind of file passes. The
standard library's `codeop` tells "not Python" from "Python not finished yet" (an open
bracket, a `def` line, a docstring under way).
"""

from __future__ import annotations

import ast
import codeop
import keyword
import re
import warnings

# A Markdown fence around code (```` ```python ````) is a slip of form, taken off by Write.
_FENCE = "```"
# A line that opens with a keyword, a decorator, a comment or a string is Python with a
# slip at worst (`def f(:`): the file is code, and Write keeps it with a note.
_FIRST_WORD = re.compile(r"\s*([A-Za-z_]\w*)")
_CODE_OPENERS = ("@", "#", '"', "'")
# A cut first line without a space is judged whole from this length: no Python statement
# is one token that long, but a copied result (`<toolResponse>...**/tmp/...`) can be.
_LONG_WORD = 40


def not_a_start(file_path: str, text: str, *, partial: bool = False) -> str:
    """Why `text` cannot begin the file `file_path` ("" when it can, or when it cannot be
    told yet). Only the first non-blank line is judged; with `partial` that line may be
    cut anywhere, so its last word is left out (a line of one long word is judged as it
    is) and an unclosed string is allowed."""
    if not file_path.endswith(".py"):
        return ""
    line = next((s for s in text.split("\n") if s.strip()), "")
    if partial and " " in line.strip():
        line = line.rsplit(None, 1)[0].rstrip(",")
    elif partial and len(line) < _LONG_WORD:
        line = ""  # one short word, cut anywhere: too early to say
    if not line or line.lstrip().startswith((_FENCE, *_CODE_OPENERS)):
        return ""
    shown = line if len(line) <= 60 else line[:57] + "..."
    if line.lstrip().startswith("<"):  # a tag (`<tools><function ...`): before any string
        return f"its first line, `{shown}`, cannot begin a Python module (it is markup)"
    word = _FIRST_WORD.match(line)
    if word and keyword.iskeyword(word.group(1)):
        return ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings (escapes) say nothing here
        try:
            codeop.compile_command(line + "\n", file_path, "exec")
        except SyntaxError as e:
            if partial and (e.msg or "").startswith("unterminated string literal"):
                return ""
            return f"its first line, `{shown}`, cannot begin a Python module ({e.msg})"
        except (ValueError, OverflowError):  # a null byte, a huge literal: the parser's say
            return ""
    return ""


# A top-level function or class: at the start of a line, so methods and conditional
# definitions (indented) are not counted.
_DEFINITION = re.compile(r"(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)")
# Decorators under which one name is defined on purpose more than once.
_REDEFINERS = ("overload", "register")


def defined_twice(file_path: str, text: str) -> str:
    """Which top-level function or class the Python file `text` defines a second time,
    and where ("" when none, or not a Python file). `typing.overload` and
    `singledispatch` registrations (and `_`) are left alone."""
    twice = second_definition(file_path, text)
    return said_twice(twice) if twice else ""


def said_twice(twice: tuple[str, int, int]) -> str:
    """`second_definition`'s answer in words."""
    name, first, second = twice
    return f"it defines `{name}` twice, at lines {first} and {second}"


def second_definition(file_path: str, text: str) -> tuple[str, int, int] | None:
    """The first top-level name the Python file `text` defines again: (name, the line
    of its first definition, the line of its second), lines counted from 1. One pass
    over the lines: the embedded model's decoding asks this at every line of a Write."""
    if not file_path.endswith(".py"):
        return None
    seen: dict[str, int] = {}
    on_purpose = False  # the decorators just above allow a redefinition
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("@"):
            on_purpose = on_purpose or any(word in line for word in _REDEFINERS)
            continue
        match = _DEFINITION.match(line)
        allowed, on_purpose = on_purpose, False
        if match is None or match.group(1) == "_" or allowed:
            continue
        name = match.group(1)
        if name in seen:
            return name, seen[name], number
        seen[name] = number
    return None


def before_line(text: str, number: int) -> str | None:
    """The module `text` up to the top-level statement at line `number` (counted from 1),
    without the decorators, comments, blank lines and repeated imports just above it:
    what the model wrote before it went round its module again. None when that part does
    not parse."""
    lines = text.split("\n")[: number - 1]
    while lines and (
        not lines[-1].strip()
        or lines[-1].startswith(("@", "#"))
        or (lines[-1].startswith(("import ", "from ")) and lines[-1] in lines[:-1])
    ):
        lines.pop()
    kept = "".join(f"{line}\n" for line in lines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings (escapes) do not matter here
        try:
            ast.parse(kept)
        except (SyntaxError, ValueError):
            return None
    return kept
