"""`bdev agents ...` (placeholder until its owner fills it in)."""

import typer

app = typer.Typer(help="agents", no_args_is_help=True)
