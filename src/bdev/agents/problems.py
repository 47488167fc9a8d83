"""What can be wrong with a definition file, and the error the loader raises for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bdev.errors import BdevError

# A note says what bdev does not support (a refused field): the file itself is fine.
Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """One finding about a definition file, rendered as `file:line: field: message`.

    `line` is 1-based; `field` is the front-matter key concerned, or a short label such as
    "front matter" or "body" when no single key is to blame.
    """

    file: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.field}: {self.message}"
        return text if self.severity == "error" else f"{text} ({self.severity})"


class DefinitionError(BdevError):
    """A definition file cannot be used; carries the problem that stopped loading."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def display_path(path: Path | None) -> str:
    """The path as the user would type it: relative to the cwd when below it."""
    if path is None:
        return "<text>"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
