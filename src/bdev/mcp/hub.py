"""The MCP servers of one run: which tools an agent gets, servers started on first use.

Where servers come from, later ones winning on a name:
1. bdev's built-in docs server, `context7` (bdev.mcp.docs_server), offered only to an
   agent that names it (a `tools` entry `mcp__context7...` or `mcpServers: [context7]`);
2. the project's `.mcp.json`, only when the project is trusted (it starts programs);
3. each `--mcp-config`;
4. a definition's own `mcpServers` (inline configs), for that agent only; a project
   definition's inline servers start only in a trusted project.

What an agent gets (`Selection`): with `tools` omitted (or `*`), every tool of every
configured server (2, 3) and of its own; with a `tools` list, the MCP tools its
`mcp__...` entries match, plus every tool of the servers in its `mcpServers`; never one
that a `disallowedTools` entry matches. The small prompt profile gets only what is named.
Every server is started when an agent first needs it and closed when the run ends.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bdev
from bdev import trust
from bdev.errors import BdevError
from bdev.mcp.config import (
    PROJECT_FILE,
    ServerSpec,
    StdioServer,
    load_file,
    load_flag,
    parse_server,
)
from bdev.mcp.names import matches, server_of, tool_name

if TYPE_CHECKING:  # the SDK is imported when a server is first started, not before
    from bdev.mcp.connection import Connection, LoopThread
    from bdev.mcp.tools import McpTool

BUILTIN = "context7"  # the name definitions written for Context7 already use
BUILTIN_ORIGIN = "built-in"
_MS = 1000.0


@dataclass(frozen=True)
class Selection:
    """The MCP part of an agent's definition."""

    everything: bool = False  # `tools` omitted or `*`
    patterns: tuple[str, ...] = ()  # its `tools` entries that start with mcp__
    denied: tuple[str, ...] = ()  # its `disallowedTools` entries that start with mcp__
    # `mcpServers`: names of configured servers, or (name, inline config).
    servers: tuple[str | tuple[str, Any], ...] = ()
    origin: str = "the definition"  # its file, for messages
    may_start: bool = True  # False: inline servers are not started (untrusted project)


def _env_seconds(name: str, default_s: float) -> float:
    """Claude Code's MCP_TIMEOUT / MCP_TOOL_TIMEOUT, in milliseconds."""
    raw = os.environ.get(name, "")
    try:
        return float(raw) / _MS if raw.strip() else default_s
    except ValueError:
        raise BdevError(f"{name}={raw!r}: expected milliseconds, e.g. 30000") from None


