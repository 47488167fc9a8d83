"""What `bdev team status` shows, as data: each status file's sections (phases,
milestones) and tasks, who waits on whom, and each finished task's delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bdev.team.board import Board
from bdev.team.layout import TeamPaths
from bdev.team.state import load_state
from bdev.team.statusfile import Mark


@dataclass(frozen=True)
class TaskRow:
    id: str
    title: str
    mark: Mark
    owner: str
    agent: str | None  # who runs it, when not the owner (a delegation)
    waits_on: tuple[tuple[str, str], ...]  # (task id, its owner)
    delivery: tuple[str, ...] = ()
    blocked: str | None = None
    line: int = 0


@dataclass
class Section:
    name: str
    tasks: list[TaskRow] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(t.mark is Mark.DONE for t in self.tasks)


@dataclass
class FileView:
    path: Path
    sections: list[Section] = field(default_factory=list)


def overview(paths: TeamPaths, board: Board) -> list[FileView]:
    views = []
    for status in board.files:
        view = FileView(_rel(status.path, paths.root))
        for task in status.tasks:
            if not view.sections or view.sections[-1].name != task.section:
                view.sections.append(Section(task.section or "(no heading)"))
            state = load_state(paths.task_state(task.id), task.id)
            waits = tuple((t.id, t.owner) for t in board.waiting_on(task))
            view.sections[-1].tasks.append(
                TaskRow(
                    id=task.id,
                    title=task.title,
                    mark=task.mark,
                    owner=task.owner,
                    agent=state.agent if state.agent and state.agent != task.owner else None,
                    waits_on=waits,
                    delivery=tuple(state.delivery) if task.mark is Mark.DONE else (),
                    blocked=state.blocked if task.mark is Mark.BLOCKED else None,
                    line=task.line,
                )
            )
        views.append(view)
    return views


def _rel(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path
