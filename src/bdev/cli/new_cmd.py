"""`bdev new --spec FILE`: generate a service skeleton from an OpenAPI document.

No model is called: mechanical CRUD operations get working bodies, the others are
slots that answer 501 until written (later by the model, from `--describe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from bdev.errors import BdevError
from bdev.specfirst import Options, build_plan, generate, load_spec, read_requirements


def new(
    spec: Annotated[Path, typer.Option(help="The OpenAPI 3.0/3.1 document (YAML or JSON).")],
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
) -> None:
    """Generate a FastAPI or Flask service from an OpenAPI spec (no model involved)."""
    if framework not in ("fastapi", "flask"):
        raise BdevError(f"--framework must be fastapi or flask, not {framework!r}")
    chosen: Literal["fastapi", "flask"] = "fastapi" if framework == "fastapi" else "flask"
    plan = build_plan(load_spec(spec), str(spec), describe=_description(describe))
    options = Options(
        framework=chosen,
        single_file=single_file,
        allowed=read_requirements(requirements) if requirements else None,
        host=host,
        port=port,
    )
    written = generate(plan, options, out, force=force)
    slots = plan.slots(single_file=single_file)
    console = Console()
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
