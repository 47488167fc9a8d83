"""`bdev analyze PATH`: a readable summary of a backend codebase, or one JSON object
(the facts plus the agent-facing "context" answer) with --json. The work is in
bdev.backend.analyze."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bdev.backend.analyze import analyze as analyze_path
from bdev.backend.analyze import context_response
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError

_AUTH = {"required": "[green]required[/]", "optional": "optional", "none": "none",
         None: "[yellow]?[/]"}  # fmt: skip


def analyze(
    path: Annotated[Path, typer.Argument(help="The codebase's root directory.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="An interpreter with the service's dependencies: the routes are then read"
            " from the framework by importing the app (in the sandbox), not from the code.",
        ),
    ] = None,
) -> None:
    """Describe a backend codebase: stack, entry point, endpoints, data, config, tests."""
    if python and shutil.which(python) is None:
        raise BdevError(f"--python {python}: no such interpreter")
    facts = analyze_path(path, python=shutil.which(python) if python else None)
    if as_json:
        payload = facts.model_dump(mode="json")
        payload["context"] = context_response(facts)
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    _render(Console(highlight=False), facts)


def _list(values: list[str], empty: str = "none found") -> str:
    return escape(", ".join(values)) if values else f"[dim]{empty}[/]"


def _render(out: Console, facts: BackendFacts) -> None:
    out.print(f"[bold]{escape(facts.root)}[/]")
    out.print(f"stack        {facts.language or '?'} / {facts.framework or 'no known framework'}")
    out.print(f"manifests    {_list(facts.manifests)}")
    entry = facts.entry_point
    if entry is not None:
        out.print(f"entry point  {escape(entry.app or entry.file)}")
        if entry.command:
            out.print(f"start        {escape(shlex.join(entry.command))}")
            source = f"{entry.source}; {entry.port_note}" if entry.port_note else entry.source
            out.print(f"             [dim]from {escape(source)}[/]")
    else:
        out.print("entry point  [dim]not found[/]")

    if facts.endpoints:
        title = f"{len(facts.endpoints)} endpoints ({facts.routes_method}: {facts.routes_note})"
        table = Table(title=escape(title), title_justify="left")
        table.add_column("method", no_wrap=True)
        table.add_column("path", no_wrap=True)
        table.add_column("auth", no_wrap=True)
        table.add_column("body → response", overflow="fold")
        table.add_column("handler", overflow="fold")
        for e in facts.endpoints:
            where = f" {e.location.file}:{e.location.line}" if e.location else f" ({e.source})"
            models = f"{e.request_model or '-'} → {e.response_model or '-'}"
            if not (e.request_model or e.response_model):
                models = ""
            why = f"; auth: {e.auth_evidence}" if e.auth_evidence and e.auth != "none" else ""
            table.add_row(
                e.method,
                escape(e.path),
                _AUTH.get(e.auth, _AUTH[None]),
                escape(models),
                escape(e.handler) + f"[dim]{escape(where + why)}[/]",
            )
        out.print(table)
    else:
        out.print("endpoints    [dim]none found[/]")
    if facts.openapi_document:
        out.print(f"openapi      {escape(facts.openapi_document)}")
    out.print(f"health       {_list(facts.health_endpoints)}")

    data = facts.data
    out.print("[bold]data[/]")
    out.print(
        f"  databases  {_list(data.databases)}   services to run: {_list(facts.services, 'none')}"
    )
    out.print(f"  orm        {_list(data.orm)}   models: {_list(data.models)}")
    dynamic = f", [red]{len(data.dynamic_sql_sites)} built at run time[/]"
    out.print(
        f"  raw SQL    {len(data.raw_sql_sites)} sites{dynamic if data.dynamic_sql_sites else ''}"
    )
    for site in data.dynamic_sql_sites:
        out.print(f"             [red]{escape(site.file)}:{site.line}[/]")
    revisions = f" ({len(data.migration_revisions)} revisions)" if data.migration_tool else ""
    out.print(f"  migrations {data.migration_tool or '[dim]none found[/]'}{revisions}")

    out.print("[bold]configuration[/]")
    out.print(f"  env vars   {_list(facts.env_vars)}")
    if facts.secrets:
        out.print(f"  secrets    [red]{len(facts.secrets)} hard-coded[/]")
        for secret in facts.secrets:
            name = f" ({secret.name})" if secret.name else ""
            where = f"{secret.location.file}:{secret.location.line}"
            out.print(f"             {escape(where)} {escape(secret.kind + name)}")
    else:
        out.print("  secrets    [green]none found[/]")

    tests = facts.tests
    suite = f"{tests.framework}, {tests.count} tests in {_list(tests.paths)}" if tests.count else ""
    out.print(f"tests        {suite or '[dim]none found[/]'}")
    out.print(f"ci           {_list(facts.ci)}")
    docker = escape(facts.dockerfile) if facts.dockerfile else "[dim]no Dockerfile[/]"
    out.print(f"docker       {docker}")
    out.print(f"patterns     {_list(facts.architecture_patterns)}")
    out.print(f"integrations {_list(facts.integration_points)}")
