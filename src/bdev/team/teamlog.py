"""The team log: one JSON line per decision the orchestrator makes (a task started, a
handoff, a delegation and why, an acceptance checked, a box ticked or not and why, a
review verdict, a merge). `.bdev/team/log.jsonl`, appended under a lock and flushed per
line, so concurrent tasks never interleave half lines and a kill loses nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bdev.team.locks import locked


class TeamLog:
    def __init__(self, path: Path, echo: Callable[[str, str], None] | None = None) -> None:
        self.path = path
        self.echo = echo  # (kind, text) for whoever watches

    def __call__(self, kind: str, text: str, **data: Any) -> None:
        record = {"ts": round(time.time(), 3), "kind": kind, "text": text, **data}
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self.path), self.path.open("a", encoding="utf-8") as f:
            f.write(line)
        if self.echo is not None:
            self.echo(kind, text)


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every whole record (a torn last line from a kill is skipped)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
