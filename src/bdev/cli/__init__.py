"""The `bdev` command: a thin shell over the library.

Each command group lives in its own module; this one only assembles them and turns
user errors into one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bdev.errors import BdevError

app = typer.Typer(
    name="bdev",
    help="An autonomous backend developer that measures what it reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Imported here so that `bdev --help` stays quick and each group stays independent.
    from bdev.cli import (
        agents_cmd,
        analyze_cmd,
        audit_cmd,
        config_cmd,
        doctor_cmd,
        eval_cmd,
        models_cmd,
        new_cmd,
        run_cmd,
    )

    app.add_typer(agents_cmd.app, name="agents")
    app.add_typer(models_cmd.app, name="models")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(run_cmd.sessions_app, name="sessions")
    app.command("run")(run_cmd.run)
    app.command("analyze")(analyze_cmd.analyze)
    app.command("audit")(audit_cmd.audit)
    app.command("new")(new_cmd.new)
    app.command("eval")(eval_cmd.evaluate)
    app.command("doctor")(doctor_cmd.doctor)


def main() -> None:
    _register()
    try:
        app()
    except BdevError as e:
        Console(stderr=True).print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)
