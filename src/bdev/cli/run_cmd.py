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
from rich.table import Column, Table

from bdev.agents.registry import AgentRegistry
from bdev.agents.router import choose_agent
from bdev.config import load_config
from bdev.errors import BdevError
from bdev.runtime.limits import EXIT_CODES
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.runtime.session import find_session, list_sessions, load_session
from bdev.workflow.backend import (
    NOT_READY_EXIT,
    WorkflowOptions,
    WorkflowResult,
    run_backend_workflow,
)

sessions_app = typer.Typer(help="List and inspect session transcripts.", no_args_is_help=True)
err = Console(stderr=True, highlight=False)


class Workflow(StrEnum):
    auto = "auto"
    backend = "backend"
    none = "none"


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
    workflow: Annotated[
        Workflow,
        typer.Option(
            help="backend: analyse, implement, audit against gates; auto: when the agent is "
            "a backend agent; none: the plain loop."
        ),
    ] = Workflow.auto,
    no_gates: Annotated[bool, typer.Option("--no-gates", help="Skip the readiness phase.")] = False,
    rounds: Annotated[int | None, typer.Option(min=1, help="Implementation rounds budget.")] = None,
) -> None:
    """Run an agent on a task in a workspace."""
    ws = resolve_workspace(workspace)
    if not task and not resume:
        raise BdevError("give a TASK, or --resume ID to continue a session")
    if agents_dir is not None and not agents_dir.is_dir():
        raise BdevError(f"--agents-dir {agents_dir} is not a directory")
    provider = (model or "").split(":", 1)[0]
    flags: dict[str, Any] = {
        "gates.max_rounds": rounds,
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

    if not resume and not agent and workflow is not Workflow.none:
        from bdev.specfirst.taskspec import detect_spec_task

        spec_task = detect_spec_task(task or "", ws)
        if spec_task is not None:
            _run_spec_first(spec_task, ws, runner, model or config["model"], no_gates, fmt)
            return

    definition = None
    if not resume:
        if agent:
            definition = registry.get(agent)
        else:
            choice = choose_agent(task or "", registry.all())
            definition = choice.agent
            if fmt is not OutputFormat.stream_json:
                err.print(f"[bold]agent:[/] {definition.name} ({choice.reason})")
    use_workflow = definition is not None and (
        workflow is Workflow.backend
        or (workflow is Workflow.auto and is_backend_agent(definition.name))
    )

    def go() -> tuple[str, RunResult, WorkflowResult | None]:
        if resume:
            return (*runner.resume(resume, task), None)
        assert definition is not None
        if not use_workflow:
            return (*runner.start(task or "", definition), None)
        options = WorkflowOptions.from_config(config, run_gates=not no_gates)
        wf = run_backend_workflow(runner, task or "", definition, options, progress=audit_note)
        return wf.session_id, wf.run, wf

    def audit_note(text: str) -> None:
        if fmt is OutputFormat.text:
            err.print(f"[dim]audit: {text}[/]")

    if fmt is OutputFormat.stream_json:
        from bdev.cli.render import stream_json_sink

        runner.sinks.append(stream_json_sink)
        session_id, result, wf = go()
    elif fmt is OutputFormat.json:
        session_id, result, wf = go()
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
        if wf is not None:
            out["readiness"] = wf.status
            out["report"] = str(wf.report_dir) if wf.report_dir else None
            out["gates"] = [g.to_dict() for g in wf.gates]
        print(json.dumps(out, ensure_ascii=False))
    else:
        from bdev.cli.render import TerminalView

        with TerminalView(err) as view:
            runner.sinks.append(view)
            session_id, result, wf = go()
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
        if wf is not None and wf.status != "not checked":
            _print_readiness(wf)
    code = EXIT_CODES[result.status]
    if code == 0 and wf is not None and wf.status == "not ready":
        code = NOT_READY_EXIT
    raise typer.Exit(code)


def _run_spec_first(
    spec_task: Any, ws: Path, runner: Runner, model_spec: str, no_gates: bool, fmt: OutputFormat
) -> None:
    """A task that carries an OpenAPI document: build the service spec-first (bdev
    writes the mechanical part, the model fills one operation at a time)."""
    from bdev.cli.new_cmd import _summary
    from bdev.specfirst.pipeline import build_service

    busy = [p for p in ws.iterdir() if not p.name.startswith(".") and p != spec_task.spec]
    out = ws / "service" if busy else ws
    quiet = fmt is not OutputFormat.text
    if not quiet:
        err.print(
            f"[bold]spec-first:[/] an OpenAPI document in the task; building a "
            f"{spec_task.framework} service in {out} with {model_spec}"
        )
    report = build_service(
        spec_task.spec,
        out,
        describe=spec_task.describe,
        model=runner._model(model_spec),
        framework=spec_task.framework,
        single_file=spec_task.single_file,
        verify_service=not no_gates,
        audit=not no_gates,
        force=out == ws,
        progress=None if quiet else (lambda text: err.print(f"[dim]{text}[/]")),
    )
    if quiet:
        print(report.model_dump_json())
    else:
        _summary(Console(highlight=False), report)
    if report.not_implemented or report.failing_verification:
        raise typer.Exit(NOT_READY_EXIT)


def is_backend_agent(name: str) -> bool:
    return "backend" in name.lower()


def _print_readiness(wf: WorkflowResult) -> None:
    out = Console(highlight=False)
    table = Table("gate", "result", "evidence", title=f"readiness: {wf.status}")
    for g in wf.gates:
        table.add_row(g.name, "[green]pass[/]" if g.passed else "[red]FAIL[/]", g.evidence)
    out.print(table)
    out.print(wf.notification, markup=False)
    if wf.report_dir:
        err.print(f"[dim]report: {wf.report_dir / 'delivery.md'}[/]")


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