class McpHub:
    """Servers known to a run, started lazily; a context manager that closes them."""

    def __init__(
        self,
        servers: dict[str, ServerSpec],
        workspace: Path,
        *,
        builtins: dict[str, ServerSpec] | None = None,
    ) -> None:
        self.servers = servers
        self.builtins = builtin_servers(workspace) if builtins is None else builtins
        self.workspace = workspace
        self.start_timeout = _env_seconds("MCP_TIMEOUT", 30.0)
        self.call_timeout = _env_seconds("MCP_TOOL_TIMEOUT", 120.0)
        self._loop: LoopThread | None = None
        self._connections: dict[tuple[str, str], Connection] = {}

    def __enter__(self) -> McpHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tools_for(
        self, sel: Selection, *, small: bool = False
    ) -> tuple[list[McpTool], list[tuple[str, str]]]:
        """The tools an agent gets, and warnings (front-matter field, message) for what
        it named but cannot have."""
        warnings: list[tuple[str, str]] = []
        own = self._own_servers(sel, warnings)
        known = {**self.builtins, **self.servers, **own}
        wanted = set(own)
        if sel.everything and not small:
            wanted |= set(self.servers)
        for pattern in sel.patterns:
            name = server_of(pattern)
            if name in known:
                wanted.add(name)
            else:
                warnings.append(("tools", f"{pattern}: {self._unknown(name)}"))
        from bdev.mcp.tools import McpTool

        tools: list[McpTool] = []
        every: set[str] = set()  # every tool of the started servers, offered or not
        for name in sorted(wanted):
            spec = known[name]
            conn = self.connect(spec)
            for tool in conn.tools:
                full = tool_name(name, tool.name)
                every.add(full)
                offered = (
                    (sel.everything and not small)
                    or name in own
                    or any(matches(p, full) for p in sel.patterns)
                )
                if offered and not any(matches(d, full) for d in sel.denied):
                    wrapped = McpTool.wrap(conn, tool, read_only=spec.origin == BUILTIN_ORIGIN)
                    warnings += [("tools", note) for note in wrapped.notes]
                    tools.append(wrapped)
        for pattern in sel.patterns:
            if server_of(pattern) in known and not any(matches(pattern, n) for n in every):
                warnings.append(("tools", f"{pattern}: its server has no tool of that name"))
        return tools, warnings

    def connect(self, spec: ServerSpec) -> Connection:
        """The server's connection, started on first use (BdevError when it cannot)."""
        from bdev.mcp.connection import Connection, LoopThread

        key = (spec.origin, spec.name)
        if key not in self._connections:
            if self._loop is None:
                self._loop = LoopThread()
            conn = Connection(
                spec,
                self._loop,
                workspace=self.workspace,
                start_timeout=self.start_timeout,
                call_timeout=self.call_timeout,
            )
            conn.start()
            self._connections[key] = conn
        return self._connections[key]

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def _own_servers(
        self, sel: Selection, warnings: list[tuple[str, str]]
    ) -> dict[str, ServerSpec]:
        own: dict[str, ServerSpec] = {}
        for entry in sel.servers:
            if isinstance(entry, str):
                spec = self.servers.get(entry) or self.builtins.get(entry)
                if spec is None:
                    warnings.append(("mcpServers", f"{entry}: {self._unknown(entry)}"))
                else:
                    own[entry] = spec
                continue
            name, raw = entry
            if not sel.may_start:
                why = (
                    f"{name}: not started: a project's definition starts programs only in a "
                    f"trusted project (bdev config trust {self.workspace})"
                )
                warnings.append(("mcpServers", why))
                continue
            own[name] = parse_server(name, raw, sel.origin)
        return own

    def _unknown(self, name: str) -> str:
        known = ", ".join(sorted({*self.builtins, *self.servers})) or "none"
        return (
            f"no MCP server {name!r} is configured (--mcp-config, a trusted .mcp.json or the "
            f"definition's mcpServers; configured: {known}); left out"
        )


def builtin_servers(workspace: Path) -> dict[str, ServerSpec]:
    """bdev's docs server, reading this interpreter's packages and the workspace's
    virtualenvs (.venv, venv) too."""
    args = ["-m", "bdev.mcp.docs_server"]
    for venv in (".venv", "venv"):
        for site in sorted((workspace / venv).glob("lib/python3*/site-packages")):
            args += ["--site", str(site)]
    # Where bdev itself is imported from (a checkout's src/ for an editable install): the
    # sandbox shows the server only what its command line and environment name.
    root = str(Path(bdev.__file__).resolve().parents[1])
    server = StdioServer(command=sys.executable, args=args, env={"PYTHONPATH": root})
    return {BUILTIN: ServerSpec(BUILTIN, server, BUILTIN_ORIGIN)}


def open_hub(
    workspace: Path,
    flags: Sequence[str],
    *,
    config_dir: Path,
    ask: Callable[[Path, list[str]], bool] | None = None,
    notify: Callable[[str], None] = lambda _text: None,
) -> McpHub:
    """The run's servers: the project's `.mcp.json` when trusted (an interactive run asks
    once; any other says that it was skipped), then each `--mcp-config` value."""
    servers: dict[str, ServerSpec] = {}
    project = workspace / PROJECT_FILE
    if project.is_file():
        trusted = trust.state(workspace, project, config_dir) == "trusted"
        if not trusted and ask is not None and ask(project, ["mcpServers"]):
            trust.trust(workspace, project, config_dir)
            trusted = True
        if trusted:
            servers.update(load_file(project))
        else:
            notify(
                f"{project} is not trusted, so its MCP servers are not started "
                f"(trust it with `bdev config trust {workspace}`)"
            )
    for value in flags:
        servers.update(load_flag(value))
    return McpHub(servers, workspace)
