"""`bdev team init|run|status`: parse, render; the work is in bdev.team."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bdev.cli.visible import visible
from bdev.runtime.dispatch import Overrides, resolve_workspace
from bdev.team.layout import TeamPaths, init
from bdev.team.orchestrator import Team, TeamOptions
from bdev.team.overview import overview
from bdev.team.runs import RunSettings
from bdev.team.statusfile import Mark

app = typer.Typer(
    help="A team of agents working through phases and milestones kept in status files.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Workspace = Annotated[Path | None, typer.Option("--workspace", help="The project root [cwd].")]
_MARKS = {
    Mark.DONE: "[green]\\[x][/]",
    Mark.OPEN: "\\[ ]",
    Mark.ACTIVE: "[yellow]\\[~][/]",
    Mark.BLOCKED: "[red]\\[!][/]",
}


@app.command("init")
def init_cmd(
    brief: Annotated[Path, typer.Option("--brief", help="The project brief (Markdown).")],
    workspace: Workspace = None,
    force: Annotated[bool, typer.Option("--force", help="Rewrite existing status files.")] = False,
) -> None:
    """Lay out the folders and status files of a one-milestone project."""
    root = resolve_workspace(workspace)
    for path in init(root, brief, force=force):
        out.print(f"wrote {escape(str(path.relative_to(root)))}")
    out.print("next: edit the status files if you like, then `bdev team run`")


@app.command("run")
def run_cmd(
    workspace: Workspace = None,
    model: Annotated[
        str | None,
        typer.Option(help="local | local:ID | openai:MODEL | anthropic:MODEL | scripted:FILE"),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Tasks run at the same time.")] = 1,
    agents_dir: Annotated[Path | None, typer.Option(help="Extra folder of definitions.")] = None,
    max_rounds: Annotated[
        int, typer.Option(min=1, help="Review rounds before an implementation is blocked.")
    ] = 3,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Model turns per run.")] = None,
    permission_mode: Annotated[
        str | None, typer.Option(help="default | acceptEdits | bypassPermissions | dontAsk")
    ] = None,
    no_gates: Annotated[
        bool,
        typer.Option("--no-gates", help="No readiness gates: merge on approval alone."),
    ] = False,
    no_gh: Annotated[
        bool, typer.Option("--no-gh", help="Keep pull requests as local files even if gh works.")
    ] = False,
    no_sandbox: Annotated[
        bool, typer.Option("--no-sandbox", help="Run Bash and audited code unconfined.")
    ] = False,
) -> None:
    """Run the ready tasks in dependency order until none is left."""
    root = resolve_workspace(workspace)
    settings = RunSettings(
        model=model,
        agents_dir=agents_dir,
        overrides=Overrides(
            max_steps=max_steps,
            permission_mode=permission_mode,
            sandbox=False if no_sandbox else None,
        ),
        gates=not no_gates,
    )
    options = TeamOptions(
        run=settings, jobs=jobs, max_rounds=max_rounds, use_gh=not no_gh, progress=_progress
    )
    result = Team(root, options).run()
    out.print(
        f"done {len(result.done)}, blocked {len(result.blocked)}, "
        f"refused {len(result.refused)}, still open {len(result.open)}"
    )
    for task_id, why in [*result.blocked, *result.refused]:
        out.print(f"  {escape(task_id)}: {escape(visible(why))}")
    raise typer.Exit(0 if result.finished else 1)


def _progress(kind: str, text: str) -> None:
    err.print(f"[dim]{escape(kind)}:[/] {escape(visible(text))}")


@app.command("status")
def status_cmd(workspace: Workspace = None) -> None:
    """Phases, milestones, tasks, who waits on whom, and each delivery report."""
    root = resolve_workspace(workspace)
    team = Team(root)
    for view in overview(TeamPaths(root), team.board()):
        out.print(f"[bold]{escape(str(view.path))}[/]")
        for section in view.sections:
            out.print(f"  [bold]{escape(section.name)}[/] ({section.done}/{len(section.tasks)})")
            for row in section.tasks:
                who = row.owner + (f" -> {row.agent}" if row.agent else "")
                out.print(f"    {_MARKS[row.mark]} {escape(row.id)} ({escape(who)})")
                if row.waits_on and row.mark is not Mark.DONE:
                    waits = ", ".join(f"{t} ({o})" for t, o in row.waits_on)
                    out.print(f"        waits on {escape(waits)}")
                for path in row.delivery:
                    out.print(f"        delivery: {escape(path)}")
                if row.blocked:
                    out.print(f"        [red]blocked:[/] {escape(visible(row.blocked))}")
