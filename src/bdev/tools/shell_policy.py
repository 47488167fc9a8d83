"""Judging one Bash command against the built-in list and the Bash rules.

Every program the command runs (shell_wrappers.plan) must pass on its own: deny rules
and the built-in list refuse it outright; a form whose program cannot be known needs
approval in every mode; a program no allow rule names, or a redirection whose target is
not inside the workspace, needs approval unless the mode allows everything. Each refused
part gets one reason, e.g. "`touch f` inside $(...) is not allowed by Bash(pytest:*)".
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bdev.tools.safety import dangerous
from bdev.tools.shell_parse import Redirect, Word, literal_word
from bdev.tools.shell_rules import BashPattern
from bdev.tools.shell_wrappers import Part, Plan, plan

Kind = Literal["deny", "unprovable", "unallowed"]
# Programs with no effect outside the shell: they need no rule.
_NO_OPS = frozenset({":", "true", "false"})
_CHDIR = frozenset({"cd", "pushd", "popd"})
_MAX_DIRS = 64
_DEVICES = ("/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty")


@dataclass(frozen=True)
class Refusal:
    kind: Kind
    reason: str
    suggestion: str | None = None  # an allow rule that would cover it


@dataclass
class Verdict:
    refusals: list[Refusal] = field(default_factory=list)

    def reasons(self, *kinds: Kind) -> list[str]:
        return [r.reason for r in self.refusals if r.kind in kinds]

    def suggestion(self) -> str | None:
        """A rule to allow the first refused part, unless some refusal no rule can cure."""
        if any(r.suggestion is None for r in self.refusals):
            return None
        return next((r.suggestion for r in self.refusals), None)


def judge(
    command: str, allow: list[BashPattern], deny: list[BashPattern], workspace: Path | None
) -> Verdict:
    root = Path(os.path.realpath(workspace or Path.cwd()))
    found = plan(command)
    verdict = Verdict()
    add = verdict.refusals.append
    for what, why in dangerous(found, command):
        add(Refusal("deny", f"{what} is blocked by a built-in safety rule: {why}"))
    for problem in dict.fromkeys(found.problems):
        add(Refusal("unprovable", problem))
    allow_all = any(r.matches_everything for r in allow)
    dirs = _directories(found, root)
    for part in found.parts:
        refusal = _judge_part(part, allow, deny, allow_all, dirs, root)
        if refusal is not None:
            add(refusal)
    if not allow_all:
        for redirect in found.redirects:
            outside = _redirect_problem(redirect, dirs, root)
            if outside:
                add(Refusal("unallowed", outside))
    if not found.parts and not allow_all:
        add(Refusal("unallowed", f"`{command.strip()}` is not allowed by {_names(allow)}"))
    return verdict


def _judge_part(
    part: Part,
    allow: list[BashPattern],
    deny: list[BashPattern],
    allow_all: bool,
    dirs: list[Path] | None,
    root: Path,
) -> Refusal | None:
    forms = [part.words, *part.wrappers]
    if part.name is not None and part.name != part.words[0].value:
        forms.append((_basename_word(part), *part.words[1:]))  # /bin/touch is touch
    for rule in deny:
        if any(rule.matches(f) for f in forms):
            return Refusal("deny", f"{part.described} is denied by the rule {rule.label}")
    if part.problem:
        return Refusal("unprovable", f"{part.described}: {part.problem}")
    for rule in deny:
        if rule.might_match(part.words, part.open_args):
            unknown = next((w.text for w in part.words if w.value is None), "its input")
            return Refusal(
                "unprovable",
                f"{part.described} might be denied by the rule {rule.label}: "
                f"`{unknown}` is only known when it runs",
            )
    if allow_all or part.name in _NO_OPS or _harmless_chdir(part, dirs, root):
        return None
    if part.name == "exec" and len(part.words) == 1:
        return None  # `exec >log`: only redirections, checked on their own
    if any(rule.matches(part.words, part.open_args) for rule in allow):
        return None
    head = " ".join(w.shown for w in part.words[:2])
    return Refusal(
        "unallowed", f"{part.described} is not allowed by {_names(allow)}", f"Bash({head}:*)"
    )


def _names(rules: list[BashPattern]) -> str:
    if not rules:
        return "any allow rule"
    if len(rules) == 1:
        return rules[0].label
    return "any of " + ", ".join(r.label for r in rules)


def _basename_word(part: Part) -> Word:
    return literal_word(part.name or "")


# -- the working directory and redirections -----------------------------------------


def _chdir_target(part: Part) -> str | None:
    """The literal directory of `cd DIR`, None when unknown (`cd`, `cd -`, `cd $X`)."""
    args = [w for w in part.words[1:] if not w.shown.startswith("-")]
    if part.name == "popd" or len(args) != 1 or args[0].literal is None:
        return None
    return args[0].literal


def _directories(found: Plan, root: Path) -> list[Path] | None:
    """Every directory a redirection may be relative to; None when one is unknown.

    Order and scope are ignored (a `cd` in a subshell counts everywhere), which can only
    add directories. `..` is refused so that a `cd` repeated in a loop cannot climb out.
    """
    dirs = [root]
    for part in found.parts:
        if part.name not in _CHDIR or part.name == "popd":  # popd: back to a listed one
            continue
        target = _chdir_target(part)
        if target is None or ".." in target.split("/"):
            return None
        more = [Path(os.path.realpath(posixpath.join(d, target))) for d in dirs]
        dirs = list(dict.fromkeys([*dirs, *more]))
        if len(dirs) > _MAX_DIRS:
            return None
    return dirs


def _harmless_chdir(part: Part, dirs: list[Path] | None, root: Path) -> bool:
    if part.name == "popd":
        return True
    if part.name not in _CHDIR or dirs is None:
        return False
    target = _chdir_target(part)
    return target is not None and all(
        _inside(Path(os.path.realpath(posixpath.join(d, target))), root) for d in dirs
    )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _redirect_problem(r: Redirect, dirs: list[Path] | None, root: Path) -> str | None:
    if r.fd_duplication:
        return None
    shown = f"`{r.op} {r.target.text}`" + (f" {r.context}" if r.context else "")
    target = r.target.literal
    if target is None:
        return f"{shown}: the file is only known when it runs, so it may be outside the workspace"
    if target in _DEVICES or target.startswith("/dev/fd/"):
        return None
    if not posixpath.isabs(target) and dirs is None:
        return f"{shown}: the command changes directory, so the file may be outside the workspace"
    bases = [root] if posixpath.isabs(target) else dirs or [root]
    for base in bases:
        if not _inside(Path(os.path.realpath(posixpath.join(base, target))), root):
            verb = "reads" if r.reads else "writes"
            return f"{shown} {verb} outside the workspace"
    return None
