"""`bdev config ...` (placeholder until its owner fills it in)."""

import typer

app = typer.Typer(help="config", no_args_is_help=True)
