"""`bdev advisories ...`: the offline advisory database the audit checks dependencies against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bdev.backend.audit.security import advisories

app = typer.Typer(
    help="The offline vulnerability database (OSV records) for `bdev audit`.",
    no_args_is_help=True,
)


@app.command("update")
def update(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="An OSV export to import (a directory of OSV JSON files, or OSV's PyPI"
            " all.zip) instead of downloading it.",
        ),
    ] = None,
) -> None:
    """Build or refresh the cached advisory snapshot, and record its date."""
    db = advisories.update_cache(source)
    Console(highlight=False, markup=False).print(
        f"{db.records} advisories for {len(db.by_package)} PyPI packages, dated {db.date}"
        f" ({db.date_basis}), cached in {db.location}"
    )


@app.command("show")
def show() -> None:
    """Which snapshot the audit would use, and its date."""
    db = advisories.locate(None)
    out = Console(highlight=False, markup=False)
    if db is None:
        out.print(f"no advisory database: {advisories.UPDATE_HINT}")
        raise typer.Exit(1)
    out.print(f"{db.location}: {db.records} advisories, dated {db.date} ({db.date_basis})")
