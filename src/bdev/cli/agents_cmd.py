"""`bdev agents list|show|validate`: rendering only; the work is in bdev.agents."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bdev.agents.definition import AgentDefinition, validate_file
from bdev.agents.fields import REFUSED
from bdev.agents.problems import Problem, display_path
from bdev.agents.registry import AgentRegistry, duplicate_problems
from bdev.errors import BdevError
from bdev.llm.base import ToolSpec
from bdev.runtime.profile import SMALL_BUDGET, Profile, estimate_prefix, parse_profile
from bdev.runtime.prompt import first_request

app = typer.Typer(help="List, inspect and check agent definitions.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

AgentsDir = Annotated[
    Path | None,
    typer.Option("--agents-dir", help="A folder of definitions that overrides all others."),
]
Workspace = Annotated[
    Path | None,
    typer.Option("--workspace", help="Project root whose .claude/agents/ is searched [cwd]."),
]


def _registry(workspace: Path | None, agents_dir: Path | None) -> AgentRegistry:
    return AgentRegistry(workspace or Path.cwd(), agents_dir=agents_dir)


@contextmanager
def _own_warnings() -> Iterator[None]:
    """These commands render definition warnings themselves; don't log them twice."""
    logger = logging.getLogger("bdev.agents")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def _tools(definition: AgentDefinition) -> str:
    return "all" if definition.tools is None else ", ".join(definition.tools)


@app.command("list")
def list_agents(agents_dir: AgentsDir = None, workspace: Workspace = None) -> None:
    """Every definition found: the effective one per name, then overridden and broken files."""
    registry = _registry(workspace, agents_dir)
    with _own_warnings():
        effective, shadowed, broken = registry.all(), registry.shadowed, registry.broken
        duplicates = registry.duplicates
    table = Table(box=box.SIMPLE_HEAD, expand=True)
    for column in ("name", "source", "model"):
        table.add_column(column, no_wrap=True)
    # Flexible columns share what the others leave, each cut to one line.
    table.add_column("tools", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("description", ratio=2, min_width=16, no_wrap=True, overflow="ellipsis")
    table.add_column("status", no_wrap=True)
    # Overridden definitions sort right after the one that hides them (stable sort).
    for d in sorted([*effective, *shadowed, *duplicates], key=lambda d: d.key):
        if any(d is dup for dup in duplicates):
            table.add_row(*_cells(d), Text("duplicate", style="yellow"), style="dim")
        elif registry.shadowed_by(d) is not None:
            table.add_row(*_cells(d), Text("overridden"), style="dim")
        elif d.warnings:
            count = len(d.warnings)
            status = f"{count} warning{'s' if count > 1 else ''}"
            table.add_row(*_cells(d), Text(status, style="yellow"))
        else:
            table.add_row(*_cells(d), Text("ok"))
    for b in broken:
        problem = f"{b.problem.line}: {b.problem.field}: {b.problem.message}"
        cells = [Text(b.path.name), Text(b.source), None, None, Text(problem), Text("broken")]
        table.add_row(*cells, style="red")
    out.print(table)
    if broken or duplicates or any(d.warnings for d in effective):
        out.print("details: bdev agents validate")


def _cells(d: AgentDefinition) -> list[Text]:
    # Text cells: descriptions may hold [brackets] that rich would read as markup.
    return [Text(d.name), Text(d.source), Text(d.model or "-"), Text(_tools(d)), Text(d.first_line)]


def _profile_option(value: str | None) -> str | None:
    try:
        return parse_profile(value) if value is not None else None
    except BdevError as e:
        raise typer.BadParameter(str(e)) from None


@app.command("show")
def show(
    agent: Annotated[str, typer.Argument(help="An agent name or a definition file.")],
    agents_dir: AgentsDir = None,
    workspace: Workspace = None,
    prompt: Annotated[
        bool,
        typer.Option(
            "--prompt",
            help="Print only what the model receives: the system prompt as rendered, "
            "then the tools' JSON specs.",
        ),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="full|small",
            help="Print what a model of this profile receives (full: large models; small: "
            "the embedded ones, or any configured with small = true), with a token count.",
            callback=_profile_option,
        ),
    ] = None,
) -> None:
    """One definition: its fields, resolved tools, examples and the rendered system prompt."""
    with _own_warnings():
        d = _registry(workspace, agents_dir).get(agent)
    # The prompt names the workspace and today's date, as a run here today would send it.
    root = (workspace or Path.cwd()).expanduser().resolve()
    chosen = parse_profile(profile) if profile else "full"
    system, specs = first_request(d, root, chosen)
    if prompt or profile:
        typer.echo(system)
        typer.echo("\n--- tools (sent beside the messages on every request) ---")
        typer.echo(json.dumps([asdict(s) for s in specs], indent=2, ensure_ascii=False))
        if profile:
            typer.echo(f"\n--- {_token_count(system, specs, chosen)} ---")
        return
    fields = [
        ("name", d.name),
        ("source", d.source),
        ("path", display_path(d.path) if d.path else "-"),
        ("model", d.model or "- (the parent's, else the configured model)"),
        ("color", d.color or "-"),
        ("tools", _offered(d)),
        *_limits(d),
        ("examples", str(len(d.examples))),
    ]
    fields += [
        (f"{key} (refused)", f"{value!r}: {REFUSED[key]}") for key, value in d.refused.items()
    ]
    fields += [(f"{key} (ignored)", repr(value)) for key, value in d.extra.items()]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        out.print(Text.assemble((f"{key:<{width}}  ", "bold"), value))
    for warning in d.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))
    out.print(Text("\ndescription", style="bold"))
    out.print(Text(d.summary))
    out.print(Text("\nsystem prompt (as a run here would send it; raw: --prompt)", style="bold"))
    out.print(Text(system))


