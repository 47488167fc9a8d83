"""`Team.run` beyond the happy path: a person's edit of a running task's line, tasks side
by side with --jobs, a deliverable that never appears, the merge rule, the PR adapter."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from bdev.errors import BdevError
from bdev.runtime.events import Event, EventType
from bdev.team.implement import merge_allowed
from bdev.team.locks import Held
from bdev.team.orchestrator import Team, TeamOptions
from bdev.team.prs import GhPRs, LocalPRs, pull_requests
from bdev.team.runs import RunSettings
from bdev.team.teamlog import read_log
from support.team import HandoffScripts, write


def status(root: Path, *lines: str) -> Path:
    path = root / "coordination" / "milestone-1" / "status.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Milestone 1\n" + "".join(f"{line}\n" for line in lines))
    return path


def team(root: Path, models: HandoffScripts, **options) -> Team:
    settings = RunSettings(model="scripted:team", model_factory=models.factory)
    progress = options.pop("progress", None)
    return Team(root, TeamOptions(run=settings, use_gh=False, progress=progress, **options))


def test_a_line_a_person_changes_while_its_task_runs_is_not_overwritten(
    workspace: Path,
) -> None:
    path = status(
        workspace,
        "- [ ] plan: Plan it (owner: orchestrator; writes: plan.md)",
        "- [ ] build: Build it (owner: backend-developer; after: plan; writes: b.md)",
    )
    models = HandoffScripts({"Task plan (round 1)": [write("plan.md", "# Plan\n")]})

    def person(kind: str, text: str) -> None:
        if kind == "handoff":  # the task is running: a person re-words its line
            path.write_text(path.read_text().replace("Plan it", "Plan it, small"))

    result = team(workspace, models, progress=person).run()
    assert result.done == [] and [t for t, _ in result.refused] == ["plan"]
    assert "changed since bdev read it" in result.refused[0][1]
    text = path.read_text()
    assert "- [~] plan: Plan it, small (owner" in text  # theirs, not bdev's tick
    assert "- [ ] build:" in text and result.open == ["build"]  # still waiting on plan
    refused = [r for r in read_log(workspace / ".bdev/team/log.jsonl") if r["kind"] == "refused"]
    assert refused and "the work itself: accepted" in refused[0]["text"]


def test_independent_tasks_run_side_by_side_and_all_ticks_land(workspace: Path) -> None:
    names = [f"doc{i}" for i in range(4)]
    path = status(workspace, *(f"- [ ] {n}: Write {n} (owner: orchestrator; writes: {n}.md)"
                               for n in names))  # fmt: skip
    models = HandoffScripts({f"Task {n} (round 1)": [write(f"{n}.md", n)] for n in names})
    # The first three sessions wait for each other: they only get past this if they run
    # at the same time (otherwise the barrier times out and the run fails).
    barrier, started = threading.Barrier(3, timeout=20), []

    def together(event: Event) -> None:
        if event.type == EventType.SESSION_START:
            started.append(event.data["session_id"])
            if len(started) <= 3:
                barrier.wait()

    settings = RunSettings(model="scripted:team", model_factory=models.factory, sinks=[together])
    result = Team(workspace, TeamOptions(run=settings, jobs=3, use_gh=False)).run()
    assert sorted(result.done) == names and result.finished
    assert path.read_text().count("- [x]") == 4
    assert all((workspace / f"{n}.md").read_text() == n for n in names)


def test_a_deliverable_that_never_appears_blocks_the_task(workspace: Path) -> None:
    path = status(workspace, "- [ ] plan: Plan it (owner: orchestrator; writes: plan.md)")
    models = HandoffScripts({"Task plan (round 1)": [[{"content": "Here is the plan: ..."}]]})
    result = team(workspace, models).run()
    assert result.blocked == [("plan", "acceptance failed: plan.md missing or empty")]
    assert "- [!] plan:" in path.read_text()
    assert not (workspace / "plan.md").exists()  # an agent that can write must write it


def test_a_read_only_agent_s_answer_is_written_for_it(workspace: Path) -> None:
    status(workspace, "- [ ] audit: Audit the code (owner: security-reviewer; writes: audit.md)")
    models = HandoffScripts({"Task audit (round 1)": [[{"content": "No findings; checked X."}]]})
    assert team(workspace, models).run().done == ["audit"]
    assert (workspace / "audit.md").read_text() == "No findings; checked X.\n"


def test_one_team_run_at_a_time(workspace: Path) -> None:
    status(workspace, "- [ ] plan: Plan it (owner: orchestrator; writes: plan.md)")
    held = Held(workspace / ".bdev/team/run.lock", "bdev team run")
    try:
        with pytest.raises(BdevError, match=rf"already running \(pid {os.getpid()}"):
            team(workspace, HandoffScripts({})).run()
    finally:
        held.release()


@pytest.mark.parametrize(
    ("readiness", "gates_on", "allowed", "said"),
    [
        ("ready", True, True, "gates green"),
        ("not ready", True, False, "not green (readiness: not ready)"),
        ("not checked", True, False, "not green (readiness: not checked)"),
        (None, True, False, "not green (readiness: not measured)"),
        (None, False, True, "gates off (--no-gates): not checked"),
    ],
)
def test_merges_need_green_gates(
    readiness: str | None, gates_on: bool, allowed: bool, said: str
) -> None:
    ok, why = merge_allowed(readiness, gates_on=gates_on)
    assert ok is allowed and said in why


def test_pull_requests_use_gh_only_when_it_is_authenticated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text("#!/bin/sh\n[ \"$1 $2\" = 'auth status' ] && exit ${GH_AUTH:-1}\nexit 0\n")
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    prs = tmp_path / "prs"
    monkeypatch.setenv("GH_AUTH", "1")
    assert isinstance(pull_requests(tmp_path, prs), LocalPRs)
    monkeypatch.setenv("GH_AUTH", "0")
    assert isinstance(pull_requests(tmp_path, prs), GhPRs)
    assert isinstance(pull_requests(tmp_path, prs, use_gh=False), LocalPRs)

    local = LocalPRs(prs)
    ref = local.open("t1", "team/t1", "main", "Build it", "What was built.")
    local.comment(ref, "code-reviewer", "Looks fine.\nVERDICT: approve")
    text = Path(ref).read_text()
    assert text.startswith("# Build it\n\nbranch: team/t1 -> main")
    assert text.rstrip().endswith("### code-reviewer\n\nLooks fine.\nVERDICT: approve")
    assert local.open("t1", "team/t1", "main", "Other", "") == ref  # one PR per task


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in bdev catches it."""


