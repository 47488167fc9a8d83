"""All status files read together: which tasks exist, which are ready, who waits on whom.

Task ids are one namespace across the files, so a milestone task can wait on a phase
task. Read afresh before every decision: a person may have edited any file meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bdev.team.statusfile import Mark, StatusError, StatusFile, Task, read_status


@dataclass(frozen=True)
class Board:
    files: tuple[StatusFile, ...]

    @property
    def tasks(self) -> list[Task]:
        return [t for f in self.files for t in f.tasks]

    def get(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def waiting_on(self, task: Task) -> list[Task]:
        """The tasks `task` names in `after` that are not done yet."""
        by_id = {t.id: t for t in self.tasks}
        return [by_id[d] for d in task.after if by_id[d].mark is not Mark.DONE]

    def ready(self) -> list[Task]:
        """Open or interrupted tasks whose dependencies are all done, in dependency order
        (then file order): `[~]` is a task a killed run left, so it comes first."""
        order = {t.id: i for i, t in enumerate(topological(self.tasks))}
        found = [
            t for t in self.tasks if t.mark in (Mark.OPEN, Mark.ACTIVE) and not self.waiting_on(t)
        ]
        return sorted(found, key=lambda t: (t.mark is not Mark.ACTIVE, order[t.id]))

    def finished(self) -> bool:
        return all(t.mark is Mark.DONE for t in self.tasks)


def load_board(paths: Iterable[Path]) -> Board:
    files = tuple(read_status(p) for p in paths)
    board = Board(files)
    _check(board)
    return board


def _check(board: Board) -> None:
    seen: dict[str, Task] = {}
    for task in board.tasks:
        if task.id in seen:
            raise StatusError(
                f"{task.where}: task id {task.id!r} is already used at {seen[task.id].where}"
            )
        seen[task.id] = task
    for task in board.tasks:
        for dep in task.after:
            if dep not in seen:
                raise StatusError(f"{task.where}: after: no task {dep!r} in the status files")
    topological(board.tasks)


def topological(tasks: list[Task]) -> list[Task]:
    """Tasks with each after its dependencies, otherwise in file order; StatusError
    naming the cycle when there is one."""
    by_id = {t.id: t for t in tasks}
    done: dict[str, bool] = {}  # False: on the current path
    out: list[Task] = []

    def visit(task: Task, path: list[str]) -> None:
        state = done.get(task.id)
        if state is True:
            return
        if state is False:
            cycle = " -> ".join([*path[path.index(task.id) :], task.id])
            raise StatusError(f"{task.where}: after: dependency cycle {cycle}")
        done[task.id] = False
        for dep in task.after:
            if dep in by_id:
                visit(by_id[dep], [*path, task.id])
        done[task.id] = True
        out.append(task)

    for task in tasks:
        visit(task, [])
    return out
