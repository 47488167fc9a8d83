"""`bdev doctor`: the external tools bdev can use, and what is degraded without each."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from bdev.doctor import Report, run_checks

_STYLE = {"ok": "green", "missing": "yellow", "broken": "red"}


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check the external tools bdev uses (offline, a few seconds at most)."""
    report = run_checks()
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _render(report)
    if not report.ok:
        raise typer.Exit(1)


def _render(report: Report) -> None:
    # One line per tool, then its note indented: a table wraps paths into shreds at 80 columns.
    console = Console(highlight=False)
    for c in report.checks:
        mark = f"[{_STYLE[c.status]}]{c.status:<7}[/]"
        head = f"{mark} [bold]{escape(c.name)}[/]" + (f"  {escape(c.version)}" if c.version else "")
        console.print(head, soft_wrap=True)
        notes = [c.where, c.detail]
        if not c.ok:
            notes = [c.where, c.detail if c.required else f"without it: {c.detail}"]
            notes.append(f"install: {c.fix}" if c.fix else None)
        for note in filter(None, notes):
            console.print(Padding(Text(note), (0, 0, 0, 8)))
    missing = [c.name for c in report.checks if c.required and not c.ok]
    if missing:
        console.print(f"[bold red]bdev cannot work without:[/] {', '.join(missing)}")
    else:
        console.print("bdev can run; anything not ok only degrades what its line says.")
