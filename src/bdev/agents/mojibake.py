"""Spotting text that was UTF-8 decoded twice ("âœ…" for "✅").

Such files must still load unchanged (a seed definition has it), so this only feeds a
warning. A library such as ftfy would also repair it; we never repair, so a short check
is enough: a run of non-ASCII characters that becomes valid UTF-8 when encoded back with
the usual wrong codec was almost certainly double-decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


@dataclass(frozen=True)
class Mojibake:
    line: int  # 0-based line within the text searched
    garbled: str
    meant: str


def find_mojibake(text: str) -> Mojibake | None:
    """The first double-decoded run in `text`, if any."""
    for line_no, line in enumerate(text.split("\n")):
        for m in _NON_ASCII_RUN.finditer(line):
            meant = _repair(m.group())
            if meant is not None:
                return Mojibake(line_no, m.group(), meant)
    return None


def _repair(run: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            meant = run.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if meant != run:
            return meant
    return None
