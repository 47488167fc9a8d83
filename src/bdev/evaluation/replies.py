"""How many model replies a run took, and how many were not one valid action.

Counted from the run's transcripts (`<workspace>/.bdev/sessions/*.jsonl`), the record
bdev writes as the run goes, so the figure is the same whether `bdev eval` counts it at
the end of a run or a benchmark script counts it later from a kept output folder.

A reply is malformed when the provider could not read one action from it (prose, JSON
cut off or invalid, a copied tool result) or it called a tool that is not there or with
invalid arguments. Well-formed replies the loop sent back (a repeated call, an early
final answer) and program-led answers refused by their checks are not malformed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.runtime.events import EventType, FormatError
from bdev.runtime.session import read_events, sessions_dir

# Transcripts written before format_error events carried a `kind` are told apart by the
# loop's own fixed wording for the well-formed ones.
_LOOP_WORDING = ("a final answer ", "repeated ")
_EXTRA_CALL = ": not the first call"


@dataclass
class Replies:
    total: int = 0
    malformed: int = 0
    # The first error of each malformed reply, cut to a line: what went wrong, by kind.
    errors: Counter[str] = field(default_factory=Counter)


def count_replies(workspace: Path) -> Replies:
    """Replies and malformed replies over every transcript in the workspace."""
    found = Replies()
    folder = sessions_dir(workspace)
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        bad_steps: dict[Any, str] = {}  # one count per reply, however many errors it had
        for event in read_events(path):
            if event.get("type") == EventType.MODEL_CALL:
                found.total += 1
            elif event.get("type") == EventType.FORMAT_ERROR and _malformed(event):
                first = str((event.get("errors") or [""])[0]).split("\n", 1)[0]
                bad_steps.setdefault((event.get("depth", 0), event.get("step")), first[:80])
        found.malformed += len(bad_steps)
        found.errors.update(bad_steps.values())
    return found


def _malformed(event: dict[str, Any]) -> bool:
    kind = event.get("kind")
    if kind is not None:
        try:
            return FormatError(kind).malformed
        except ValueError:
            return False  # a kind this version does not know: not claimed either way
    first = str((event.get("errors") or [""])[0])
    return not (first.startswith(_LOOP_WORDING) or first.endswith(_EXTRA_CALL))
