"""Which module holds the application object, and how a test imports it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bdev.backend.facts import BackendFacts

FRAMEWORKS = ("fastapi", "starlette", "flask")  # those with an in-process test client


@dataclass(frozen=True)
class AppTarget:
    framework: str
    app_dir: str  # relative to the root, "" for the root itself: goes on sys.path
    module: str
    attribute: str
    factory: bool  # `attribute` is a function that builds the application


def app_target(facts: BackendFacts) -> AppTarget | None:
    """The analysed start target (`backend/entry.py`) as an import; None when the
    framework has no in-process test client here or no application object was found."""
    entry = facts.entry_point
    if facts.framework not in FRAMEWORKS or entry is None or not entry.app:
        return None
    where, _, attribute = entry.app.rpartition(":")
    factory = attribute.endswith("()") or "--factory" in entry.command
    attribute = attribute.removesuffix("()")
    if where.endswith(".py"):  # Flask's file form: the package root is found as flask does
        return _from_file(facts, where, attribute, factory)
    app_dir = ""
    if "--app-dir" in entry.command:
        app_dir = entry.command[entry.command.index("--app-dir") + 1]
    return AppTarget(facts.framework, app_dir, where, attribute, factory)


def _from_file(facts: BackendFacts, rel: str, attribute: str, factory: bool) -> AppTarget:
    root = Path(facts.root)
    path = PurePosixPath(rel)
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while folder != PurePosixPath(".") and (root / folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    app_dir = "" if folder == PurePosixPath(".") else str(folder)
    return AppTarget(str(facts.framework), app_dir, ".".join(parts), attribute, factory)
