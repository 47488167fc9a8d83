"""A service's SQLite databases, put back as they were after bdev has run its code.

bdev runs a service's tests and the service itself many times in one job: before and
after each candidate change, and again in every audit round. A small service keeps its
data in a SQLite file in its own folder, so each run sees what the runs before it wrote:
a test that registers `alice` passes once and then meets `409 username taken`, and a
change is blamed for breaking it. The user's own database would also be left holding
bdev's test rows. Around each such run, every SQLite database under the service's root
(found by its file header, with its `-wal`, `-shm` and `-journal` files) is copied aside
and put back afterwards, and databases the run created are removed. Only SQLite: a
database server's state is not in the folder (the audit starts throwaway servers).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_HEADER = b"SQLite format 3\x00"
_COMPANIONS = ("-wal", "-shm", "-journal")
# Folders that hold no service data: version control, caches, installed packages.
_SKIPPED = frozenset({
    ".git", ".hg", ".svn", ".bdev", "node_modules", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages",
})  # fmt: skip
# Larger databases are left as they are: copying them around every test run would cost
# more than the stale rows they might hold.
MAX_BYTES = 256 * 1024 * 1024


def sqlite_files(root: Path) -> set[Path]:
    """The SQLite databases under `root` (not their companion files)."""
    found: set[Path] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs if d not in _SKIPPED and not (Path(folder, d) / "pyvenv.cfg").exists()
        ]
        for name in files:
            path = Path(folder, name)
            if not name.endswith(_COMPANIONS) and _is_sqlite(path):
                found.add(path)
    return found


@contextlib.contextmanager
def sqlite_kept(root: Path) -> Iterator[None]:
    """Run the body, then put every SQLite database under `root` back as it was before
    (databases larger than MAX_BYTES excepted) and remove those the body created."""
    before = {p for p in sqlite_files(root) if p.stat().st_size <= MAX_BYTES}
    with tempfile.TemporaryDirectory(prefix="bdev-data-") as aside:
        saved: dict[Path, Path] = {}
        for number, db in enumerate(sorted(before)):
            for path in _with_companions(db):
                if path.exists():
                    saved[path] = Path(aside, f"{number}{path.name[len(db.name) :]}")
                    shutil.copy2(path, saved[path])
        try:
            yield
        finally:
            for db in sqlite_files(root) - before:
                if db.stat().st_size <= MAX_BYTES:
                    _remove(_with_companions(db))
            for db in before:
                _remove(p for p in _with_companions(db) if p not in saved)
            for path, copy in saved.items():
                _put_back(copy, path)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(_HEADER)) == _HEADER
    except OSError:
        return False


def _with_companions(db: Path) -> list[Path]:
    return [db, *(db.with_name(db.name + suffix) for suffix in _COMPANIONS)]


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _put_back(copy: Path, path: Path) -> None:
    """Replace `path` by `copy` in one rename, so no reader sees half a database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.bdev-restore")
    shutil.copy2(copy, temp)
    os.replace(temp, path)
