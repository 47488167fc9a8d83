"""`bdev run` and `bdev sessions` (placeholder)."""

import typer

sessions_app = typer.Typer(help="sessions", no_args_is_help=True)


def run() -> None:
    """Run an agent on a task."""