def _offered(d: AgentDefinition) -> str:
    names = ", ".join(d.allowed_tools) or "none"
    return names + (" (all)" if d.tools is None and not d.disallowed_tools else "")


def _limits(d: AgentDefinition) -> list[tuple[str, str]]:
    """The fields that narrow what the agent may do, when the definition sets them."""
    rows = [
        ("disallowedTools", ", ".join([*d.disallowed_tools, *d.deny_rules])),
        ("sub-agents", ", ".join(d.subagent_types or [])),
        ("tool rules", ", ".join(f"{t}({r})" for t, rs in d.tool_rules.items() for r in rs)),
        ("MCP tools", ", ".join(d.mcp_tools)),
        ("mcpServers", ", ".join(e if isinstance(e, str) else e[0] for e in d.mcp_servers)),
        ("permissionMode", d.permission_mode or ""),
        ("maxTurns", str(d.max_turns or "")),
        ("initialPrompt", d.initial_prompt or ""),
    ]
    return [(k, v) for k, v in rows if v and not v.startswith(" (")]


def _token_count(system: str, specs: list[ToolSpec], profile: Profile) -> str:
    """How many tokens the system turn and the schemas take: counted by the embedded
    model's tokenizer when it is installed, else estimated (and labelled so)."""
    from bdev.llm.local.tokenizer import load_tokenizer  # loads llama_cpp, when present

    budget = f"; small-profile budget {SMALL_BUDGET}" if profile == "small" else ""
    tokenizer = load_tokenizer()
    if tokenizer is None:
        n = estimate_prefix(system, specs)
        return f"~{n} tokens (ESTIMATE: the embedded model's tokenizer is not installed){budget}"
    n = tokenizer.prefix_tokens(system, specs)
    where = f"{tokenizer.model_id} tokenizer, chat template applied"
    return f"{n} tokens of system prompt + tool schemas ({where}){budget}"


@app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to check [every discovered definition]."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    agents_dir: AgentsDir = None,
    workspace: Workspace = None,
) -> None:
    """Check definition files and print every problem as file:line: field: message."""
    if paths:
        groups = [_expand(p) for p in paths]
    else:
        registry = _registry(workspace, agents_dir)
        found = registry.files()
        groups = [[f for f, s in found if s == p.source] for p in registry.places]
    files = [f for group in groups for f in group]
    problems: list[Problem] = [p for f in files for p in validate_file(f)]
    # Duplicates count within one folder (one place), as discovery resolves them.
    problems += [p for group in groups for p in duplicate_problems(group)]
    for p in problems:
        out.print(Text(str(p), style=_STYLES[p.severity]))
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    notes = len(problems) - errors - warnings
    bad = len({p.file for p in problems if p.severity == "error"})
    out.print(
        f"checked {_count(len(files), 'file')}: {_count(errors, 'error')} in "
        f"{_count(bad, 'file')}, {_count(warnings, 'warning')}"
        + (f", {_count(notes, 'note')} (fields bdev refuses)" if notes else "")
    )
    # Only folders the user named must hold definitions; the discovered places may not.
    empty = [p for p, group in zip(paths, groups, strict=True) if not group] if paths else []
    for folder in empty:
        out.print(Text(_no_definitions(folder), style="red"))
    if errors or empty or (strict and warnings):
        raise typer.Exit(1)


_STYLES = {"error": "red", "warning": "yellow", "note": "cyan"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _no_definitions(folder: Path) -> str:
    """Why a folder given to validate held nothing to check."""
    others = sorted(f.name for f in folder.rglob("*") if f.is_file())
    where = display_path(folder)
    if not others:
        return f"{where}: no definition files (definitions are .md files)"
    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
    return (
        f"{where}: no .md definition files (found {_count(len(others), 'other file')}: "
        f"{shown}); definitions must end in .md, or give a file itself to check it"
    )


def _expand(path: Path) -> list[Path]:
    # A folder means its definitions, as discovery would find them (READMEs are not
    # definitions); a file is checked whatever its extension.
    if path.is_dir():
        return sorted(
            f for f in path.rglob("*.md") if f.is_file() and f.name.lower() != "readme.md"
        )
    return [path]
