"""A handoff: the task, the files to read and write, and the acceptance criteria, as
data. Its text is the receiving run's task (so it opens that run's transcript); the
handing side records it too (the team log, or the handing agent's transcript)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Who hands out tasks when no agent does: the program orchestrating the team.
ORCHESTRATOR = "bdev"


@dataclass(frozen=True)
class Handoff:
    sender: str
    receiver: str
    task_id: str
    title: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    notes: str = ""  # review comments to address, the diff to review, the brief
    round: int = 1
    purpose: str = "task"  # task | review | changes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        head = {
            "task": f"Task {self.task_id}",
            "review": f"Review of {self.task_id}",
            "changes": f"Changes requested on {self.task_id}",
        }[self.purpose]
        lines = [f"{head} (round {self.round}), handed from {self.sender} to {self.receiver}.", ""]
        lines.append(f"What to do: {self.title}")
        if self.reads:
            lines.append("Read first: " + ", ".join(self.reads))
        if self.writes:
            lines.append("Write: " + ", ".join(self.writes))
        if self.acceptance:
            lines.append("Done when:")
            lines += [f"- {a}" for a in self.acceptance]
        lines.append(
            "Do not edit the status files (odyssey/status/, coordination/*/status.md): "
            "bdev ticks the box once the acceptance holds."
        )
        if self.notes:
            lines += ["", self.notes.strip()]
        return "\n".join(lines)
