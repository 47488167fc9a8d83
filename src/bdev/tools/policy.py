"""The permission policy: may this tool call run, must it be denied, or asked about?

Rules use Claude Code's syntax: `Bash` (any command), `Bash(npm test:*)` (a command
prefix), `Bash(git status)` (an exact command), `Edit`, `Edit(src/**)` (a path pattern,
gitignore style), `Read(.env)`, `WebFetch(domain:example.com)`. `Edit` rules cover all
file-editing tools and `Read` rules all file-reading ones, as in Claude Code.

Order of decision: built-in safety rules and deny rules (every mode), then the mode:
plan allows read-only tools only; otherwise read-only tools are allowed, bypass allows
everything, an allow rule allows, acceptEdits allows file edits, and Bash and the
editing tools are asked about. "ask" turns into "deny" when nobody can answer.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bdev.errors import BdevError
from bdev.tools.base import TOOL_NAMES, Tool
from bdev.tools.globs import GlobFilter
from bdev.tools.safety import dangerous_reason
from bdev.tools.shell_words import effective_commands, split_commands


class PermissionMode(StrEnum):
    DEFAULT = "default"
    ACCEPT_EDITS = "acceptEdits"
    PLAN = "plan"
    BYPASS = "bypassPermissions"


EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
# Tools asked about in default mode; others that are not read-only (Task) run, and the
# sub-agent's own tool calls go through the policy.
ASK_TOOLS = EDIT_TOOLS | {"Bash"}
# A rule naming the first tool also covers these (Claude Code's grouping).
_RULE_FAMILIES: dict[str, frozenset[str]] = {
    "Edit": EDIT_TOOLS,
    "Read": frozenset({"Read", "Grep", "Glob", "LS"}),
}
_PATH_ARGS = ("file_path", "notebook_path", "path")
_RULE = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$", re.DOTALL)


@dataclass(frozen=True)
class Decision:
    action: Literal["allow", "deny", "ask"]
    reason: str = ""


@dataclass(frozen=True)
class Rule:
    tool: str
    specifier: str | None = None

    @classmethod
    def parse(cls, text: str) -> Rule:
        m = _RULE.match(text)
        if m is None:
            raise BdevError(
                f"permission rule {text!r}: expected Tool or Tool(specifier), e.g. Bash(npm test:*)"
            )
        tool, spec = m.group(1), m.group(2)
        if tool not in TOOL_NAMES:
            raise BdevError(
                f"permission rule {text!r}: unknown tool {tool!r} (known: {', '.join(TOOL_NAMES)})"
            )
        spec = spec.strip() if spec is not None else None
        return cls(tool, spec or None)

    def __str__(self) -> str:
        return f"{self.tool}({self.specifier})" if self.specifier else self.tool

    def covers(self, tool_name: str) -> bool:
        return tool_name == self.tool or tool_name in _RULE_FAMILIES.get(self.tool, ())

    def matches_command(self, words: list[str]) -> bool:
        """For Bash rules: does this rule match one simple command?"""
        if self.specifier is None or self.specifier in ("*", ":*"):
            return True
        command = " ".join(words)
        if self.specifier.endswith(":*"):
            prefix = " ".join(self.specifier[:-2].split())
            return command == prefix or command.startswith(prefix + " ")
        return command == " ".join(self.specifier.split())

    def matches_args(self, args: dict[str, Any], workspace: Path | None) -> bool:
        """For non-Bash rules: does this rule match the call's path or URL?"""
        if self.specifier is None:
            return True
        if self.specifier.startswith("domain:"):
            host = urlsplit(str(args.get("url", ""))).hostname or ""
            domain = self.specifier.removeprefix("domain:")
            return host == domain or host.endswith("." + domain)
        path = next((args[k] for k in _PATH_ARGS if isinstance(args.get(k), str)), ".")
        return GlobFilter.from_patterns([self.specifier]).matches(_relative(path, workspace))


def _relative(path: str, workspace: Path | None) -> str:
    if workspace is not None and posixpath.isabs(path):
        root = workspace.resolve().as_posix()
        if path == root or path.startswith(root + "/"):
            path = path[len(root) :].lstrip("/") or "."
    return posixpath.normpath(path)


@dataclass
class Policy:
    mode: PermissionMode | str = PermissionMode.DEFAULT
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    interactive: bool = False
    # Lets path rules such as Edit(src/**) match absolute paths inside the workspace.
    workspace: Path | None = None

    def __post_init__(self) -> None:
        try:
            self.mode = PermissionMode(self.mode)
        except ValueError:
            modes = ", ".join(m.value for m in PermissionMode)
            raise BdevError(f"permission mode {self.mode!r} is not one of: {modes}") from None
        self._allow = [Rule.parse(r) for r in self.allow]
        self._deny = [Rule.parse(r) for r in self.deny]

    def check(self, tool: Tool, args: dict[str, Any]) -> Decision:
        name = tool.name
        denied = self._denied(name, args)
        if denied:
            return Decision("deny", denied)
        if self.mode is PermissionMode.PLAN:
            if tool.read_only:
                return Decision("allow")
            return Decision("deny", f"plan mode: {name} is not read-only; only look and plan")
        if tool.read_only or self.mode is PermissionMode.BYPASS:
            return Decision("allow")
        if self._allowed(name, args):
            return Decision("allow")
        if self.mode is PermissionMode.ACCEPT_EDITS and name in EDIT_TOOLS:
            return Decision("allow")
        if name not in ASK_TOOLS:
            return Decision("allow")
        return self._ask(name, args)

    def _denied(self, name: str, args: dict[str, Any]) -> str | None:
        if name == "Bash":
            command = str(args.get("command", ""))
            reason = dangerous_reason(command)
            if reason:
                return f"blocked by a built-in safety rule: {reason}"
            # Deny rules also see through wrappers and `bash -c` (`env git push`).
            parts = split_commands(command) + effective_commands(command)
            for rule in self._deny:
                if rule.covers(name) and any(rule.matches_command(p) for p in parts):
                    return f"denied by the rule {rule}"
            return None
        for rule in self._deny:
            if rule.covers(name) and rule.matches_args(args, self.workspace):
                return f"denied by the rule {rule}"
        return None

    def _allowed(self, name: str, args: dict[str, Any]) -> bool:
        rules = [r for r in self._allow if r.covers(name)]
        if name == "Bash":
            # Every command in a chain must be allowed: `npm test && curl x` is not
            # covered by Bash(npm test:*).
            parts = split_commands(str(args.get("command", "")))
            return bool(parts) and all(any(r.matches_command(p) for r in rules) for p in parts)
        return any(r.matches_args(args, self.workspace) for r in rules)

    def _ask(self, name: str, args: dict[str, Any]) -> Decision:
        what = f"`{args.get('command')}`" if name == "Bash" else name
        mode = PermissionMode(self.mode).value  # already a PermissionMode (__post_init__)
        if self.interactive:
            return Decision("ask", f"{what} needs approval in {mode} mode")
        return Decision(
            "deny",
            f"{what} needs approval in {mode} mode and this session is not "
            "interactive; the user can allow it with a rule such as "
            f"{_suggest(name, args)} or another permission mode",
        )


def _suggest(name: str, args: dict[str, Any]) -> str:
    if name == "Bash":
        parts = split_commands(str(args.get("command", "")))
        head = " ".join(parts[0][:2]) if parts else "cmd"
        return f"Bash({head}:*)"
    return name