def test_an_implementation_killed_mid_run_is_done_again_in_its_worktree(
    workspace: Path,
) -> None:
    status(workspace, "- [ ] impl: Build it (owner: backend-developer; kind: implement; "
           "writes: impl.md)")  # fmt: skip
    models = HandoffScripts({
        "Task impl (round 1)": [write("half.py", "x = 1\n"), write("impl.md", "# Built\n")],
        "Review of impl (round 1)": [[{"content": "Fine.\nVERDICT: approve"}]],
    })  # fmt: skip

    def kill(event: Event) -> None:
        if event.type == EventType.TOOL_END and models.runs == ["Task impl (round 1)"]:
            raise Killed

    settings = RunSettings(
        model="scripted:team", model_factory=models.factory, gates=False, sinks=[kill]
    )
    with pytest.raises(Killed):
        Team(workspace, TeamOptions(run=settings, use_gh=False)).run()
    worktree = workspace / ".bdev/team/worktrees/impl"
    assert (worktree / "half.py").is_file()  # what the killed run wrote stays for the redo

    settings = RunSettings(model="scripted:team", model_factory=models.factory, gates=False)
    result = Team(workspace, TeamOptions(run=settings, use_gh=False)).run()
    assert result.done == ["impl"]
    assert models.runs[1:] == ["Task impl (round 1)", "Review of impl (round 1)"]
    redo = [r for r in read_log(workspace / ".bdev/team/log.jsonl") if r["kind"] == "resume"]
    assert redo and "left in progress by an earlier run" in redo[0]["text"]
    assert (workspace / "half.py").is_file() and (workspace / "impl.md").read_text() == "# Built\n"
    assert "- [x] impl:" in (workspace / "coordination/milestone-1/status.md").read_text()


def test_a_blocked_task_set_back_to_open_is_tried_again(workspace: Path) -> None:
    path = status(workspace, "- [ ] plan: Plan it (owner: orchestrator; writes: plan.md)")
    models = HandoffScripts(
        {"Task plan (round 1)": [[{"content": "forgot to write"}], write("plan.md", "# Plan\n")]}
    )
    assert team(workspace, models).run().blocked
    path.write_text(path.read_text().replace("- [!] plan", "- [ ] plan"))  # a person retries
    result = team(workspace, models).run()
    assert result.done == ["plan"] and "- [x] plan:" in path.read_text()
    kinds = [r["kind"] for r in read_log(workspace / ".bdev/team/log.jsonl")]
    assert kinds.count("blocked") == 1 and "retry" in kinds
