"""Files a task asks for by name: "create app.py with a FastAPI GET /health", "write
`notes.md`". A final answer while one of them does not exist is sent back once: a small
model often reports a file written that it never wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

# A verb of making, then (after a few filler words) a file name with an extension.
_ASKED = re.compile(
    r"\b(?:create|write|add|make|generate|produce|save)\s+"
    r"(?:(?:a|an|the|new|single|one|file|files|module|script|called|named)\s+)*"
    r"[`'\"]?([\w][\w./-]*\.[A-Za-z][A-Za-z0-9]{0,4})\b",
    re.I,
)


def promised_files(task: str) -> list[str]:
    """The relative file names the task asks to be made, in order, once each."""
    names = []
    for name in _ASKED.findall(task):
        name = name.rstrip(".")
        if name.startswith("/") or ".." in Path(name).parts or name in names:
            continue
        names.append(name)
    return names


def missing_files(task: str, workspace: Path) -> list[str]:
    return [n for n in promised_files(task) if not (workspace / n).exists()]
