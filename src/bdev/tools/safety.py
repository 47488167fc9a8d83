"""Built-in deny rules for shell commands: things no agent should ever run.

They apply in every permission mode, bypassPermissions included. Each check returns
a reason (shown to the model) or None.
"""

from __future__ import annotations

import re

from bdev.tools.shell_words import effective_commands

_ROOT_TARGETS = frozenset(
    {"/", "/*", "/.", "~", "~/", "~/*", "$HOME", "$HOME/", "${HOME}", "$HOME/*"}
)
_POWER = frozenset({"shutdown", "reboot", "halt", "poweroff"})
_ESCALATE = frozenset({"sudo", "doas", "su"})
_HARMLESS_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})

# Download piped or substituted into a shell: `curl x | sh`, `bash <(curl x)`, `sh -c "$(wget x)"`.
_PIPE_TO_SHELL = re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b")
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
    if cmd in _ESCALATE:
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


def dangerous_reason(command: str) -> str | None:
    """Why `command` must never run, or None when no built-in rule objects."""
    compact = re.sub(r"\s+", "", command)
    if _FORK_BOMB.search(compact):
        return "this is a fork bomb"
    if _PIPE_TO_SHELL.search(command) or _SUBST_TO_SHELL.search(command):
        return "piping a download into a shell is never allowed; download, read, then run"
    for words in effective_commands(command):
        reason = _check_words(words)
        if reason:
            return reason
    return None
