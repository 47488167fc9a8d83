"""`bdev team init|status|run` as a person uses them: the layout, the overview, and
one clear line (no traceback) for a malformed status file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bdev.team.layout import TeamPaths
from bdev.team.state import TaskState, save_state


def bdev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bdev", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(workspace: Path) -> Path:
    brief = workspace / "brief.md"
    brief.write_text("# Notes API\nPeople keep short notes.\n")
    done = bdev("team", "init", "--brief", str(brief), "--workspace", str(workspace))
    assert done.returncode == 0, done.stderr
    return workspace


def test_init_lays_out_the_seed_s_folders_and_status_files(project: Path) -> None:
    m1 = "coordination/milestone-1"
    folders = ["odyssey/design", "odyssey/reviews", "odyssey/architecture"]
    folders += [f"{m1}/{d}" for d in ("specs", "implementations", "reviews", "prs")]
    for folder in folders:
        assert (project / folder).is_dir(), folder
    assert (project / "odyssey/brief.md").read_text().startswith("# Notes API")
    phases = (project / "odyssey/status/phase-status.md").read_text()
    assert phases.startswith("# Phase status: Notes API")
    assert "- [ ] backend-architecture:" in phases
    assert "writes: odyssey/architecture/backend-services.md" in phases
    milestone = (project / "coordination/milestone-1/status.md").read_text()
    assert "kind: implement; reviewer: code-reviewer" in milestone
    again = bdev("team", "init", "--brief", str(project / "brief.md"), "--workspace", str(project))
    assert again.returncode == 2 and "already a team project" in again.stderr


def test_status_shows_phases_waits_and_deliveries(project: Path) -> None:
    phases = project / "odyssey/status/phase-status.md"
    phases.write_text(phases.read_text().replace("- [ ] product-design:", "- [x] product-design:"))
    paths = TeamPaths(project)
    delivered = TaskState(task="product-design", delivery=["odyssey/design/product-design.md"])
    save_state(paths.task_state("product-design"), delivered)
    done = bdev("team", "status", "--workspace", str(project))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Phase 2: Product design (1/2)" in out
    assert "[x] product-design (orchestrator)" in out
    assert "delivery: odyssey/design/product-design.md" in out
    assert "[ ] backend-architecture (backend-developer)" in out
    assert "waits on design-review (backend-developer)" in out
    assert "coordination/milestone-1/status.md" in out


def test_a_malformed_status_file_is_one_line_naming_the_line(project: Path) -> None:
    status = project / "coordination/milestone-1/status.md"
    status.write_text(status.read_text() + "- [ ] deploy: Deploy it\n")
    for command in ("status", "run"):
        done = bdev("team", command, "--workspace", str(project))
        assert done.returncode == 2
        assert f"error: {status}:" in done.stderr and ":11: not a task line" in done.stderr
        assert "Traceback" not in done.stderr


def test_run_takes_the_model_flag_and_stops_when_nothing_is_ready(project: Path) -> None:
    for status in TeamPaths(project).status_files():
        status.write_text(status.read_text().replace("- [ ]", "- [x]"))
    done = bdev("team", "run", "--model", "local", "--workspace", str(project))
    assert done.returncode == 0, done.stderr
    assert "done 0, blocked 0, refused 0, still open 0" in done.stdout
