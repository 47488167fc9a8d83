"""The permission policy: may this tool call run, must it be denied, or asked about?

Rules use Claude Code's syntax: `Bash` (any command), `Bash(npm test:*)` (a command
prefix), `Bash(git status)` (an exact command), `Bash(git * main)` (wildcards, see
shell_rules), `Edit`, `Edit(src/**)` (a path pattern, gitignore style), `Read(.env)`,
`WebFetch(domain:example.com)`. `Edit` rules cover all file-editing tools and `Read`
rules all file-reading ones, as in Claude Code. MCP tools (bdev.mcp) are named
`mcp__server__tool`; a rule `mcp__server` (or `mcp__server__*`) covers all of a server's
tools, and they are asked about like Bash and edits unless read-only (bdev's own docs
server) or allowed by a rule.

Order of decision: writes to protected paths (bdev.tools.protected: refused unless an
allow rule names them), built-in safety rules and deny rules (every mode), then the mode:
plan allows read-only tools only; otherwise read-only tools are allowed, a Bash command
whose programs cannot all be known from its text is asked about (in every mode: deny
rules could not be checked), bypass allows everything, an allow rule allows, acceptEdits
allows file edits, and Bash and the editing tools are asked about. A Bash command is
judged on a real parse, program by program (shell_policy). "ask" turns into "deny" when
nobody can answer.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bdev.errors import BdevError
from bdev.tools.base import TOOL_NAMES, Tool
from bdev.tools.globs import GlobFilter
from bdev.tools.protected import PROTECTED_HINT, bash_targets, protected_target
from bdev.tools.shell_policy import Verdict, judge
from bdev.tools.shell_rules import BashPattern, rule_warnings

log = logging.getLogger(__name__)
_warned: set[str] = set()  # each rule's warnings are logged once per process


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
_RULE = re.compile(r"^\s*([\w*-]+)\s*(?:\((.*)\))?\s*$", re.DOTALL)
MCP_PREFIX = "mcp__"


def mcp_rule_covers(pattern: str, name: str) -> bool:
    """Does `mcp__server`, `mcp__server__*` (any glob) or `mcp__server__tool` cover the
    MCP tool `name`? A server name holds no `__`, so a pattern without one more `__`
    names a whole server."""
    if "__" not in pattern.removeprefix(MCP_PREFIX):
        pattern += "__*"
    return fnmatch.fnmatchcase(name, pattern)


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
        if tool.startswith(MCP_PREFIX) and spec is not None:
            raise BdevError(f"permission rule {text!r}: an MCP rule names tools, nothing in ()")
        if tool not in TOOL_NAMES and not tool.startswith(MCP_PREFIX):
            raise BdevError(
                f"permission rule {text!r}: unknown tool {tool!r} (known: {', '.join(TOOL_NAMES)})"
            )
        spec = spec.strip() if spec is not None else None
        return cls(tool, spec or None)

    def __str__(self) -> str:
        return f"{self.tool}({self.specifier})" if self.specifier else self.tool

    def covers(self, tool_name: str) -> bool:
        if self.tool.startswith(MCP_PREFIX):
            return mcp_rule_covers(self.tool, tool_name)
        return tool_name == self.tool or tool_name in _RULE_FAMILIES.get(self.tool, ())

    def bash_pattern(self) -> BashPattern:
        """For Bash rules: the specifier compiled for matching simple commands."""
        return BashPattern.compile(str(self), self.specifier)

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
        self._bash_allow = [r.bash_pattern() for r in self._allow if r.covers("Bash")]
        self._bash_deny = [r.bash_pattern() for r in self._deny if r.covers("Bash")]
        self.warnings = [
            *(w for p in self._bash_allow for w in rule_warnings(p, "allow")),
            *(w for p in self._bash_deny for w in rule_warnings(p, "deny")),
        ]
        for warning in self.warnings:
            if warning not in _warned:
                _warned.add(warning)
                log.warning("permission rule %s", warning)

    def check(self, tool: Tool, args: dict[str, Any]) -> Decision:
        name = tool.name
        guarded = self._protected(name, args)
        if guarded:
            return Decision("deny", guarded)
        if name == "Bash":
            return self._check_bash(str(args.get("command", "")))
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
        if name not in ASK_TOOLS and not name.startswith(MCP_PREFIX):
            return Decision("allow")
        return self._ask(name, args)

    def _check_bash(self, command: str) -> Decision:
        verdict = judge(command, self._bash_allow, self._bash_deny, self.workspace)
        denied = verdict.reasons("deny")
        if denied:
            return Decision("deny", _refused(denied))
        if self.mode is PermissionMode.PLAN:
            return Decision("deny", "plan mode: Bash is not read-only; only look and plan")
        unprovable = verdict.reasons("unprovable")
        if not unprovable and (
            self.mode is PermissionMode.BYPASS or not verdict.reasons("unallowed")
        ):
            return Decision("allow")
        return self._ask_bash(command, verdict)

    @property
    def read_filter(self) -> Callable[[str], bool] | None:
        """Whether Read deny rules cover a workspace-relative path, for the search tools
        to leave such files out (tools.hidden); None when no Read rule names a path."""
        rules = [r for r in self._deny if r.tool == "Read" and r.specifier]
        if not rules:
            return None
        return lambda rel: any(r.matches_args({"path": rel}, self.workspace) for r in rules)

    def _protected(self, name: str, args: dict[str, Any]) -> str | None:
        """A write to a protected path (bdev.tools.protected): refused in every mode, bypass
        included, unless an allow rule's path names it."""
        root = Path(os.path.realpath(self.workspace or Path.cwd()))
        if name == "Bash":
            targets = bash_targets(str(args.get("command", "")), root)
        elif name in EDIT_TOOLS:
            path = next((args[k] for k in _PATH_ARGS if isinstance(args.get(k), str)), "")
            targets = [t] if path and (t := protected_target(root, path)) else []
        else:
            return None
        blocked = [t for t in targets if not self._names_protected(name, t)]
        if not blocked:
            return None
        return (
            f"{', '.join(blocked)}: a protected path ({PROTECTED_HINT} configure later "
            "runs); no permission mode allows writing it, only an allow rule naming it "
            f"such as Edit({blocked[0]})"
        )

    def _names_protected(self, name: str, rel: str) -> bool:
        """An allow rule whose path mentions .bdev or .claude and matches `rel`; for Bash,
        any file-editing rule. `Edit` or `Edit(**)` alone does not count."""
        return any(
            r.specifier is not None
            and (".bdev" in r.specifier or ".claude" in r.specifier)
            and (r.covers(name) or (name == "Bash" and r.tool in EDIT_TOOLS))
            and r.matches_args({"file_path": rel}, None)
            for r in self._allow
        )

    def _denied(self, name: str, args: dict[str, Any]) -> str | None:
        for rule in self._deny:
            if rule.covers(name) and rule.matches_args(args, self.workspace):
                return f"denied by the rule {rule}"
        return None

    def _allowed(self, name: str, args: dict[str, Any]) -> bool:
        rules = [r for r in self._allow if r.covers(name)]
        return any(r.matches_args(args, self.workspace) for r in rules)

    def _ask_bash(self, command: str, verdict: Verdict) -> Decision:
        mode = PermissionMode(self.mode).value
        unprovable = verdict.reasons("unprovable")
        # Without Bash allow rules "`x` is not allowed by any allow rule" (the refusals
        # that a rule would cure) says nothing new; redirections and the like still do.
        shown = [
            r.reason
            for r in verdict.refusals
            if r.kind == "unprovable" or self._bash_allow or r.suggestion is None
        ]
        detail = f" ({_refused(shown)})" if shown else ""
        if self.interactive:
            return Decision("ask", f"`{command}` needs approval in {mode} mode{detail}")
        if unprovable:
            remedy = "no rule can allow this form; write the command with literal words"
        elif rule := verdict.suggestion():
            remedy = f"the user can allow it with a rule such as {rule} or another permission mode"
        else:
            remedy = "the user can approve it in an interactive session or another permission mode"
        return Decision(
            "deny",
            f"`{command}` needs approval in {mode} mode and this session is not "
            f"interactive{detail}; {remedy}",
        )

    def _ask(self, name: str, args: dict[str, Any]) -> Decision:
        mode = PermissionMode(self.mode).value  # already a PermissionMode (__post_init__)
        if self.interactive:
            return Decision("ask", f"{name} needs approval in {mode} mode")
        return Decision(
            "deny",
            f"{name} needs approval in {mode} mode and this session is not "
            f"interactive; the user can allow it with a rule such as {name} or another "
            "permission mode",
        )


def _refused(reasons: list[str]) -> str:
    return "; ".join(f"refused: {r}" for r in reasons)
