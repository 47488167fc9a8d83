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
from rich.markup import escape
from rich.prompt import Confirm
from rich.table import Column, Table
from rich.text import Text

from bdev.cli import summary
from bdev.cli.stream_json import ClaudeStream
from bdev.cli.terminal import TerminalView
from bdev.cli.visible import visible
from bdev.errors import BdevError
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
from bdev.runtime.events import Event, EventType
from bdev.runtime.session import find_session, list_sessions, load_session
from bdev.workflow.delivery import Readiness

sessions_app = typer.Typer(help="List and inspect session transcripts.", no_args_is_help=True)
err = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    stream_json = "stream-json"


def _ask(tool: str, args: dict[str, Any]) -> bool:
    # What is approved must be what is shown: no markup, no terminal escapes (json.dumps
    # leaves DEL, C1 controls and bidi overrides as they are).
    summary_text = visible(json.dumps(args, ensure_ascii=False))
    if len(summary_text) > 300:
        summary_text = summary_text[:300] + "…"
    question = f"Allow [bold]{escape(tool)}[/] {escape(summary_text)}?"
    return Confirm.ask(question, console=err, default=False)


def _ask_trust(config_file: Path, keys: list[str]) -> bool:
    err.print(
        f"[yellow]{escape(str(config_file))}[/] sets what only a trusted project may: "
        f"{escape(', '.join(keys))}. Trust it only if you know who wrote it."
    )
    return Confirm.ask("Trust this project's config?", console=err, default=False)


def run(
    task: Annotated[
        str | None,
        typer.Argument(help="What to do; - reads it from stdin. Optional with --resume."),
    ] = None,
    task_file: Annotated[Path | None, typer.Option(help="Read the task from this file.")] = None,
    input_format: Annotated[
        str, typer.Option(help="text | stream-json (user turns as JSON lines on stdin)")
    ] = "text",
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
        str | None,
        typer.Option(help="default | acceptEdits | plan | bypassPermissions | dontAsk | auto"),
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
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox",
            help="Run Bash and audited code unconfined, with your environment and network.",
        ),
    ] = False,
    mcp_config: Annotated[
        list[str] | None,
        typer.Option(
            "--mcp-config",
            help='MCP servers: a JSON file or JSON text {"mcpServers": {...}} (repeatable).',
        ),
    ] = None,
) -> None:
    """Run an agent on a task in a workspace."""
    fmt = output_format
    text = fmt is OutputFormat.text
    turns = _task_input(task, task_file, input_format)
    task = turns[0] if turns else None
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
            sandbox=False if no_sandbox else None,
        ),
        workflow=workflow,
        gates=not no_gates,
        rounds=rounds,
        # Machine formats keep stdout for JSON; warnings still reach the person on stderr.
        sinks=[ClaudeStream(), _warnings] if fmt is OutputFormat.stream_json else [_warnings],
        progress=_progress(fmt),
        ask=_ask,
        ask_trust=_ask_trust,
        interactive=text and sys.stdin.isatty() and sys.stderr.isatty(),
        mcp_config=tuple(mcp_config or ()),
    )
    if text:
        with TerminalView(err) as view:
            outcome = start(replace(request, sinks=[view]))
    else:
        outcome = start(request)
    _render(outcome, fmt)
    # Further user turns (stream-json input) continue the same session, one by one.
    for turn in turns[1:]:
        if outcome.session_id is None:
            break
        outcome = start(replace(request, task=turn, resume=outcome.session_id))
        _render(outcome, fmt)
    raise typer.Exit(outcome.exit_code)


def _warnings(event: Event) -> None:
    if event.type == EventType.WARNING:
        d = event.data
        line = f"warning: agent {d.get('agent')}: {d.get('field')}: {d.get('message')}"
        err.print(line, style="yellow", markup=False, highlight=False)


def _task_input(task: str | None, task_file: Path | None, input_format: str) -> list[str]:
    """The user turns: the TASK argument, stdin (`-` or stream-json input) or a file."""
    if input_format not in ("text", "stream-json"):
        raise BdevError(f"--input-format must be text or stream-json, not {input_format!r}")
    given = sum(x is not None for x in (task, task_file)) + (input_format == "stream-json")
    if given > 1:
        raise BdevError("give the task one way: TASK, --task-file or --input-format stream-json")
    if task_file is not None:
        try:
            return [task_file.read_text(encoding="utf-8")]
        except (OSError, UnicodeDecodeError) as e:
            raise BdevError(f"--task-file {task_file}: cannot read it ({e})") from None
    if input_format == "stream-json":
        return _stream_json_turns(sys.stdin.read())
    if task == "-":
        return [sys.stdin.read()]
    return [task] if task is not None else []


