"""Splitting a shell command into the simple commands it runs, for permission checks.

`a && b; c | d` runs four commands, and each must pass the policy on its own. shlex
with punctuation_chars tokenises operators the way a shell does; newlines, backticks
and `$(`/`(` subshells are turned into separators first so nothing hides inside them.
A full shell parser (e.g. bashlex) would be more exact, but this errs on the side of
more, smaller parts, which is the safe direction for deny checks.
"""

from __future__ import annotations

import os
import re
import shlex

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "|&", ";;", "(", ")"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# Commands that run their arguments as another command.
_WRAPPERS = frozenset({"env", "nohup", "time", "exec", "command", "nice", "builtin", "xargs"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "eval"})


def split_commands(command: str) -> list[list[str]]:
    """The simple commands in `command`, each as its list of words."""
    text = command.replace("\n", " ; ").replace("`", " ; ").replace("$(", " ( ")
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        # Unbalanced quotes: bash would refuse it too; judge the plain words.
        tokens = text.split()
    parts: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        if token in _SEPARATORS or (token and set(token) <= set("&|;()")):
            if current:
                parts.append(current)
            current = []
        else:
            current.append(token)
    if current:
        parts.append(current)
    return parts


def command_words(words: list[str]) -> list[str]:
    """The words of a simple command without leading `VAR=value` assignments."""
    i = 0
    while i < len(words) and _ASSIGNMENT.match(words[i]):
        i += 1
    return words[i:]


def effective_commands(command: str, depth: int = 0) -> list[list[str]]:
    """Like split_commands, but also looks through wrappers (`env`, `nohup`, `xargs`...)
    and into `bash -c '...'`/`eval`, so a dangerous command cannot hide behind them."""
    found: list[list[str]] = []
    for part in split_commands(command):
        words = command_words(part)
        while words and os.path.basename(words[0]) in _WRAPPERS:
            words = words[1:]
            while words and words[0].startswith("-"):  # the wrapper's own options
                words = words[1:]
            words = command_words(words)
        if not words:
            continue
        words = [os.path.basename(words[0]), *words[1:]]
        found.append(words)
        if words[0] in _SHELLS and depth < 3:
            inner = words[-1] if words[0] == "eval" or "-c" in words else None
            if words[0] == "eval":
                inner = " ".join(words[1:])
            if inner:
                found.extend(effective_commands(inner, depth + 1))
    return found
