"""A one-milestone project driven through phases 2, 3 and 5 with scripted models: real
agent runs through `runtime.dispatch`, real git worktrees, a review that requests
changes once and then approves, a person's edits between steps, and a kill in phase 5."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bdev.runtime.events import Event, EventType
from bdev.team.layout import init
from bdev.team.orchestrator import Team, TeamOptions
from bdev.team.runs import RunSettings
from bdev.team.teamlog import read_log
from support.runtime import events
from support.team import HandoffScripts, write

M1 = "coordination/milestone-1"
IMPL = "backend-implementation"
ARCH = "# Backend\nOne service, one endpoint: POST /add.\n"
APP_V1 = "def add(a, b):\n    return a + b\n"
APP_V2 = "def add(a: int, b: int) -> int:\n    if not isinstance(a, int):\n        raise TypeError\n    return a + b\n"  # noqa: E501
TEST = "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
REVIEW_1 = "app.py: add has no type checks.\nVERDICT: request-changes"
REVIEW_2 = "Type checks added; tests pass.\nVERDICT: approve"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in bdev catches it."""


def implementation(app: str, note: str) -> list[dict]:
    files = {"app.py": app, "test_app.py": TEST, f"{M1}/implementations/{IMPL}.md": note}
    calls = [
        {"name": "Write", "arguments": {"file_path": p, "content": c}} for p, c in files.items()
    ]
    return [{"tool_calls": calls}, {"content": "implemented"}]


def scripts() -> HandoffScripts:
    return HandoffScripts(
        {
            "Task product-design (round 1)": [write("odyssey/design/product-design.md", "# D\n")],
            "Task design-review (round 1)": [write("odyssey/reviews/design-review.md", "# R\n")],
            "Task backend-architecture (round 1)": [
                write("odyssey/architecture/backend-services.md", ARCH)
            ],
            "Task milestone-plan (round 1)": [write(f"{M1}/specs/backend-requirements.md", "Q")],
            "Task backend-design (round 1)": [write(f"{M1}/specs/backend-design-v1.0.md", "# V\n")],
            f"Task {IMPL} (round 1)": [implementation(APP_V1, "# Implementation v1\n")],
            f"Review of {IMPL} (round 1)": [[{"content": REVIEW_1}]],
            f"Changes requested on {IMPL} (round 2)": [implementation(APP_V2, "# v2\n")],
            f"Review of {IMPL} (round 2)": [[{"content": REVIEW_2}]],
        }
    )


def kill_in(task_id: str):
    """A sink that kills the team run right after `task_id`'s run finished its first tool."""
    seen: dict[str, str] = {}

    def sink(event: Event) -> None:
        task = str(event.data.get("task"))
        if event.type == EventType.SESSION_START and task.startswith(f"Task {task_id} "):
            seen["session"] = event.data["session_id"]
        elif event.type == EventType.TOOL_END and seen:
            raise Killed

    return sink


@pytest.fixture
def project(workspace: Path) -> Path:
    brief = workspace / "brief.md"
    brief.write_text("# Adder\nA service that adds two numbers.\n")
    init(workspace, brief)
    return workspace


def team(root: Path, models: HandoffScripts, *sinks, progress=None) -> Team:
    settings = RunSettings(
        model="scripted:team", gates=False, sinks=sinks, model_factory=models.factory
    )
    return Team(root, TeamOptions(run=settings, use_gh=False, progress=progress))


