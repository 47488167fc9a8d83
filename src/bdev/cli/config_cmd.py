"""`bdev config show`: the effective configuration and where each value came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bdev.config import load_config, project_config_path, user_config_path

app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)

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
    if as_json:
        data = {k: {"value": v, "source": s} for k, v, s in rows}
        data["prices"] = {"value": prices, "source": sources["prices"]}
        print(json.dumps(data))
        return
    out = Console(highlight=False)
    out.print(f"user file:    {user_config_path()}")
    out.print(f"project file: {project_config_path(ws)}")
    table = Table("key", "value", "source")
    for key, value, source in rows:
        table.add_row(key, "" if value is None else json.dumps(value), source)
    for model, price in sorted(prices.items()):
        table.add_row(f"prices.{model}", json.dumps(price), sources["prices"])
    out.print(table)