def _stream_json_turns(text: str) -> list[str]:
    """User turns from Claude Code's stream-json input: one JSON object per line,
    `{"type": "user", "message": {"role": "user", "content": "..." | [blocks]}}`."""
    turns = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if record.get("type") != "user":
                continue
            content = record["message"]["content"]
        except (json.JSONDecodeError, AttributeError, KeyError, TypeError):
            raise BdevError(f"stdin line {number}: not a stream-json user message") from None
        if isinstance(content, list):
            content = "\n".join(
                b.get("text", "")
                for b in content
                if isinstance(b, dict) and b.get("type") == "text"
            )
        turns.append(str(content))
    if not turns:
        raise BdevError("stdin held no stream-json user message")
    return turns


def _progress(fmt: OutputFormat) -> Callable[[Notice], None] | None:
    """Text shows every notice, json only the agent chosen and warnings, stream-json
    (whose stdout is the stream) only the project-trust warning, on stderr."""
    if fmt is OutputFormat.stream_json:
        return lambda notice: _notice(notice) if notice.kind == "trust" else None
    return _notice if fmt is OutputFormat.text else _agent_notice


def _notice(notice: Notice) -> None:
    text = escape(visible(notice.text))  # task and file text may hold [brackets], escapes
    if notice.kind in ("agent", "session", "spec-first"):
        err.print(f"[bold]{notice.kind}:[/] {text}")
    elif notice.kind == "audit":
        err.print(f"[dim]audit: {text}[/]")
    elif notice.kind in ("sandbox", "trust"):
        err.print(f"[yellow]{notice.kind}:[/] {text}")
    else:
        err.print(f"[dim]{text}[/]")


def _agent_notice(notice: Notice) -> None:
    if notice.kind in ("agent", "session", "sandbox", "trust"):
        _notice(notice)


def _render(outcome: Outcome, fmt: OutputFormat) -> None:
    if outcome.route is Route.SPEC_FIRST:
        assert outcome.build is not None
        if fmt is OutputFormat.text:
            summary.build_summary(Console(highlight=False), outcome.build)
        elif fmt is OutputFormat.stream_json:
            pass  # the stream's `result` line (from the end event) carries the build report
        else:
            print(outcome.build.model_dump_json())
        return
    result, wf = outcome.run, outcome.workflow
    assert result is not None
    if fmt is OutputFormat.json:
        print(json.dumps(summary.run_json(outcome.session_id, result, wf), ensure_ascii=False))
    elif fmt is OutputFormat.text:
        if result.final:
            Console().print(visible(result.final), highlight=False, markup=False)
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
        cells = (
            r.id,
            r.start.get("agent", ""),
            r.start.get("model", ""),
            status,
            r.steps,
            task[:60],
        )
        table.add_row(*(Text(str(cell)) for cell in cells))  # Text: no markup in a task
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
    if record.damaged_line is not None:
        err.print(
            f"[yellow]line {record.damaged_line} of {record.path.name} is damaged: what follows "
            "it is not shown, and a resume continues from the event before it[/]"
        )
    out.print(f"session {record.id}  agent={s.get('agent')}  model={s.get('model')}", markup=False)
    out.print(f"task {s.get('task')}", markup=False)
    for m in record.messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            body = m.content if len(m.content) < 600 else m.content[:600] + "…"
            style = "red" if m.is_error else "dim"
            out.print(f"  ↳ {m.name}: {visible(body)}", style=style, markup=False)
            continue
        if m.content.strip():
            out.print(f"[bold]{m.role}:[/] ", end="")
            out.print(visible(m.content.strip()), markup=False)
        for c in m.tool_calls:
            arguments = json.dumps(c.arguments, ensure_ascii=False)[:300]
            out.print(f"  ● {c.name} {visible(arguments)}", style="cyan", markup=False)
    for e in record.events:  # a spec-first build: its slots and verification rounds
        if e.get("type") == EventType.SLOT:
            problems = "; ".join(e.get("problems") or [])
            line = f"  slot {e.get('operation_id')}: {e.get('status')}"
            line += f" ({e.get('attempts')} attempts)"
            out.print(line + (f" · {problems}" if problems else ""), markup=False)
        elif e.get("type") == EventType.VERIFY:
            steps = ", ".join(f"{k}: {v}" for k, v in (e.get("steps") or {}).items())
            out.print(f"  verify round {e.get('round')}: {steps}", markup=False)
    if record.end:
        e = record.end
        out.print(
            f"end {e.get('status')} {e.get('detail', '')} · usage {e.get('usage')}", markup=False
        )
    else:
        out.print("[yellow]unfinished: continue it with bdev run --resume " + record.id + "[/]")
