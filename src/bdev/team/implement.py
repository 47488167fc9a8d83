"""An implementation task: its own branch and worktree, review rounds, merge.

    author run (in the worktree) -> commit -> acceptance -> pull request -> reviewer run
    -> VERDICT line -> approve: merge if the gates are green
                    -> request-changes: back to the author with the comments (next round)

The reviewer answers with its review; bdev appends it to
`<milestone>/reviews/TASK.md` (a round per section, so the file ends with the latest
verdict line) and comments it on the pull request. Handoffs between the author and the
reviewer are recorded in both sessions' transcripts. Every step is saved in the task
state, so a killed run continues at the step it was in: an unfinished session is
resumed, a finished one is not run again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from bdev.agents.definition import AgentDefinition
from bdev.runtime.dispatch import WorkflowMode
from bdev.team import gitops
from bdev.team.handoff import ORCHESTRATOR, Handoff
from bdev.team.locks import locked
from bdev.team.prs import pull_requests
from bdev.team.review import Verdict, verdict_of
from bdev.team.runs import missing_outputs, record_handoff
from bdev.team.state import Attempt, TaskState
from bdev.team.statusfile import Task

if TYPE_CHECKING:
    from bdev.team.orchestrator import Team, WorkResult

DEFAULT_REVIEWER = "code-reviewer"
DIFF_LIMIT = 12_000  # characters of the diff put into the reviewer's handoff


def implement(team: Team, task: Task, state: TaskState, author: AgentDefinition) -> WorkResult:
    from bdev.team.orchestrator import WorkResult

    root = team.root
    gitops.ensure_repo(root)
    if state.worktree is None:
        with locked(team.paths.git_lock):  # tasks side by side share the repository's index
            state.base = gitops.current_branch(root)
            state.branch = f"team/{task.id}"
            gitops.commit_documents(root, f"bdev team: documents before {task.id}")
            worktree = team.paths.worktree(task.id)
            gitops.add_worktree(root, worktree, state.branch, state.base)
        state.worktree = str(worktree)
        team.log("branch", f"{task.id}: branch {state.branch} from {state.base} in {worktree}",
                 task=task.id)  # fmt: skip
        team.save(state)
    assert state.branch and state.base and state.worktree
    worktree = Path(state.worktree)
    with locked(team.paths.git_lock):  # gone since: check it out again
        gitops.add_worktree(root, worktree, state.branch, state.base)
    reviewer = team.registry.get(task.reviewer or DEFAULT_REVIEWER)
    where = _milestone_folder(root, task)
    prs = pull_requests(root, where / "prs", use_gh=team.options.use_gh)
    review_file = where / "reviews" / f"{task.id}.md"

    while state.verdict != Verdict.APPROVE:
        if state.round > team.options.max_rounds:
            why = f"no approval after {team.options.max_rounds} review rounds; see {review_file}"
            return WorkResult(False, why)
        _author_step(team, task, state, author, worktree)
        gitops.commit_all(worktree, f"{task.id}: round {state.round} by {author.name}")
        missing = missing_outputs(worktree, task.writes)
        if missing:
            comments = f"Acceptance failed: {', '.join(missing)} missing or empty."
            _send_back(team, task, state, reviewer, author, comments)
            continue
        if state.pr is None:
            body = (worktree / task.writes[0]).read_text(encoding="utf-8") if task.writes else ""
            state.pr = prs.open(task.id, state.branch, state.base, task.title, body)
            team.log("pr", f"{task.id}: pull request {state.pr} ({prs.name})", task=task.id)
            team.save(state)
        if state.review is None or state.review.exit_code is None:
            _review_step(team, task, state, reviewer, author, worktree, review_file)
            prs.comment(state.pr, reviewer.name, state.comments or "(empty review)")
        if state.verdict != Verdict.APPROVE:
            _send_back(team, task, state, reviewer, author, state.comments)

    readiness = state.author.readiness if state.author else None
    allowed, gates = merge_allowed(readiness, gates_on=team.options.run.gates)
    if not allowed:
        return WorkResult(False, f"approved, but {gates}; not merged: branch {state.branch} kept")
    with locked(team.paths.git_lock):
        state.merged = state.merged or gitops.merge(
            root, state.branch, f"Merge {state.branch}: {task.title} (approved; {gates})"
        )
    merged = f"merged {state.branch} into {state.base} as {state.merged[:12]}"
    team.log("merge", f"{task.id}: {merged} (approved by {reviewer.name}; {gates})",
             task=task.id)  # fmt: skip
    prs.comment(state.pr or "", ORCHESTRATOR, f"{merged}; {gates}.")
    team.save(state)
    _keep_records(worktree, root)
    with locked(team.paths.git_lock):
        gitops.remove_worktree(root, worktree)
    missing = missing_outputs(root, task.writes)
    if missing:
        return WorkResult(False, f"merged, but {', '.join(missing)} is missing or empty")
    delivery = [*task.writes, _rel(review_file, root)]
    if state.author and state.author.report:
        delivery.append(_rel(_records_path(Path(state.author.report), worktree, root), root))
    return WorkResult(True, delivery=tuple(delivery))


def merge_allowed(readiness: str | None, *, gates_on: bool) -> tuple[bool, str]:
    """After approval: merge only on green gates (the author run's readiness is
    `ready`), or when the user switched the gates off; and say which it was."""
    if not gates_on:
        return True, "gates off (--no-gates): not checked"
    if readiness == "ready":
        return True, "gates green"
    return False, f"the gates are not green (readiness: {readiness or 'not measured'})"


def _author_step(
    team: Team, task: Task, state: TaskState, author: AgentDefinition, worktree: Path
) -> None:
    if state.author is not None and state.author.exit_code is not None:
        return  # this round's work is done (a killed run stopped after it)
    purpose = "changes" if state.round > 1 else "task"
    notes = f"Review comments to address:\n{state.comments}" if state.round > 1 else ""
    if state.author is not None:
        notes += "\nAn earlier run was interrupted; the worktree holds what it did."
    # From round 2 the reviewer (or the acceptance check) hands the work back.
    sender = (state.comments_from or ORCHESTRATOR) if state.round > 1 else ORCHESTRATOR
    handoff = team.handoff(task, author, sender=sender, round=state.round, purpose=purpose,
                           notes=notes)  # fmt: skip

    def keep(attempt: Attempt) -> None:
        state.author = attempt
        team.save(state)

    # An interrupted author run is done again rather than resumed: a resumed session
    # continues as a plain loop, and the gates that decide the merge would go unmeasured.
    team.run_step(task, author, handoff, worktree, workflow=WorkflowMode.AUTO,
                  previous=None, keep=keep)  # fmt: skip


def _review_step(
    team: Team,
    task: Task,
    state: TaskState,
    reviewer: AgentDefinition,
    author: AgentDefinition,
    worktree: Path,
    review_file: Path,
) -> None:
    assert state.base and state.branch
    diff = gitops.diff(team.root, state.base, state.branch)
    if len(diff) > DIFF_LIMIT:
        diff = diff[:DIFF_LIMIT] + f"\n... (diff cut at {DIFF_LIMIT} characters; read the files)"
    handoff = Handoff(
        sender=author.name,
        receiver=reviewer.name,
        task_id=task.id,
        title=f"Review the change for: {task.title}",
        reads=task.writes,
        acceptance=(
            "your answer is the review: what is wrong or missing, file by file",
            "its last line is `VERDICT: approve` or `VERDICT: request-changes`",
        ),
        notes=f"The diff of branch {state.branch} against {state.base}:\n```diff\n{diff}\n```",
        round=state.round,
        purpose="review",
    )
    if state.author is not None:
        record_handoff(worktree, state.author.session_id, handoff)

    def keep(attempt: Attempt) -> None:
        state.review = attempt
        team.save(state)

    _, final = team.run_step(task, reviewer, handoff, worktree, workflow=WorkflowMode.NONE,
                             previous=state.review, keep=keep)  # fmt: skip
    verdict = verdict_of(final)
    section = f"## Round {state.round}: {reviewer.name}\n\n{final.strip() or '(no answer)'}\n"
    if verdict is Verdict.MISSING:
        section += "\n(no verdict line: counted as request-changes)\nVERDICT: request-changes\n"
    old = f"# Review: {task.id}\n"
    if review_file.is_file():
        old = review_file.read_text(encoding="utf-8")
    review_file.parent.mkdir(parents=True, exist_ok=True)
    review_file.write_text(f"{old.rstrip()}\n\n{section}", encoding="utf-8")
    state.verdict = verdict.value
    state.comments = final.strip()
    state.comments_from = reviewer.name
    team.log("review", f"{task.id}: round {state.round}: {reviewer.name}: {verdict.value} "
             f"({_rel(review_file, team.root)})", task=task.id, verdict=verdict.value)  # fmt: skip
    team.save(state)


def _send_back(
    team: Team,
    task: Task,
    state: TaskState,
    reviewer: AgentDefinition,
    author: AgentDefinition,
    comments: str,
) -> None:
    """Requested changes go back to the author: the next round."""
    sender = reviewer.name if state.review is not None else ORCHESTRATOR
    back = Handoff(sender, author.name, task.id, task.title, notes=comments,
                   round=state.round + 1, purpose="changes")  # fmt: skip
    if state.review is not None and state.worktree:
        record_handoff(Path(state.worktree), state.review.session_id, back)
    state.round += 1
    state.comments, state.comments_from = comments, sender
    state.author = state.review = None
    state.verdict = None
    team.save(state)


def _milestone_folder(root: Path, task: Task) -> Path:
    """Reviews and pull requests live beside the task's status file: a milestone's own
    folder, or `odyssey/` for a task in the phase status file."""
    folder = task.file.parent
    return folder if folder.name.startswith("milestone-") else root / "odyssey"


def _keep_records(worktree: Path, root: Path) -> None:
    """The worktree's sessions and delivery reports move to the project's .bdev before
    the worktree goes: every run's transcript stays readable with `bdev sessions`."""
    for kind in ("sessions", "reports"):
        source = worktree / ".bdev" / kind
        if source.is_dir():
            shutil.copytree(source, root / ".bdev" / kind, dirs_exist_ok=True)


def _records_path(path: Path, worktree: Path, root: Path) -> Path:
    return root / path.relative_to(worktree) if path.is_relative_to(worktree) else path


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
