"""`bdev team run`: the program is the orchestrator.

Before every decision it re-reads the status files. It claims a ready task by marking it
`[~]`, hands it to its owner (or the specialist the owner's criteria delegate to) as a
normal bdev run, checks the acceptance (every file the task writes exists and is not
empty), and ticks the box. Each mark change is a one-line edit under the file's lock
that is refused, with the reason in the team log, when a person changed the line
meanwhile. Up to `jobs` tasks run at once, never two that write the same file.

A killed run leaves `[~]` marks and `.bdev/team/tasks/ID.json`; the next run takes those
tasks first: an unfinished session is resumed, a finished one is checked and ticked.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bdev.agents.capabilities import Capability
from bdev.agents.definition import AgentDefinition
from bdev.agents.registry import AgentRegistry
from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.runtime.dispatch import Notice, WorkflowMode
from bdev.runtime.limits import RunStatus
from bdev.team import delegation
from bdev.team.board import Board, load_board
from bdev.team.handoff import ORCHESTRATOR, Handoff
from bdev.team.layout import TeamPaths
from bdev.team.locks import Held
from bdev.team.runs import RunSettings, missing_outputs, run_agent, unfinished
from bdev.team.state import Attempt, TaskState, load_state, save_state
from bdev.team.statusfile import Kind, Mark, StaleLine, StatusError, Task, set_mark
from bdev.team.teamlog import TeamLog
from bdev.workflow.document import DocumentTask


@dataclass(frozen=True)
class TeamOptions:
    run: RunSettings = field(default_factory=RunSettings)
    jobs: int = 1
    max_rounds: int = 3  # review rounds of an implementation task
    use_gh: bool = True  # the gh adapter when gh is authenticated
    progress: Callable[[str, str], None] | None = None  # (kind, text) of each log record


@dataclass(frozen=True)
class WorkResult:
    ok: bool
    reason: str = ""
    delivery: tuple[str, ...] = ()


@dataclass
class TeamResult:
    done: list[str] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    open: list[str] = field(default_factory=list)  # left waiting (on a blocked task)

    @property
    def finished(self) -> bool:
        return not (self.blocked or self.refused or self.open)


class Team:
    def __init__(self, root: Path, options: TeamOptions | None = None) -> None:
        self.root = root
        self.options = options or TeamOptions()
        self.paths = TeamPaths(root)
        self.log = TeamLog(self.paths.log, echo=self.options.progress)
        self.registry = AgentRegistry(project_root=root, agents_dir=self.options.run.agents_dir)
        self._state_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------

    def board(self) -> Board:
        files = self.paths.status_files()
        if not files:
            raise StatusError(
                f"{self.root}: no status files (odyssey/status/phase-status.md or "
                "coordination/milestone-N/status.md); create them with `bdev team init`"
            )
        return load_board(files)

    def state(self, task_id: str) -> TaskState:
        return load_state(self.paths.task_state(task_id), task_id)

    def save(self, state: TaskState) -> None:
        with self._state_lock:
            save_state(self.paths.task_state(state.task), state)

    # -- running ---------------------------------------------------------------

    def run(self) -> TeamResult:
        held = Held(self.paths.run_lock, f"bdev team run in {self.root}")
        try:
            return self._loop()
        finally:
            held.release()

    def _loop(self) -> TeamResult:
        result = TeamResult()
        running: dict[str, tuple[Task, set[str]]] = {}
        results: queue.Queue[tuple[str, WorkResult | BaseException]] = queue.Queue()
        skipped: set[str] = set()  # refused or failed this run: not claimed again
        while True:
            board = self.board()  # a person may have edited any status file meanwhile
            for task in board.ready():
                if len(running) >= self.options.jobs:
                    break
                if task.id in running or task.id in skipped:
                    continue
                writes = {str(Path(w)) for w in task.writes}
                if any(_overlap(writes, busy) for _, busy in running.values()):
                    continue  # two agents never write the same file at once
                claimed = self._claim(task, result)
                if claimed is None:
                    skipped.add(task.id)
                    continue
                running[task.id] = (claimed, writes)
                if self.options.jobs == 1:
                    results.put((task.id, self._guarded(claimed)))
                else:
                    threading.Thread(
                        target=lambda t=claimed: results.put((t.id, self._guarded(t))),
                        name=f"team-{task.id}",
                        daemon=True,  # a killed team run must not wait for its agents
                    ).start()
            if not running:
                break
            task_id, outcome = results.get()
            claimed, _ = running.pop(task_id)
            if isinstance(outcome, BaseException):
                raise outcome
            if not self._finish(claimed, outcome, result):
                skipped.add(task_id)
        board = self.board()
        result.open = [t.id for t in board.tasks if t.mark is Mark.OPEN]
        return result

    def _guarded(self, task: Task) -> WorkResult | BaseException:
        try:
            return self.work(task)
        except BdevError as e:
            return WorkResult(False, str(e))
        except BaseException as e:
            return e

    def _claim(self, task: Task, result: TeamResult) -> Task | None:
        if task.mark is Mark.ACTIVE:
            self.log("resume", f"{task.id}: left in progress by an earlier run; continuing it",
                     task=task.id)  # fmt: skip
            return task
        try:
            claimed = set_mark(task, Mark.ACTIVE)
        except StaleLine as e:
            self.log("refused", str(e), task=task.id)
            result.refused.append((task.id, str(e)))
            return None
        self.log("start", f"{task.id}: {task.title} (owner {task.owner})", task=task.id,
                 file=str(task.file), line=claimed.line)  # fmt: skip
        return claimed

    def _finish(self, claimed: Task, work: WorkResult, result: TeamResult) -> bool:
        mark = Mark.DONE if work.ok else Mark.BLOCKED
        try:
            set_mark(claimed, mark)  # refused when a person changed the line meanwhile
        except StaleLine as e:
            self.log("refused", f"{e}; the work itself: {work.reason or 'accepted'}",
                     task=claimed.id)  # fmt: skip
            result.refused.append((claimed.id, str(e)))
            return False
        if work.ok:
            self.log("tick", f"{claimed.id}: done; delivery: {', '.join(work.delivery)}",
                     task=claimed.id, delivery=list(work.delivery))  # fmt: skip
            result.done.append(claimed.id)
            return True
        self.log("blocked", f"{claimed.id}: {work.reason}", task=claimed.id)
        result.blocked.append((claimed.id, work.reason))
        return False

    # -- one task --------------------------------------------------------------

    def work(self, task: Task) -> WorkResult:
        state = self.state(task.id)
        if state.blocked and not state.merged:
            # A person set a blocked task back to [ ]: its review rounds start over (an
            # implementation keeps its branch and what was built on it).
            self.log("retry", f"{task.id}: retried after: {state.blocked}", task=task.id)
            state.round, state.author, state.review, state.verdict = 1, None, None, None
        state.blocked = None
        agent = self.assignee(task, state)
        if task.kind is Kind.IMPLEMENT:
            from bdev.team.implement import implement

            result = implement(self, task, state, agent)
        else:
            result = self._document(task, state, agent)
        state.blocked = None if result.ok else result.reason
        state.delivery = list(result.delivery)
        self.save(state)
        return result

    def assignee(self, task: Task, state: TaskState) -> AgentDefinition:
        """The owner's definition, or the specialist it delegates this task to (decided
        once per task, and logged with the reason)."""
        if state.agent and state.owner == task.owner:
            return self.registry.get(state.agent)
        owner = self.registry.get(task.owner)
        decision = delegation.choose(
            owner, task.title, self.registry.all(), writes=bool(task.writes)
        )
        kind = "delegate" if decision.delegated else "assign"
        self.log(kind, f"{task.id}: {decision.agent.name}: {decision.reason}", task=task.id,
                 agent=decision.agent.name, owner=owner.name)  # fmt: skip
        state.agent, state.owner = decision.agent.name, task.owner
        self.save(state)
        return decision.agent

    def handoff(
        self,
        task: Task,
        agent: AgentDefinition,
        *,
        sender: str = ORCHESTRATOR,
        round: int = 1,
        purpose: str = "task",
        notes: str = "",
    ) -> Handoff:
        """The task as a handoff: its files, and its acceptance in words."""
        acceptance = tuple(f"{w} exists and is not empty" for w in task.writes)
        return Handoff(sender, agent.name, task.id, task.title, reads=task.reads,
                       writes=task.writes, acceptance=acceptance, notes=notes, round=round,
                       purpose=purpose)  # fmt: skip

    def run_step(
        self,
        task: Task,
        agent: AgentDefinition,
        handoff: Handoff,
        workspace: Path,
        *,
        workflow: WorkflowMode,
        previous: Attempt | None,
        keep: Callable[[Attempt], None],
        document: DocumentTask | None = None,
    ) -> tuple[Attempt, str]:
        """One run of `agent` for `task`: a killed earlier run's session is resumed,
        otherwise a new run starts with `handoff`. The attempt and the run's final text."""
        resume = previous.session_id if previous and previous.exit_code is None else None
        if resume and not unfinished(workspace, resume):
            resume = None
        if resume:
            self.log("resume", f"{task.id}: resuming session {resume} of {agent.name}",
                     task=task.id, session=resume)  # fmt: skip
        else:
            self.log("handoff", f"{handoff.sender} -> {handoff.receiver}: {task.id} "
                     f"({handoff.purpose}, round {handoff.round})", task=task.id,
                     handoff=handoff.to_dict())  # fmt: skip
        settings = self.options.run
        if settings.progress is None:
            settings = replace(settings, progress=self._notice)
        outcome, attempt = run_agent(
            settings, agent, handoff, workspace, workflow=workflow, on_session=keep,
            resume=resume, document=document,
        )  # fmt: skip
        final = outcome.run.final if outcome.run else ""
        self.log("ran", f"{task.id}: {agent.name} session {attempt.session_id} exit "
                 f"{attempt.exit_code}, readiness {attempt.readiness or 'not measured'}",
                 task=task.id, session=attempt.session_id, workspace=str(workspace))  # fmt: skip
        return attempt, final or ""

    def _notice(self, notice: Notice) -> None:
        if self.options.progress is not None:
            self.options.progress(notice.kind, notice.text)

    def _document(self, task: Task, state: TaskState, agent: AgentDefinition) -> WorkResult:
        missing = missing_outputs(self.root, task.writes)
        done_before = state.author is not None and state.author.exit_code is not None
        if not (done_before and not missing):
            handoff = self.handoff(task, agent)

            def keep(attempt: Attempt) -> None:
                state.author = attempt
                self.save(state)

            # One Markdown file to write: on a small model bdev lays out its sections and
            # the model writes each (workflow.document).
            document = _document_task(task) if Capability.WRITE in agent.capabilities else None
            _, final = self.run_step(task, agent, handoff, self.root,
                                     workflow=WorkflowMode.NONE, previous=state.author,
                                     keep=keep, document=document)  # fmt: skip
            missing = missing_outputs(self.root, task.writes)
            read_only = Capability.WRITE not in agent.capabilities
            if read_only and len(missing) == 1 and len(task.writes) == 1 and final.strip():
                self._save_answer(task, agent, final)
                missing = missing_outputs(self.root, task.writes)
        if missing:
            why = f"acceptance failed: {', '.join(missing)} missing or empty"
            ended = state.author.ended if state.author else None
            if ended and ended != RunStatus.COMPLETED.value:
                why += f" (the run ended {ended})"
            return WorkResult(False, why)
        self.log("accepted", f"{task.id}: {', '.join(task.writes) or 'nothing to write'}",
                 task=task.id)  # fmt: skip
        return WorkResult(True, delivery=self._delivery(task.writes, state.author))

    def _save_answer(self, task: Task, agent: AgentDefinition, final: str) -> None:
        """A read-only agent (a reviewer) answers in text: bdev writes its answer to the
        task's one file, and says so. An agent that can write must write it itself."""
        target = task.writes[0]
        write_text_atomic(self.root / target, final.strip() + "\n")
        self.log("saved", f"{task.id}: bdev wrote {agent.name}'s answer to {target} "
                 "(it cannot write files)", task=task.id)  # fmt: skip

    def _delivery(self, writes: tuple[str, ...], attempt: Attempt | None) -> tuple[str, ...]:
        extra = (attempt.report,) if attempt and attempt.report else ()
        return (*writes, *(_relative(Path(p), self.root) for p in extra))


def _document_task(task: Task) -> DocumentTask | None:
    if len(task.writes) != 1 or not task.writes[0].endswith(".md"):
        return None
    return DocumentTask.from_title(task.writes[0], task.title, tuple(task.reads))


def _overlap(a: set[str], b: set[str]) -> bool:
    return any(x == y or x.startswith(y + "/") or y.startswith(x + "/") for x in a for y in b)


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