def sessions_by_opening(root: Path) -> dict[str, list[str]]:
    """Session ids by the first line of their task (the handoff's opening)."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / ".bdev" / "sessions").glob("*.jsonl")):
        first = json.loads(path.read_text().splitlines()[0])
        found.setdefault(first["task"].split(",")[0], []).append(path.stem)
    return found


def test_phases_2_3_and_5_with_review_rounds_edits_and_a_kill(project: Path) -> None:
    models = scripts()
    phase_status = project / "odyssey/status/phase-status.md"
    note = "Note from Ana: keep the API to one endpoint.\n"

    def person(kind: str, text: str) -> None:
        # Between two steps (right after product-design is ticked) a person edits the
        # file: a note, and a new title for a task that is still open.
        if kind == "tick" and text.startswith("product-design"):
            old = phase_status.read_text()
            heading = "## Phase 3: Technical architecture\n"
            title = "architecture: Backend architecture"
            new = old.replace(heading, heading + note).replace(
                f"{title}:", f"{title} (one service):"
            )
            phase_status.write_text(new)

    with pytest.raises(Killed):
        team(project, models, kill_in("backend-design"), progress=person).run()
    milestone = (project / f"{M1}/status.md").read_text()
    assert "- [~] backend-design:" in milestone and f"- [ ] {IMPL}:" in milestone
    phases = phase_status.read_text()
    assert note in phases
    assert "- [x] backend-architecture: Backend architecture (one service):" in phases
    assert phases.count("- [x]") == 5  # brief, product-design, design-review, architecture, plan
    assert (project / "odyssey/architecture/backend-services.md").read_text() == ARCH

    result = team(project, models).run()  # the run after the kill

    assert (result.done, result.finished) == (["backend-design", IMPL], True)
    assert "Task backend-design (round 1) (resumed)" in models.runs
    assert models.runs.count("Task backend-design (round 1)") == 1  # resumed, not redone
    assert models.runs[-4:] == [
        f"Task {IMPL} (round 1)",
        f"Review of {IMPL} (round 1)",
        f"Changes requested on {IMPL} (round 2)",
        f"Review of {IMPL} (round 2)",
    ]
    phases = phase_status.read_text()
    assert note in phases and "(one service)" in phases  # the person's edits survived
    assert "- [ ]" not in phases + (project / f"{M1}/status.md").read_text()

    # The review asked for changes once, then approved; the file ends with the verdict.
    review = (project / f"{M1}/reviews/{IMPL}.md").read_text()
    assert "## Round 1" in review and REVIEW_1 in review
    assert review.rstrip().endswith("VERDICT: approve")
    # Merged into the base branch after approval: the second round's code is there.
    assert (project / "app.py").read_text() == APP_V2
    subjects = git(project, "log", "--format=%s", "-n", "3").splitlines()
    assert subjects[0].startswith(f"Merge team/{IMPL}") and "gates off" in subjects[0]
    assert not (project / f".bdev/team/worktrees/{IMPL}").exists()
    tracked = git(project, "ls-files").splitlines()
    assert "odyssey/status/phase-status.md" in tracked and "app.py" in tracked
    assert not [p for p in tracked if p.endswith(".lock") or p.startswith(".bdev/")]
    pr = (project / f"{M1}/prs/{IMPL}.md").read_text()
    assert f"branch: team/{IMPL}" in pr and REVIEW_2 in pr and f"merged team/{IMPL}" in pr

    # Each step in the team log; handoffs in both agents' transcripts.
    kinds = {r["kind"] for r in read_log(project / ".bdev/team/log.jsonl")}
    assert {"start", "handoff", "assign", "ran", "accepted", "tick", "review", "merge"} <= kinds
    sessions = sessions_by_opening(project)
    [author_1] = sessions[f"Task {IMPL} (round 1)"]
    [reviewer_1] = sessions[f"Review of {IMPL} (round 1)"]
    out_of_author = [e for e in events(project, author_1) if e["type"] == "handoff"]
    assert [(e["receiver"], e["purpose"]) for e in out_of_author] == [("code-reviewer", "review")]
    back = [e for e in events(project, reviewer_1) if e["type"] == "handoff"]
    assert [(e["receiver"], e["purpose"]) for e in back] == [("backend-developer", "changes")]
    assert "no type checks" in back[0]["notes"]
    [author_2] = sessions[f"Changes requested on {IMPL} (round 2)"]
    assert "no type checks" in events(project, author_2)[0]["task"]
    state = json.loads((project / f".bdev/team/tasks/{IMPL}.json").read_text())
    assert (state["verdict"], state["round"]) == ("approve", 2)
    assert state["delivery"][:2] == [f"{M1}/implementations/{IMPL}.md", f"{M1}/reviews/{IMPL}.md"]
    # The killed backend-design session was resumed: one start, a resume, an end.
    [design] = sessions["Task backend-design (round 1)"]
    kinds_of_design = [e["type"] for e in events(project, design)]
    assert kinds_of_design.count("session_start") == 1 and "resume" in kinds_of_design
    assert kinds_of_design[-1] == "end"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout
