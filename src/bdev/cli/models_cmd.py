"""`bdev models ...` (placeholder until its owner fills it in)."""

import typer

app = typer.Typer(help="models", no_args_is_help=True)
