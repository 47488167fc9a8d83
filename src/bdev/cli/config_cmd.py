"""`bdev config show`: the effective configuration and where each value came from;
`bdev config trust`: let a project's own config loosen what bdev does (bdev.trust)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bdev import trust
from bdev.config import load_config, project_config_path, user_config_path

app = typer.Typer(help="Show the effective configuration; trust a project's.", no_args_is_help=True)

SECRET_KEYS = ("openai.api_key", "anthropic.api_key")


@app.command("show")
def show(
    workspace: Annotated[Path | None, typer.Option(help="The repository.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print every setting, its value and its source (default, file, environment, flag)."""
    from bdev.cli.run_cmd import resolve_workspace

    ws = resolve_workspace(workspace)
    config = load_config(ws)
    sources = config.sources
    rows = []
    for key, value in sorted(config.flat().items()):
        if key in SECRET_KEYS and value:
            value = "***"
        rows.append((key, value, sources[key]))
    prices = {model: price.model_dump() for model, price in config.prices.items()}
    project = project_config_path(ws)
    trusted = trust.state(ws, project, user_config_path().parent)
    ignored = config.ignored_project_keys
    if as_json:
        data = {k: {"value": v, "source": s} for k, v, s in rows}
        data["prices"] = {"value": prices, "source": sources["prices"]}
        data["project_trust"] = {"state": trusted, "ignored": ignored}
        print(json.dumps(data))
        return
    out = Console(highlight=False)
    out.print(f"user file:    {user_config_path()}", markup=False)
    out.print(f"project file: {project} ({trusted})", markup=False)
    if ignored:
        out.print(f"ignored until trusted (bdev config trust): {', '.join(ignored)}", markup=False)
    table = Table("key", "value", "source")
    for key, value, source in rows:
        table.add_row(key, "" if value is None else json.dumps(value), source)
    for model, price in sorted(prices.items()):
        table.add_row(f"prices.{model}", json.dumps(price), sources["prices"])
    out.print(table)


@app.command("trust")
def trust_project(
    path: Annotated[
        Path | None, typer.Argument(help="The project whose .bdev/config.toml to trust [cwd].")
    ] = None,
) -> None:
    """Trust a project's .bdev/config.toml as it is now: its settings that widen
    permissions, change endpoints or keys, disable the sandbox or lower gates then apply,
    until the file changes."""
    from bdev.cli.run_cmd import resolve_workspace

    ws = resolve_workspace(path)
    project = project_config_path(ws)
    out = Console(highlight=False)
    settings = ws / ".claude" / "settings.json"  # its hooks run only once trusted
    if settings.is_file():
        digest = trust.trust(ws, settings, user_config_path().parent)
        out.print(f"trusted {settings} (sha256 {digest[:12]}); its hooks now run", markup=False)
    servers = ws / ".mcp.json"  # its MCP servers are programs: started only once trusted
    if servers.is_file():
        digest = trust.trust(ws, servers, user_config_path().parent)
        out.print(f"trusted {servers} (sha256 {digest[:12]}); its servers now start", markup=False)
    if not project.is_file() and (settings.is_file() or servers.is_file()):
        return
    widening = load_config(ws).ignored_project_keys
    digest = trust.trust(ws, project, user_config_path().parent)
    what = f"; these settings now apply: {', '.join(widening)}" if widening else ""
    out.print(f"trusted {project} (sha256 {digest[:12]}){what}", markup=False)
