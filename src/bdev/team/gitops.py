"""The git steps of an implementation task, through the `git` program.

Each task gets a branch `team/TASK` checked out in its own worktree under
`.bdev/team/worktrees/`, so tasks can run side by side. The team's documents are
committed on the base branch first (the worktree starts from a commit, and the author
must see the specs); commits use the user's git identity, or bdev's when none is set.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bdev.errors import BdevError

DOCUMENTS = ("odyssey", "coordination")
# bdev's own state never goes into a commit, nor the sidecar lock files (bdev.team.locks).
_NOT_STATE = ":(exclude).bdev"
_NOT_LOCKS = ":(exclude,glob)**/.*.lock"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "bdev",
    "GIT_AUTHOR_EMAIL": "bdev@localhost",
    "GIT_COMMITTER_NAME": "bdev",
    "GIT_COMMITTER_EMAIL": "bdev@localhost",
}


class GitError(BdevError):
    pass


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, env=_env(root), timeout=120
        )
    except FileNotFoundError:
        raise GitError("implementation tasks need git, and `git` is not installed") from None
    if check and done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"git {' '.join(args)} in {root}: {why[-1] if why else 'failed'}")
    return done


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=root, capture_output=True, text=True, env=env
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        env.update(_IDENTITY)
    return env


def is_repo(root: Path) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True
    )
    return done.returncode == 0 and done.stdout.strip() == "true"


def ensure_repo(root: Path) -> None:
    if not is_repo(root):
        git(root, "init", "-q")


def current_branch(root: Path) -> str:
    name = git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.strip()
    if not name:
        raise GitError(f"{root}: HEAD is detached; check out the branch tasks should merge into")
    return name


def commit_documents(root: Path, message: str) -> str | None:
    """Commit the team's documents (and nothing else staged) on the current branch; the
    new commit, or None when nothing changed (a repository with no commit gets one)."""
    present = [d for d in DOCUMENTS if (root / d).exists()]
    if present:
        git(root, "add", "--", *present, _NOT_LOCKS)
    has_head = git(root, "rev-parse", "-q", "--verify", "HEAD", check=False).returncode == 0
    staged = git(root, "diff", "--cached", "--quiet", "--", *present, check=False).returncode
    if has_head and (not present or staged == 0):
        return None
    args = ["commit", "-q", "--allow-empty", "-m", message]
    git(root, *args, "--", *present) if has_head else git(root, *args)
    return head(root)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").stdout.strip()


def add_worktree(root: Path, path: Path, branch: str, base: str) -> None:
    """Check out `branch` (new from `base`, or the existing one) in `path`."""
    if path.is_dir() and (path / ".git").exists():
        return
    exists = git(root, "rev-parse", "-q", "--verify", f"refs/heads/{branch}", check=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    git(root, "worktree", "prune")
    if exists.returncode == 0:
        git(root, "worktree", "add", "-q", str(path), branch)
    else:
        git(root, "worktree", "add", "-q", "-b", branch, str(path), base)


def commit_all(worktree: Path, message: str) -> str | None:
    """Commit every change in the worktree but bdev's state; None when nothing changed."""
    git(worktree, "add", "-A", "--", ".", _NOT_STATE, _NOT_LOCKS)
    if git(worktree, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    git(worktree, "commit", "-q", "-m", message)
    return head(worktree)


def diff(root: Path, base: str, branch: str) -> str:
    return git(root, "diff", f"{base}...{branch}").stdout


def merge(root: Path, branch: str, message: str) -> str:
    """Merge `branch` into the checked-out branch with a merge commit; a conflict is
    undone and reported."""
    done = git(root, "merge", "--no-ff", "-q", "-m", message, branch, check=False)
    if done.returncode != 0:
        git(root, "merge", "--abort", check=False)
        why = (done.stdout + done.stderr).strip().splitlines()
        raise GitError(f"merging {branch} failed: {why[-1] if why else 'conflict'}")
    return head(root)


def remove_worktree(root: Path, path: Path) -> None:
    git(root, "worktree", "remove", "--force", str(path), check=False)
