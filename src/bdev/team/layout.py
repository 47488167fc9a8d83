"""Where a team project keeps its documents, status files and bdev's own state, and
`init`, which lays them out for a brief.

    odyssey/brief.md                      the brief, copied in
    odyssey/design/  reviews/  architecture/
    odyssey/status/phase-status.md        phases 1-4
    coordination/milestone-1/status.md    phase 5 of milestone 1
    coordination/milestone-1/specs/  implementations/  reviews/  prs/
    .bdev/team/                           bdev's log, task state and worktrees
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic

PHASE_STATUS = Path("odyssey/status/phase-status.md")
BRIEF = Path("odyssey/brief.md")
DOC_DIRS = ("odyssey/design", "odyssey/reviews", "odyssey/architecture", "odyssey/status")
MILESTONE_DIRS = ("specs", "implementations", "reviews", "prs")
STATE = Path(".bdev/team")
# What bdev writes while it works; a project's own .bdev/config.toml stays committable.
IGNORED = (".bdev/team/", ".bdev/sessions/", ".bdev/reports/", ".*.md.lock")


def milestone_dir(number: int) -> Path:
    return Path("coordination") / f"milestone-{number}"


@dataclass(frozen=True)
class TeamPaths:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / STATE

    @property
    def log(self) -> Path:
        return self.state / "log.jsonl"

    @property
    def git_lock(self) -> Path:
        """Held around git commands on the project's own checkout."""
        return self.state / "git"

    @property
    def run_lock(self) -> Path:
        return self.state / "run.lock"

    def task_state(self, task_id: str) -> Path:
        return self.state / "tasks" / f"{task_id}.json"

    def worktree(self, task_id: str) -> Path:
        return self.state / "worktrees" / task_id

    def status_files(self) -> list[Path]:
        """The phase status file first, then each milestone's, by number."""
        found = [self.root / PHASE_STATUS] if (self.root / PHASE_STATUS).is_file() else []
        coordination = self.root / "coordination"
        milestones = sorted(
            coordination.glob("milestone-*/status.md"),
            key=lambda p: (_number(p.parent.name), p.parent.name),
        )
        return found + milestones


def _number(name: str) -> int:
    tail = name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def init(root: Path, brief: Path, *, force: bool = False) -> list[Path]:
    """Lay out a one-milestone project for `brief` in `root`; the files written.
    Existing status files are kept unless `force` (they may hold a person's edits)."""
    try:
        brief_text = brief.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BdevError(f"--brief {brief}: cannot read it ({e})") from None
    if not brief_text.strip():
        raise BdevError(f"--brief {brief}: the file is empty")
    milestone = milestone_dir(1)
    status = milestone / "status.md"
    existing = [p for p in (PHASE_STATUS, status) if (root / p).exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise BdevError(f"{root}: already a team project ({names} exist); --force rewrites them")
    for d in (*DOC_DIRS, *(str(milestone / d) for d in MILESTONE_DIRS)):
        (root / d).mkdir(parents=True, exist_ok=True)
    written = [root / BRIEF, root / PHASE_STATUS, root / status]
    if (root / BRIEF).resolve() != brief.resolve():
        shutil.copyfile(brief, root / BRIEF)
    write_text_atomic(root / PHASE_STATUS, _phase_status(brief_text))
    write_text_atomic(root / status, _milestone_status(milestone))
    _ignore_state(root)
    return written


def _title(brief_text: str) -> str:
    first = next((line.strip() for line in brief_text.splitlines() if line.strip()), "")
    return first.lstrip("#").strip()[:80] or "the project"


def task_line(task_id: str, title: str, **attrs: str | tuple[str, ...]) -> str:
    """One status line, attributes in the order given (see bdev.team.statusfile)."""
    parts = [f"{k}: {', '.join(v) if isinstance(v, tuple) else v}" for k, v in attrs.items() if v]
    return f"- [ ] {task_id}: {title} ({'; '.join(parts)})"


_DESIGN = "odyssey/design/product-design.md"
_REVIEW = "odyssey/reviews/design-review.md"
_ARCH = "odyssey/architecture/backend-services.md"
_HEAD = """People may edit this file at any time: bdev re-reads it before every step and only
ever changes the mark of one line. Marks: [ ] open, [x] done, [~] in progress,
[!] blocked (set it back to [ ] to retry). The format is described in bdev's docs/team.md.
"""


def _phase_status(brief_text: str) -> str:
    brief = str(BRIEF)
    requirements = str(milestone_dir(1) / "specs" / "backend-requirements.md")
    sections = {
        "Phase 1: Brief": [
            task_line("brief", "The project brief", owner="person", writes=brief).replace(
                "[ ]", "[x]", 1
            )
        ],
        "Phase 2: Product design": [
            task_line(
                "product-design",
                "Product design for the brief: users, features, "
                "screens or API consumers, the data they see",
                owner="orchestrator",
                after="brief",
                reads=brief,
                writes=_DESIGN,
            ),
            task_line(
                "design-review",
                "Review the design for technical feasibility, API requirements and data models",
                owner="backend-developer",
                after="product-design",
                reads=(brief, _DESIGN),
                writes=_REVIEW,
            ),
        ],
        "Phase 3: Technical architecture": [
            task_line(
                "backend-architecture",
                "Backend architecture: service boundaries, API "
                "contracts, database schema and data flow, integration, security, "
                "deployment",
                owner="backend-developer",
                after="design-review",
                reads=(brief, _DESIGN, _REVIEW),
                writes=_ARCH,
            ),
        ],
        "Phase 4: Milestone planning": [
            task_line(
                "milestone-plan",
                "Backend requirements of milestone 1: endpoints, data, acceptance tests",
                owner="orchestrator",
                after="backend-architecture",
                reads=(brief, _ARCH),
                writes=requirements,
            ),
        ],
    }
    body = "".join(f"\n## {name}\n" + "\n".join(lines) + "\n" for name, lines in sections.items())
    tail = "\n## Phase 5: Milestone implementation\nSee coordination/milestone-1/status.md.\n"
    return f"# Phase status: {_title(brief_text)}\n\n{_HEAD}{body}{tail}"


def _milestone_status(milestone: Path) -> str:
    specs = milestone / "specs"
    requirements, design = f"{specs}/backend-requirements.md", f"{specs}/backend-design-v1.0.md"
    lines = [
        "# Milestone 1 status",
        "",
        "Phase 5. Implementation tasks work on their own git branch, are reviewed, and are",
        "merged only on approval and green gates.",
        "",
        "## Design",
        task_line(
            "backend-design",
            "Backend design v1.0: API specification, migrations, services, error handling",
            owner="backend-developer",
            after="milestone-plan",
            reads=(requirements, _ARCH),
            writes=design,
        ),
        "",
        "## Implementation",
        task_line(
            "backend-implementation",
            "Implement milestone 1 with unit tests, then describe what was built and how to run it",
            owner="backend-developer",
            kind="implement",
            reviewer="code-reviewer",
            after="backend-design",
            reads=(requirements, design),
            writes=f"{milestone}/implementations/backend-implementation.md",
        ),
    ]
    return "\n".join(lines) + "\n"


def _ignore_state(root: Path) -> None:
    """bdev's own state (sessions, worktrees) stays out of the project's commits."""
    ignore = root / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    have = {line.strip().strip("/") for line in lines}
    missing = [p for p in IGNORED if p.strip("/") not in have]
    if missing:
        write_text_atomic(ignore, "\n".join([*lines, *missing]) + "\n")
