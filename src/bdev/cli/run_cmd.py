"""`bdev run` and `bdev sessions`: rendering only; the work is in bdev.runtime."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.prompt import Confirm
from rich.table import Table

from bdev.agents.registry import AgentRegistry
from bdev.agents.router import choose_agent
from bdev.config import load_config
from bdev.errors import BdevError
from bdev.runtime.limits import EXIT_CODES
from bdev.runtime.runner import Runner
from bdev.runtime.session import find_session, list_sessions, load_session

sessions_app = typer.Typer(help="List and inspect session transcripts.", no_args_is_help=True)
err = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    stream_json = "stream-json"


def resolve_workspace(workspace: Path | None) -> Path:
    path = (workspace or Path.cwd()).expanduser()
    if not path.exists():
        raise BdevError(f"workspace {path} does not exist")
    if not path.is_dir():
        raise BdevError(f"workspace {path} is not a directory")
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise BdevError(f"workspace {path} is not readable and writable by you")
    return path.resolve()


def _ask(tool: str, args: dict[str, Any]) -> bool:
    summary = json.dumps(args, ensure_ascii=False)
    if len(summary) > 300:
        summary = summary[:300] + "…"
    return Confirm.ask(f"Allow [bold]{tool}[/] {summary}?", console=err, default=False)


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
) -> None:
    """Run an agent on a task in a workspace."""
    ws = resolve_workspace(workspace)
    if not task and not resume:
        raise BdevError("give a TASK, or --resume ID to continue a session")
    if agents_dir is not None and not agents_dir.is_dir():
        raise BdevError(f"--agents-dir {agents_dir} is not a directory")
    provider = (model or "").split(":", 1)[0]
    flags: dict[str, Any] = {
        "limits.max_steps": max_steps,
        "limits.max_seconds": max_seconds,
        "limits.max_tokens": max_tokens,
        "permissions.mode": permission_mode,
        f"{provider}.base_url" if provider in ("openai", "anthropic") else "": base_url,
        f"{provider}.api_key" if provider in ("openai", "anthropic") else "": api_key,
    }
    flags.pop("", None)
    config = load_config(ws, flags)
    if allow:
        config.set("permissions.allow", [*config["permissions.allow"], *allow], "flag")
    if deny:
        config.set("permissions.deny", [*config["permissions.deny"], *deny], "flag")
    registry = AgentRegistry(project_root=ws, agents_dir=agents_dir)

    fmt = output_format
    interactive = fmt is OutputFormat.text and sys.stdin.isatty() and sys.stderr.isatty()
    runner = Runner(
        workspace=ws,
        config=config,
        registry=registry,
        ask=_ask,
        interactive=interactive,
        model_override=model,
    )

    definition = None
    if not resume:
        if agent:
            definition = registry.get(agent)
        else:
            choice = choose_agent(task or "", registry.all())
            definition = choice.agent
            if fmt is not OutputFormat.stream_json:
                err.print(f"[bold]agent:[/] {definition.name} ({choice.reason})")

    if fmt is OutputFormat.stream_json:
        from bdev.cli.render import stream_json_sink

        runner.sinks.append(stream_json_sink)
        session_id, result = _go(runner, resume, task, definition)
    elif fmt is OutputFormat.json:
        session_id, result = _go(runner, resume, task, definition)
        out = {
            "session_id": session_id,
            "status": result.status.value,
            "final": result.final,
            "detail": result.detail,
            "steps": result.steps,
            "usage": result.usage.to_dict(),
            "cost": result.cost,
            "duration_s": round(result.duration_s, 3),
        }
        print(json.dumps(out, ensure_ascii=False))
    else:
        from bdev.cli.render import TerminalView

        with TerminalView(err) as view:
            runner.sinks.append(view)
            session_id, result = _go(runner, resume, task, definition)
        if result.final:
            Console().print(result.final, highlight=False, markup=False)
        u = result.usage
        cost = f" · ${result.cost:.4f}" if result.cost is not None else ""
        status = result.status.value + (f": {result.detail}" if result.detail else "")
        err.print(
            f"[dim]session {session_id} · {status} · {result.steps} steps · "
            f"{u.input_tokens:,} in / {u.output_tokens:,} out tokens{cost} · "
            f"{result.duration_s:.1f} s[/]"
        )
    raise typer.Exit(EXIT_CODES[result.status])


def _go(runner: Runner, resume: str | None, task: str | None, definition: Any) -> tuple[str, Any]:
    if resume:
        return runner.resume(resume, task)
    return runner.start(task or "", definition)


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
    table = Table("id", "agent", "model", "status", "steps", "task")
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
