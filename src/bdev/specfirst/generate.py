"""Writing a rendered service to disk, trimming it once filled, and reading a
`--requirements` file."""

from __future__ import annotations

import re
from pathlib import Path

from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.specfirst.codegen.options import Options
from bdev.specfirst.codegen.pysource import names_imported, prune_definitions, ruff_tidy
from bdev.specfirst.codegen.service import render
from bdev.specfirst.plan import ServicePlan

PLAN_FILE = ".bdev/plan.json"

# The packages each framework cannot do without.
# (uvicorn only serves the app: without it the module is still a complete ASGI app.
# FastAPI brings pydantic; Flask without pydantic gets standard-library models.)
_NEEDED = {"fastapi": ("fastapi",), "flask": ("flask",)}


def generate(plan: ServicePlan, options: Options, out: Path, *, force: bool = False) -> list[Path]:
    """Render `plan` into `out` (which must be empty unless `force`); returns the files."""
    if options.allowed is not None:
        missing = [p for p in _NEEDED[options.framework] if not options.allows(p)]
        if missing:
            needed = f"needed for --framework {options.framework}"
            raise BdevError(f"the allowed packages leave out {', '.join(missing)}, {needed}")
    if out.exists() and not out.is_dir():
        raise BdevError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BdevError(f"{out}: directory is not empty (use --force to write into it)")
    files = render(plan, options)
    # The plan (with --describe) travels with the service for the model-filling step.
    files[PLAN_FILE] = plan.model_dump_json(by_alias=True, indent=2) + "\n"
    written = []
    for relative, text in files.items():
        path = out / relative
        write_text_atomic(path, text)
        written.append(path)
    ruff_tidy([p for p in written if p.suffix == ".py"], out)
    return written


def drop_unused_helpers(out: Path, single_file: bool) -> list[str]:
    """Remove the generated helpers nothing in the filled service uses (the password,
    token, file, subprocess and store code every service is generated with), so the
    delivered code is what it runs and its tests can reach. A name another module of
    the service or its tests import stays. Returns what was removed, as `module.name`."""
    tests = [  # where the generated tests are, by the task's file rules
        p.read_text(encoding="utf-8")
        for folder in ("tests", ".bdev/tests")
        for p in sorted((out / folder).glob("*.py"))
    ]
    if single_file:
        modules = {"app": out / "app.py"}
    else:
        modules = {f"app.{p.stem}": p for p in sorted((out / "app").glob("*.py"))}
    sources = {name: path.read_text(encoding="utf-8") for name, path in modules.items()}
    removed: list[str] = []
    for name, path in modules.items():
        others = [text for other, text in sources.items() if other != name]
        keep = names_imported([*tests, *others], name)
        try:
            text, dead = prune_definitions(sources[name], keep)
        except SyntaxError:
            continue  # the verification reported it; nothing to trim safely
        if dead:
            write_text_atomic(path, text)
            removed += [f"{name}.{d}" for d in dead]
    return removed


def read_requirements(path: Path) -> frozenset[str]:
    """Normalised distribution names from a requirements file (versions and extras dropped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise BdevError(f"{path}: cannot read the requirements file ({e.strerror})") from None
    names = set()
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if not match:
            raise BdevError(f"{path}:{number}: not a requirement: {line!r}")
        names.add(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return frozenset(names)
