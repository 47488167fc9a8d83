"""Pull requests for the seeds' `gh pr ...` steps, through one small interface.

`LocalPRs` (the default) keeps each pull request as a Markdown file under
`coordination/milestone-N/prs/TASK.md`: its branch, description and every comment,
appended. `GhPRs` is used when `gh auth status` succeeds: it pushes the branch and
calls `gh pr create` / `gh pr comment`. Either way the merge itself is a local
`git merge` by the orchestrator (after approval and green gates), noted on the PR.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.team.locks import locked


class PullRequests(Protocol):
    name: str

    def open(self, task_id: str, branch: str, base: str, title: str, body: str) -> str:
        """Open (or find) the task's pull request; its reference (a path or a number)."""
        ...

    def comment(self, ref: str, author: str, text: str) -> None: ...


class LocalPRs:
    name = "local"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, task_id: str, branch: str, base: str, title: str, body: str) -> str:
        path = self.folder / f"{task_id}.md"
        if not path.is_file():
            text = f"# {title}\n\nbranch: {branch} -> {base}\n\n{body.strip()}\n\n## Comments\n"
            write_text_atomic(path, text)
        return str(path)

    def comment(self, ref: str, author: str, text: str) -> None:
        path = Path(ref)
        with locked(path):
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
            write_text_atomic(path, f"{old}\n### {author}\n\n{text.strip()}\n")


class GhPRs:
    name = "gh"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _gh(self, *args: str) -> str:
        done = subprocess.run(["gh", *args], cwd=self.root, capture_output=True, text=True)
        if done.returncode != 0:
            raise BdevError(f"gh {args[0]} {args[1]}: {done.stderr.strip() or 'failed'}")
        return done.stdout.strip()

    def open(self, task_id: str, branch: str, base: str, title: str, body: str) -> str:
        subprocess.run(["git", "push", "-q", "-u", "origin", branch], cwd=self.root, check=False)
        found = self._gh("pr", "list", "--head", branch, "--json", "number", "-q", ".[0].number")
        if found:
            return found
        url = self._gh("pr", "create", "--head", branch, "--base", base, "--title", title,
                       "--body", body)  # fmt: skip
        return url.rstrip("/").rpartition("/")[2]

    def comment(self, ref: str, author: str, text: str) -> None:
        self._gh("pr", "comment", ref, "-b", f"{author}: {text}")


def pull_requests(root: Path, folder: Path, *, use_gh: bool = True) -> PullRequests:
    """`gh` when it is installed and authenticated (and wanted), else local files."""
    if use_gh and shutil.which("gh"):
        done = subprocess.run(["gh", "auth", "status"], cwd=root, capture_output=True)
        if done.returncode == 0:
            return GhPRs(root)
    return LocalPRs(folder)
