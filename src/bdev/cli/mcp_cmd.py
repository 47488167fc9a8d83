"""`bdev mcp list`: the MCP servers a run in this workspace would have, and their tools;
`bdev mcp docs-server`: bdev's offline documentation server, on stdio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bdev import sandbox, trust
from bdev.cli.visible import visible
from bdev.config import load_config, user_config_path
from bdev.errors import BdevError
from bdev.mcp.config import PROJECT_FILE, ServerSpec, load_file, load_flag
from bdev.mcp.hub import McpHub, builtin_servers
from bdev.mcp.names import tool_name

app = typer.Typer(help="MCP servers: list them and their tools; bdev's docs server.")


@app.command("list")
def list_servers(
    workspace: Annotated[Path | None, typer.Option(help="The repository.")] = None,
    mcp_config: Annotated[
        list[str] | None, typer.Option("--mcp-config", help="More servers, as for bdev run.")
    ] = None,
    connect: Annotated[
        bool, typer.Option(help="Start each usable server to list its tools.")
    ] = True,
) -> None:
    """Servers by name (a later source wins: built-in, .mcp.json, --mcp-config), where
    each comes from, whether a run would start it, and its tools."""
    from bdev.cli.run_cmd import resolve_workspace

    ws = resolve_workspace(workspace)
    servers: dict[str, tuple[ServerSpec, str]] = {
        name: (spec, "usable when a definition names it")
        for name, spec in builtin_servers(ws).items()
    }
    project = ws / PROJECT_FILE
    if project.is_file():
        trusted = trust.state(ws, project, user_config_path().parent) == "trusted"
        state = "usable" if trusted else "not started: the project is not trusted"
        servers |= {name: (spec, state) for name, spec in load_file(project).items()}
    for value in mcp_config or ():
        servers |= {name: (spec, "usable") for name, spec in load_flag(value).items()}
    if connect:
        for note in sandbox.apply(load_config(ws), ws):
            Console(stderr=True).print(f"sandbox: {note}", markup=False)
    with McpHub({}, ws, builtins={}) as hub:
        for name, (spec, state) in servers.items():
            tools: list[str] = []
            if connect and state.startswith("usable"):
                try:
                    tools = [tool_name(name, t.name) for t in hub.connect(spec).tools]
                except BdevError as e:
                    state = f"failed to start: {e}"
            # A server's stderr (in a failure) may hold terminal escapes: shown inert.
            typer.echo(visible(f"{name}  {spec.transport}  from {spec.origin}  ({state})"))
            for tool in tools:
                typer.echo(f"  {tool}")


@app.command("docs-server")
def docs_server(
    site: Annotated[
        list[Path] | None, typer.Option(help="Another site-packages folder to document.")
    ] = None,
) -> None:
    """Serve installed packages' documentation over MCP on stdio (Context7's tools)."""
    from bdev.mcp.docs_server import build

    build([str(p) for p in site or ()]).run("stdio")
