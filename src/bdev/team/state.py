"""What bdev remembers about each task between runs: `.bdev/team/tasks/ID.json`.

The status file says whether a task is done; this says how far its work got (which
session ran it, which review round it is in, where its delivery report is), so that a
killed `bdev team run` continues an interrupted session instead of starting over.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic


class Attempt(BaseModel):
    """One agent run for a task: its session and how it ended (None: unfinished)."""

    agent: str
    session_id: str | None = None
    workspace: str = ""
    exit_code: int | None = None
    readiness: str | None = None
    report: str | None = None  # the workflow's delivery report, when it wrote one
    ended: str | None = None  # how the agent's loop ended: "completed", "max_steps: ..."


class TaskState(BaseModel):
    task: str
    agent: str | None = None  # who does it (the owner, or the specialist it delegates to)
    owner: str | None = None  # the owner `agent` was chosen for (a person may change it)
    round: int = 1
    author: Attempt | None = None  # the current round's implementation run
    review: Attempt | None = None  # the current round's review run
    verdict: str | None = None
    comments: str = ""  # what the last review (or acceptance check) asked for
    comments_from: str | None = None
    branch: str | None = None
    worktree: str | None = None
    base: str | None = None  # the branch it merges into
    pr: str | None = None
    merged: str | None = None  # the merge commit
    delivery: list[str] = Field(default_factory=list)  # report paths, relative to the root
    blocked: str | None = None


def load_state(path: Path, task_id: str) -> TaskState:
    if not path.is_file():
        return TaskState(task=task_id)
    try:
        return TaskState.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as e:
        why = f"unreadable task state ({e}); delete it to start the task over"
        raise BdevError(f"{path}: {why}") from None


def save_state(path: Path, state: TaskState) -> None:
    write_text_atomic(path, state.model_dump_json(indent=1) + "\n")
