"""`bdev run` and `bdev sessions`: parse, render; `bdev.runtime.dispatch` decides the path."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.prompt import Confirm
from rich.table import Column, Table

from bdev.cli import summary
from bdev.cli.terminal import TerminalView, stream_json_sink
from bdev.runtime.dispatch import (
    Notice,
    Outcome,
    Overrides,
    Route,
    RunRequest,
    WorkflowMode,
    resolve_workspace,
    start,
)
from bdev.runtime.session import find_session, list_sessions, load_session
from bdev.workflow.delivery import Readiness

sessions_app = typer.Typer(help="List and inspect session transcripts.", no_args_is_help=True)
err = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    stream_json = "stream-json"


def _ask(tool: str, args: dict[str, Any]) -> bool:
    summary_text = json.dumps(args, ensure_ascii=False)
    if len(summary_text) > 300:
        summary_text = summary_text[:300] + "…"
    return Confirm.ask(f"Allow [bold]{tool}[/] {summary_text}?", console=err, default=False)


def run(
    task: Annotated[str | None, typer.Argument(help="What to do. Optional with --resume.")] = None,
    agent: Annotated[str | None, typer.Option(help="Agent name or definition file.")] = None,
    model: Annotated[
        str | None,
        typer.Option(help="local | local:ID | openai:MODEL | anthropic:MODEL | scripted:FILE"),
    ] = None,
    workspace: Annotated[Path | None, typer.Option(help="The repository to work in.")] = None,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Stop after N model turns.")] = None,
    max_seconds: Annotated[float | None, typer.Option(min=1, help="Wall-time limit.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Token limit (in+out).")] = None,
    permission_mode: Annotated[
        str | None, typer.Option(help="default | acceptEdits | plan | bypassPermissions")
    ] = None,
    allow: Annotated[
        list[str] | None, typer.Option(help='Allow rule, e.g. "Bash(pytest:*)".')
    ] = None,
    deny: Annotated[
        list[str] | None, typer.Option(help='Deny rule, e.g. "Bash(git push:*)".')
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option(help="text | json | stream-json")] = (
        OutputFormat.text
    ),
    resume: Annotated[str | None, typer.Option(help="Continue session ID.")] = None,
    agents_dir: Annotated[Path | None, typer.Option(help="Extra folder of definitions.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Endpoint for openai:/anthropic: models.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (else from the environment).")
    ] = None,
    workflow: Annotated[
        WorkflowMode,
        typer.Option(
            help="backend: analyse, implement with the agent loop, audit against gates; "
            "guided: the same with program-led rounds (bdev picks the file, the model "
            "rewrites it, checked); auto: the backend workflow when the agent can change "
            "files and run commands and declares API work, guided on a small model; "
            "none: the plain loop."
        ),
    ] = WorkflowMode.AUTO,
    no_gates: Annotated[bool, typer.Option("--no-gates", help="Skip the readiness phase.")] = False,
    rounds: Annotated[int | None, typer.Option(min=1, help="Implementation rounds budget.")] = None,
) -> None:
    """Run an agent on a task in a workspace."""
    fmt = output_format
    text = fmt is OutputFormat.text
    request = RunRequest(
        task=task,
        workspace=resolve_workspace(workspace),
        agent=agent,
        agents_dir=agents_dir,
        model=model,
        resume=resume,
        overrides=Overrides(
            max_steps=max_steps,
            max_seconds=max_seconds,
            max_tokens=max_tokens,
            permission_mode=permission_mode,
            allow=tuple(allow or ()),
            deny=tuple(deny or ()),
            base_url=base_url,
            api_key=api_key,
        ),
        workflow=workflow,
        gates=not no_gates,
        rounds=rounds,
        sinks=[stream_json_sink] if fmt is OutputFormat.stream_json else [],
        progress=_progress(fmt),
        ask=_ask,
        interactive=text and sys.stdin.isatty() and sys.stderr.isatty(),
    )
    if text:
        with TerminalView(err) as view:
            outcome = start(replace(request, sinks=[view]))
    else:
        outcome = start(request)
    _render(outcome, fmt)
    raise typer.Exit(outcome.exit_code)


def _progress(fmt: OutputFormat) -> Callable[[Notice], None] | None:
    """Text shows every notice, json only the agent chosen, stream-json none."""
    if fmt is OutputFormat.stream_json:
        return None
    return _notice if fmt is OutputFormat.text else _agent_notice


def _notice(notice: Notice) -> None:
    if notice.kind == "agent":
        err.print(f"[bold]agent:[/] {notice.text}")
    elif notice.kind == "spec-first":
        err.print(f"[bold]spec-first:[/] {notice.text}")
    elif notice.kind == "audit":
        err.print(f"[dim]audit: {notice.text}[/]")
    else:
        err.print(f"[dim]{notice.text}[/]")


def _agent_notice(notice: Notice) -> None:
    if notice.kind == "agent":
        _notice(notice)


def _render(outcome: Outcome, fmt: OutputFormat) -> None:
    if outcome.route is Route.SPEC_FIRST:
        assert outcome.build is not None
        if fmt is OutputFormat.text:
            summary.build_summary(Console(highlight=False), outcome.build)
        else:
            print(outcome.build.model_dump_json())
        return
    result, wf = outcome.run, outcome.workflow
    assert result is not None
    if fmt is OutputFormat.json:
        print(json.dumps(summary.run_json(outcome.session_id, result, wf), ensure_ascii=False))
    elif fmt is OutputFormat.text:
        if result.final:
            Console().print(result.final, highlight=False, markup=False)
        summary.run_status_line(err, outcome.session_id, result)
        if wf is not None and wf.status is not Readiness.NOT_CHECKED:
            summary.readiness(Console(highlight=False), err, wf)


@sessions_app.command("list")
def sessions_list(
    workspace: Annotated[Path | None, typer.Option(help="The repository.")] = None,
) -> None:
    """List the sessions recorded in a workspace."""
    ws = resolve_workspace(workspace)
    records = list_sessions(ws)
    if not records:
        err.print(f"no sessions in {ws / '.bdev' / 'sessions'}")
        return
    table = Table("agent", "model", "status", "steps", "task")
    table.columns.insert(0, Column("id", no_wrap=True))
    for r in records:
        status = r.end.get("status") if r.end else "unfinished"
        task = str(r.start.get("task", "")).replace("\n", " ")
        table.add_row(
            r.id,
            r.start.get("agent", ""),
            r.start.get("model", ""),
            status,
            str(r.steps),
            task[:60],
        )
    Console().print(table)


@sessions_app.command("show")
def sessions_show(
    session_id: Annotated[str, typer.Argument(help="Session id (a unique prefix works).")],
    workspace: Annotated[Path | None, typer.Option(help="The repository.")] = None,
    raw: Annotated[bool, typer.Option("--json", help="Print the raw JSONL events.")] = False,
) -> None:
    """Show one session's conversation and outcome."""
    ws = resolve_workspace(workspace)
    record = load_session(find_session(ws, session_id))
    if raw:
        for e in record.events:
            print(json.dumps(e, ensure_ascii=False))
        return
    out = Console(highlight=False)
    s = record.start
    out.print(f"[bold]session[/] {record.id}  agent={s.get('agent')}  model={s.get('model')}")
    out.print(f"[bold]task[/] {s.get('task')}")
    for m in record.messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            body = m.content if len(m.content) < 600 else m.content[:600] + "…"
            style = "red" if m.is_error else "dim"
            out.print(f"[{style}]  ↳ {m.name}: {body}[/]", markup=True)
            continue
        if m.content.strip():
            out.print(f"[bold]{m.role}:[/] ", end="")
            out.print(m.content.strip(), markup=False)
        for c in m.tool_calls:
            out.print(f"[cyan]  ● {c.name}[/] {json.dumps(c.arguments, ensure_ascii=False)[:300]}")
    if record.end:
        e = record.end
        out.print(f"[bold]end[/] {e.get('status')} {e.get('detail', '')} · usage {e.get('usage')}")
    else:
        out.print("[yellow]unfinished: continue it with bdev run --resume " + record.id + "[/]")
