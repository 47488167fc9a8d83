"""The cache of service environments: `$XDG_CACHE_HOME/bdev/envs/<key>`.

The key hashes what decides an environment's content (the dependency files, the
interpreter's version and installation, the tools added for the audit). An environment is
built in a `.build-*` directory beside the cache entries and renamed into place only once
complete, with its marker file written last before the rename: a build that was killed
is never taken for a cache hit, and leftovers are swept later.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bdev.backend.audit.interpreters import Interpreter

MARKER = "bdev-env.json"
KEY_FORMAT = 1  # bump when what goes into an environment changes
STALE_BUILD_S = 6 * 3600  # far longer than any build is allowed to take


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bdev" / "envs"


def cache_key(
    deps_digest: str, interpreter: Interpreter, tools: list[str], root: Path | None = None
) -> str:
    """`root` only when the requirements point into the service's tree (-e ., file: URLs):
    such an environment refers to that tree and must not be shared with another one."""
    payload = {
        "format": KEY_FORMAT,
        "python": [
            interpreter.implementation,
            interpreter.version_text,
            os.path.realpath(interpreter.base_prefix),
        ],
        "deps": deps_digest,
        "tools": sorted(tools),
        "root": str(root) if root else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def env_python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


def cached(env_dir: Path) -> dict[str, Any] | None:
    """The marker of a complete environment, or None (absent, half-built, unreadable)."""
    try:
        info = json.loads((env_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and env_python(env_dir).exists() else None


@contextlib.contextmanager
def build_dir(target: Path) -> Iterator[Path]:
    """A fresh directory (not yet existing) to build the venv in, beside `target`;
    whatever is left of it is removed on exit."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target.parent)
    holder = Path(tempfile.mkdtemp(prefix=f".build-{target.name}-", dir=target.parent))
    try:
        yield holder / "venv"
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def commit(built: Path, target: Path, info: dict[str, Any]) -> None:
    """Point the venv's scripts at `target`, write the marker, rename into place. When
    another audit committed the same key meanwhile, theirs is kept."""
    _retarget(built, target)
    (built / MARKER).write_text(json.dumps(info, indent=2))
    try:
        os.rename(built, target)
    except OSError:
        if cached(target) is not None:
            return  # a concurrent build of the same key won; ours is discarded
        shutil.rmtree(target, ignore_errors=True)  # an incomplete leftover: replace it
        os.rename(built, target)


def discard(target: Path) -> None:
    """Drop a cache entry that no longer works (e.g. its base interpreter is gone)."""
    shutil.rmtree(target, ignore_errors=True)


def _retarget(built: Path, target: Path) -> None:
    # Console scripts (pytest, uvicorn, alembic) and activate carry the venv's absolute
    # path in their first line; they must name where the venv will live, not the build dir.
    old, new = str(built).encode(), str(target).encode()
    for path in [*(built / "bin").iterdir(), built / "pyvenv.cfg"]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old in data:
            path.write_bytes(data.replace(old, new))


def sweep(envs: Path) -> None:
    """Remove build directories left by killed audits (old enough to be nobody's)."""
    now = time.time()
    for leftover in envs.glob(".build-*"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_BUILD_S:
                shutil.rmtree(leftover, ignore_errors=True)
