"""Built-in deny rules for shell commands: things no agent should ever run.

They apply in every permission mode, bypassPermissions included, to every program the
command runs as shell_wrappers finds them (so `timeout 5 sudo x`, `bash -c 'rm -rf /'`
and `$(sudo x)` are caught), and to the wrappers themselves. Each finding is a pair
(what, why), shown to the model.
"""

from __future__ import annotations

import re

from bdev.tools.shell_parse import Word
from bdev.tools.shell_wrappers import Part, Plan

_ROOT_TARGETS = frozenset(
    {"/", "/*", "/.", "~", "~/", "~/*", "$HOME", "$HOME/", "${HOME}", "$HOME/*"}
)
_POWER = frozenset({"shutdown", "reboot", "halt", "poweroff"})
ESCALATE = frozenset({"sudo", "doas", "su", "pkexec", "run0"})
_HARMLESS_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})
_DOWNLOADERS = frozenset({"curl", "wget"})

# A download substituted into a shell: `bash <(curl x)`, `sh -c "$(wget x)"`.
_SUBST_TO_SHELL = re.compile(r"\b(ba|z|da|k)?sh\b[^;&|]*(<\(|\$\()\s*(curl|wget)\b")
# `:(){ :|:& };:` and the same shape with any function name.
_FORK_BOMB = re.compile(r"([\w:]+)\(\)\{\1\|\1&\};\1")


def _recursive(words: list[str]) -> bool:
    return any(
        w == "--recursive" or (w.startswith("-") and not w.startswith("--") and "r" in w.lower())
        for w in words[1:]
    )


def _check_words(words: list[str]) -> str | None:
    cmd = words[0]
    if cmd in ESCALATE:
        return f"`{cmd}` is never allowed: bdev does not run commands with elevated rights"
    if cmd in _POWER or (cmd == "systemctl" and any(w in _POWER for w in words[1:])):
        return f"`{' '.join(words)}` would shut down or restart the machine"
    if cmd.startswith("mkfs"):
        return f"`{cmd}` formats a file system"
    if cmd == "dd" and any(
        w.startswith("of=/dev/") and w[3:] not in _HARMLESS_DEVICES for w in words[1:]
    ):
        return "`dd` writing to a device is never allowed"
    targets = [w for w in words[1:] if not w.startswith("-")]
    if cmd == "rm" and _recursive(words) and any(t in _ROOT_TARGETS for t in targets):
        return "recursive `rm` of the root or home directory is never allowed"
    if cmd in ("chmod", "chown") and _recursive(words) and "/" in targets:
        return f"recursive `{cmd}` of / is never allowed"
    return None


def _plain(words: tuple[Word, ...]) -> list[str]:
    """The words as the checks compare them: `"$HOME"` is `$HOME`, `/bin/rm` is `rm`."""
    out = [w.value if w.value is not None else w.text.replace('"', "") for w in words]
    if out:
        out[0] = out[0].rsplit("/", 1)[-1]
    return out


def _part_findings(part: Part) -> list[tuple[str, str]]:
    found = []
    for words in (*part.wrappers, part.words):
        if words:
            why = _check_words(_plain(words))
            if why:
                found.append((part.described, why))
                break
    return found


def dangerous(plan: Plan, command: str) -> list[tuple[str, str]]:
    """(what, why) for each part of `command` that must never run."""
    if _FORK_BOMB.search(re.sub(r"\s+", "", command)):
        return [(f"`{command}`", "this is a fork bomb")]
    found = [f for part in plan.parts for f in _part_findings(part)]
    downloads = any(p.name in _DOWNLOADERS for p in plan.parts)
    piped = [p for p in plan.parts if p.program_from_stdin and p.stdin == "a pipe"]
    if (downloads and piped) or _SUBST_TO_SHELL.search(command):
        what = piped[0].described if piped else f"`{command}`"
        found.append(
            (what, "piping a download into a shell is never allowed; download, read, then run")
        )
    return found
