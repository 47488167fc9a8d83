"""Bash rule specifiers, matched the way Claude Code matches them.

`Bash` and `Bash(*)` match any command; `Bash(npm run test:*)` matches `npm run test`
and anything that continues it with more words; `Bash(git status)` matches exactly
that; a `*` anywhere stands for any text (`Bash(git * main)`), `\\*` for a literal star,
and a single trailing ` *` also matches the bare command (`Bash(ls *)` matches `ls`
and `ls -la`, not `lsof`). Rules are matched against one simple command at a time, its
words joined by single spaces after quote removal.

Deny rules must also catch words only known at run time (`git $sub`): `might_match`
asks whether any value of those words could match, by intersecting two patterns.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache

from bdev.tools.safety import ESCALATE
from bdev.tools.shell_parse import Word, parse
from bdev.tools.shell_wrappers import SHELLS, TRANSPARENT

# A pattern is a tuple of single characters and STAR (any text, spaces included).
STAR = "\x00*"
Pattern = tuple[str, ...]
_ESCAPED_STAR = "\x01"


@dataclass(frozen=True)
class BashPattern:
    label: str  # the rule as the user wrote it, e.g. Bash(pytest:*)
    spec: str | None
    alternatives: tuple[Pattern, ...] = ()  # empty: matches every command

    @classmethod
    def compile(cls, label: str, spec: str | None) -> BashPattern:
        if spec is None or spec.strip() in ("*", ":*"):
            return cls(label, None)
        text = spec.strip()
        if text.endswith(":*") and len(text) > 2:  # legacy prefix rule
            prefix = _pattern(_normalize(text[:-2]))
            return cls(label, spec, (prefix, (*prefix, " ", STAR)))
        pattern = _pattern(_normalize(text))
        if pattern[-2:] == (" ", STAR) and pattern.count(STAR) == 1:
            return cls(label, spec, (pattern[:-2], pattern))
        return cls(label, spec, (pattern,))

    @property
    def matches_everything(self) -> bool:
        return not self.alternatives

    def matches(self, words: tuple[Word, ...], open_args: bool = False) -> bool:
        """Does the rule match this command (all of it, whatever `open_args` adds)?"""
        if self.matches_everything:
            return True
        text = command_text(words)
        for alt in self.alternatives:
            if open_args:
                # Arguments arrive at run time: only a trailing wildcard can cover them.
                if alt and alt[-1] == STAR and _regex(alt[:-1]).match(text + " "):
                    return True
            elif _regex(alt).fullmatch(text):
                return True
        return False

    def might_match(self, words: tuple[Word, ...], open_args: bool = False) -> bool:
        """Could the command match for some value of its unknown words?"""
        if self.matches_everything:
            return True
        pattern = command_pattern(words, open_args)
        return any(_intersects(alt, pattern) for alt in self.alternatives)


def command_text(words: tuple[Word, ...]) -> str:
    return " ".join(w.shown for w in words)


def command_pattern(words: tuple[Word, ...], open_args: bool = False) -> Pattern:
    """The command as a pattern: words known only at run time become STAR."""
    out: list[str] = []
    for i, w in enumerate(words):
        if i:
            out.append(" ")
        out.extend([STAR] if w.value is None else list(w.value))
    if open_args:
        out.extend([" ", STAR])
    return tuple(out)


def _normalize(text: str) -> str:
    """Whitespace and quoting as the shell would read them: `git  "status"` -> git status."""
    text = text.replace("\\*", _ESCAPED_STAR)
    try:
        return " ".join(shlex.split(text))
    except ValueError:
        return " ".join(text.split())


def _pattern(text: str) -> Pattern:
    return tuple(STAR if c == "*" else "*" if c == _ESCAPED_STAR else c for c in text)


@cache
def _regex(pattern: Pattern) -> re.Pattern[str]:
    return re.compile("".join(".*" if t == STAR else re.escape(t) for t in pattern), re.DOTALL)


def _intersects(a: Pattern, b: Pattern) -> bool:
    """Is there a string that both patterns match? (A search over position pairs.)"""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        a_star = i < len(a) and a[i] == STAR
        b_star = j < len(b) and b[j] == STAR
        if a_star:
            todo.append((i + 1, j))  # a's wildcard ends here
            if j < len(b):
                todo.append((i, j + 1))  # ... or covers b's next token
        if b_star:
            todo.append((i, j + 1))
            if i < len(a):
                todo.append((i + 1, j))
        if not a_star and not b_star and i < len(a) and j < len(b) and a[i] == b[j]:
            todo.append((i + 1, j + 1))
    return False


def rule_warnings(pattern: BashPattern, kind: str) -> list[str]:
    """Why a Bash rule (kind "allow" or "deny") cannot do what it seems to say."""
    spec = pattern.spec
    if spec is None:
        return []
    label, found = pattern.label, []
    body = spec.strip()[:-2] if spec.strip().endswith(":*") else spec
    if ":*" in body:
        found.append(
            f"{label}: `:*` means 'and any arguments' only at the end of a rule; elsewhere use `*`"
        )
    script = parse(body.replace("\\*", "x").replace("*", "x"))
    if len(script.commands) != 1 or script.redirects or script.problems:
        found.append(
            f"{label} can never match: bdev checks each simple command on its own "
            "(operators, substitutions and redirections are split apart); write one rule "
            "per command"
        )
        return found
    first = script.commands[0].words[0]
    name = first.literal or ""
    if pattern.alternatives and pattern.alternatives[0][:1] == (STAR,):
        found.append(f"{label} starts with a wildcard, so it matches every program")
    elif first.literal is None:
        found.append(f"{label} can never match: a command name must be a literal word")
    elif kind == "allow" and name in ESCALATE:
        found.append(f"{label} has no effect: `{name}` is always refused by a built-in rule")
    elif kind == "allow" and _wraps(name, script.commands[0].words[1:]):
        found.append(
            f"{label} can never match: bdev looks through `{name}` and checks the command "
            f"it runs; allow that command instead"
        )
    return found


def _wraps(name: str, args: tuple[Word, ...]) -> bool:
    """Does a rule name a wrapper that bdev looks through (`timeout 60 x`, `bash -c x`)?"""
    if name in SHELLS:
        return any(w.shown.startswith("-") and "c" in w.shown[1:] for w in args)
    return name in TRANSPARENT and bool(args)
