"""`bdev new --spec FILE`: generate a service from an OpenAPI document.

Without `--spec`, the document is derived from `--describe` first (the operations it
names, one checked model slot each: `bdev.specfirst.prose`), shown, and kept in the
service's `.bdev/openapi.json`; the build then goes on as from a spec.

Mechanical CRUD operations get working bodies without a model; the others are slots
the model fills one at a time (from the spec and `--describe`), then the service is
verified and audited. `--no-model` stops at the skeleton (slots answer 501).

Constraints `--describe` states (allowed packages, one file, no extra files, host and
port, environment variables) are honoured as `bdev run` honours them, and echoed first;
`--requirements` wins over a package list in the text.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape

from bdev import sandbox
from bdev.cli.summary import build_summary
from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.llm.base import Model
from bdev.specfirst import Options, build_plan, generate, load_spec, read_requirements, slots_for
from bdev.specfirst.constraints import TaskConstraints, describe_constraints, read_constraints
from bdev.specfirst.pipeline import build_service, honour
from bdev.specfirst.prose import DERIVED_FILE, derive_spec


def new(
    spec: Annotated[
        Path | None,
        typer.Option(
            help="The OpenAPI 3.0/3.1 document (YAML or JSON); without it, one is derived "
            "from --describe."
        ),
    ] = None,
    describe: Annotated[
        str | None, typer.Option(help="What the service should do: text, or a file holding it.")
    ] = None,
    framework: Annotated[str, typer.Option(help="fastapi | flask")] = "fastapi",
    single_file: Annotated[
        bool, typer.Option(help="One app.py instead of an app/ package.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Directory to write the service into.")] = Path(
        "service"
    ),
    host: Annotated[str, typer.Option(help="Host in the run instructions.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port in the run instructions.")
    ] = 8000,
    requirements: Annotated[
        Path | None, typer.Option(help="Only these packages may be imported (else: stdlib).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into a non-empty --out directory.")] = False,
    model: Annotated[
        str | None,
        typer.Option(help="Model that writes the slots (default: the configured one, 'local')."),
    ] = None,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Skeleton only: slots answer 501.")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the verification rounds.")
    ] = False,
    no_audit: Annotated[
        bool, typer.Option("--no-audit", help="Skip the final audit and delivery report.")
    ] = False,
) -> None:
    """Generate a FastAPI or Flask service from an OpenAPI spec; a model writes the
    business logic the spec cannot say mechanically."""
    if framework not in ("fastapi", "flask"):
        raise BdevError(f"--framework must be fastapi or flask, not {framework!r}")
    if no_model and model:
        raise BdevError("--model and --no-model exclude each other")
    chosen: Literal["fastapi", "flask"] = "fastapi" if framework == "fastapi" else "flask"
    allowed = read_requirements(requirements) if requirements else None
    text = _description(describe)
    if spec is None and not text:
        raise BdevError("give --spec FILE, or --describe with the service's operations in it")
    if spec is None and no_model:
        raise BdevError(
            "deriving the spec from --describe needs a model; give --spec with --no-model"
        )
    stated = _stated(text, explicit_packages=allowed is not None)
    if not no_model:
        _build(spec, out, text, model, chosen, single_file, allowed, host, port, force,
               stated, verify=not no_verify, audit=not no_audit)  # fmt: skip
        return
    assert spec is not None  # no model: a spec was given (checked above)
    plan = build_plan(load_spec(spec), str(spec), describe=text)
    options = Options(
        framework=chosen, single_file=single_file, allowed=allowed, host=host, port=port
    )
    console = Console()
    if stated is not None:
        options, unmet = honour(stated, options)
        for line in describe_constraints(stated, chosen):
            console.print(f"[dim]constraint: {escape(line)}[/]", highlight=False)
        for line in unmet:
            console.print(f"[yellow]constraint not met:[/] {escape(line)}", highlight=False)
    written = generate(plan, options, out, force=force)
    slots = slots_for(plan, single_file=options.single_file)
    console.print(
        f"[bold]{plan.title}[/]: {len(plan.operations)} operations generated "
        f"({len(plan.operations) - len(slots)} working, {len(slots)} slots left for the model)",
        highlight=False,
    )
    for slot in slots:
        console.print(f"  slot  {slot.operation_id}  ({slot.file})", highlight=False)
    console.print(f"{len(written)} files written to {out}", highlight=False)
    for path in written:
        console.print(f"  {path.relative_to(out)}", highlight=False)


def _stated(text: str | None, *, explicit_packages: bool) -> TaskConstraints | None:
    """The constraints the description states, or None when it states none."""
    found = read_constraints(text) if text else None
    if found is None or not found.stated:
        return None
    return dataclasses.replace(found, packages=None) if explicit_packages else found


def _description(value: str | None) -> str | None:
    """`--describe` is either the text itself or the name of a file holding it."""
    if value is None:
        return None
    candidate = Path(value)
    try:
        if len(value) < 1024 and candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    except OSError as e:
        raise BdevError(f"{value}: cannot read the description ({e.strerror})") from None
    return value


def _build(
    spec: Path | None,
    out: Path,
    describe: str | None,
    model_spec: str | None,
    framework: Literal["fastapi", "flask"],
    single_file: bool,
    allowed: frozenset[str] | None,
    host: str,
    port: int,
    force: bool,
    stated: TaskConstraints | None,
    *,
    verify: bool,
    audit: bool,
) -> None:
    from bdev.config import load_config
    from bdev.llm.resolve import model_from_config

    console = Console(soft_wrap=True)  # progress and summary lines stay whole in logs
    config = load_config(Path.cwd())
    if verify or audit:  # both run the service's code
        for note in sandbox.apply(config, Path.cwd()):
            console.print(f"[yellow]sandbox:[/] {escape(note)}", highlight=False)
    model = model_from_config(model_spec or config.model, config)
    console.print(f"[bold]model:[/] {model.name}", highlight=False)
    document: Path | dict[str, Any] | None = spec
    if document is None:
        assert describe is not None
        document = _derive(console, describe, model)
    report = build_service(
        document,
        out,
        describe=describe,
        model=model,
        framework=framework,
        single_file=single_file,
        allowed=allowed,
        host=host,
        port=port,
        verify_service=verify,
        audit=audit,
        gates=config.gates,
        force=force,
        constraints=stated,
        progress=lambda text: console.print(f"[dim]{text}[/]", highlight=False),
    )
    if spec is None:  # the derived document goes with the service, to read or reuse
        write_text_atomic(out / DERIVED_FILE, json.dumps(document, indent=2) + "\n")
        console.print(f"derived spec: {out / DERIVED_FILE}", highlight=False)
    build_summary(console, report)


def _derive(console: Console, describe: str, model: Model) -> dict[str, Any]:
    """The OpenAPI document `describe` asks for, with what was assumed said first."""
    console.print("[dim]deriving an OpenAPI document from the description[/]", highlight=False)
    derived = derive_spec(describe, model)
    for path, item in derived.doc["paths"].items():
        for method in item:
            console.print(f"  operation  {method.upper()} {path}", highlight=False)
    for line in derived.notes:
        console.print(f"[dim]  {escape(line)}[/]", highlight=False)
    for label in derived.failed:
        console.print(
            f"[yellow]no usable answer for {label}:[/] it has no fields; give --spec to say them",
            highlight=False,
        )
    return derived.doc
