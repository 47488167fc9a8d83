"""The `bdev` command: a thin shell over the library.

Each command group lives in its own module; this one only assembles them and turns
user errors into one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import signal
import sys

import typer
from rich.console import Console
from rich.markup import escape

from bdev.cli.stream_json import error_record
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
        advisories_cmd,
        agents_cmd,
        analyze_cmd,
        audit_cmd,
        config_cmd,
        doctor_cmd,
        eval_cmd,
        mcp_cmd,
        models_cmd,
        new_cmd,
        run_cmd,
        team_cmd,
    )

    app.add_typer(agents_cmd.app, name="agents")
    app.add_typer(models_cmd.app, name="models")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(mcp_cmd.app, name="mcp")
    app.add_typer(advisories_cmd.app, name="advisories")
    app.add_typer(run_cmd.sessions_app, name="sessions")
    app.add_typer(team_cmd.app, name="team")
    app.command("run")(run_cmd.run)
    app.command("analyze")(analyze_cmd.analyze)
    app.command("audit")(audit_cmd.audit)
    app.command("new")(new_cmd.new)
    app.command("eval")(eval_cmd.evaluate)
    app.command("doctor")(doctor_cmd.doctor)


def main() -> None:
    _register()
    # SIGTERM (a CI's timeout, `kill`) stops a run the way Ctrl-C does: the running
    # command's process tree is killed and the transcript gets an `interrupted` end.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except BdevError as e:
        Console(stderr=True).print(
            f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True
        )
        if _machine_output(sys.argv[1:]):  # a consumer of json reads stdout, not stderr
            print(json.dumps(error_record(str(e)), ensure_ascii=False))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)


def _machine_output(argv: list[str]) -> bool:
    """Whether the command line asked for json or stream-json output."""
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--output-format=") else None
        if arg == "--output-format" and i + 1 < len(argv):
            value = argv[i + 1]
        if value in ("json", "stream-json"):
            return True
    return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
