"""Reading a wrapper's options, to find where the program it runs begins.

`timeout -s KILL 5 touch f`: -s takes a value, 5 is timeout's operand, touch is the
program. An option that is not in the table makes the command unreadable rather than
guessed at: guessing wrong would judge the wrong word as the program.
"""

from __future__ import annotations

from dataclasses import dataclass

from bdev.tools.shell_parse import Word


@dataclass(frozen=True)
class Options:
    value: frozenset[str] = frozenset()  # options followed by a value: -n 5, --signal=KILL
    flags: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()  # value only when attached: -i{} (xargs)
    numeric: bool = False  # `nice -5`


def opts(value: str = "", flags: str = "", optional: str = "", numeric: bool = False) -> Options:
    return Options(
        frozenset(value.split()), frozenset(flags.split()), frozenset(optional.split()), numeric
    )


def skip_options(words: tuple[Word, ...], start: int, spec: Options) -> int | str:
    """Index of the first operand after the options, or why the options cannot be read."""
    i = start
    while i < len(words):
        w = words[i].literal
        if w == "--":
            return i + 1
        if w is not None and (not w.startswith("-") or w == "-"):
            return i
        width = option_width(words, i, spec)
        if isinstance(width, str):
            return width
        i += width
    return i


def option_width(words: tuple[Word, ...], i: int, spec: Options) -> int | str:
    """How many words the option at `i` uses (`-qc`, `-n5`, `-n 5`, `--signal=KILL`)."""
    w = words[i].literal
    if w is None:
        return f"the option `{words[i].text}` is not a literal word"
    if spec.numeric and w[1:].isdigit():
        return 1
    if w.startswith("--"):
        name, eq, _ = w.partition("=")
        if name in spec.value:
            return 1 if eq else 2
        if name in spec.flags or name in spec.optional:
            return 1
        return f"unknown option `{w}`"
    for j in range(1, len(w)):
        opt = "-" + w[j]
        if opt in spec.value:
            return 1 if j + 1 < len(w) else 2
        if opt in spec.optional:
            return 1
        if opt not in spec.flags:
            return f"unknown option `{opt}` in `{w}`"
    return 1
