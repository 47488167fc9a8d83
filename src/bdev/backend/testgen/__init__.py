"""A pytest module for a service's API, written by bdev rather than by a model.

    ops = operations(facts, openapi_document)
    text = render_module(app_target(facts), ops, slots)
    write_module(root, text)

`operations` decides the checks from the document and the route analysis, `render`
writes them as code, `schema` resolves `$ref`s and builds values. Only bdev's own file
is ever written: one the user or an agent wrote under that name is left alone.
"""

from __future__ import annotations

from pathlib import Path

from bdev.backend.testgen.app_target import AppTarget, app_target
from bdev.backend.testgen.operations import Operation, operations
from bdev.backend.testgen.render import (
    MARKER,
    Slot,
    render_module,
    slot_call,
    slot_operations,
    slot_request,
)
from bdev.fsutil import write_text_atomic

__all__ = [
    "GENERATED",
    "AppTarget",
    "Operation",
    "Slot",
    "app_target",
    "is_ours",
    "operations",
    "render_module",
    "slot_call",
    "slot_operations",
    "slot_request",
    "write_module",
]

GENERATED = "tests/test_api_generated.py"


def is_ours(path: Path) -> bool:
    """Absent, or written by bdev (its first line is the marker)."""
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().startswith(MARKER)
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False


def write_module(root: Path, text: str) -> Path | None:
    """Write the module to `GENERATED` under `root`; None when a file of someone else's
    already has that name."""
    path = root / GENERATED
    if not is_ours(path):
        return None
    write_text_atomic(path, text)
    return path
