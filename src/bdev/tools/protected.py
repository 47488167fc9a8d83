"""Protected paths: the files through which a repository configures bdev itself.

`.bdev/config.toml`, `.claude/settings*.json` and everything under `.claude/agents/`
decide what later runs may do, so an agent writing them could grant itself power in
the next session. No permission mode allows writing them; only an allow rule whose
path names them (`Edit(.claude/agents/**)`) does (see Policy.check).

For Bash, what the policy can see is checked: redirection targets, and the literal
arguments of programs that write files (`cp x .bdev/`, `sed -i … .claude/settings.json`).
A path is judged both as written and after following symlinks, so neither a link in
the repository nor `..` tricks lead around the check.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from pathlib import Path

from bdev.tools.shell_wrappers import plan

_FILES = (".bdev/config.toml", ".claude/settings*.json")
_TREES = (".claude/agents",)
# Directories holding protected files: replacing or removing them replaces the files.
_PARENTS = frozenset({".bdev", ".claude", ".claude/agents"})
# Programs whose literal arguments may be files they write, move or delete.
_WRITERS = frozenset(
    {
        "cp", "mv", "rm", "ln", "tee", "touch", "install", "truncate", "dd", "rsync",
        "unlink", "rmdir", "mkdir", "chmod", "chown", "sed", "perl", "patch", "shred",
    }
)  # fmt: skip
PROTECTED_HINT = ".bdev/config.toml, .claude/settings*.json, .claude/agents/"


def is_protected(rel: str) -> bool:
    """Whether a normalised workspace-relative POSIX path is a protected file."""
    if any(fnmatch.fnmatch(rel, pattern) for pattern in _FILES):
        return True
    return any(rel == tree or rel.startswith(tree + "/") for tree in _TREES)


def _relatives(root: Path, path: str, bases: list[str] | None = None) -> list[str]:
    """`path` relative to the real `root`, as written and after following symlinks, from
    each directory it may be relative to; empty when it lies outside the root."""
    found: list[str] = []
    if "\0" in path:
        return found  # refused by the tools themselves
    for base in bases or [root.as_posix()]:
        joined = posixpath.normpath(posixpath.join(base, path))
        for candidate in (joined, os.path.realpath(joined)):
            rel = posixpath.relpath(candidate, root.as_posix())
            if rel != ".." and not rel.startswith("../"):
                found.append(rel)
    return found


def protected_target(root: Path, path: str) -> str | None:
    """The protected file `path` writes, as a relative path, or None."""
    return next((rel for rel in _relatives(root, path) if is_protected(rel)), None)


def bash_targets(command: str, root: Path) -> list[str]:
    """Protected paths (or their directories) that `command` visibly writes."""
    found = plan(command)
    # `cd .claude && rm -r agents`: relative paths may start from any literal `cd` target.
    bases = [root.as_posix()]
    for part in found.parts:
        if part.name in ("cd", "pushd") and len(part.words) == 2 and part.words[1].literal:
            bases.append(posixpath.join(root.as_posix(), part.words[1].literal))
    hits: list[str] = []
    for redirect in found.redirects:
        target = redirect.target.literal
        if not redirect.reads and not redirect.fd_duplication and target:
            hits += [r for r in _relatives(root, target, bases) if is_protected(r)]
    for part in found.parts:
        if part.name not in _WRITERS:
            continue
        for word in part.words[1:]:
            value = word.literal or ""
            if value.startswith(("of=", "--")):  # dd of=FILE, --target-directory=DIR
                value = value.partition("=")[2]
            elif value.startswith("-"):
                continue
            for rel in _relatives(root, value, bases) if value else []:
                if is_protected(rel) or rel in _PARENTS:
                    hits.append(rel)
    return list(dict.fromkeys(hits))
