"""The workspace's files, listed in a small model's first turn.

Asked to change a service, a 1.5B model reads or writes the files it imagines such a
service has (`data/loans.json`, `src/main.py`) before the ones that are there, and then
edits code it remembers. Told the real paths up front, it starts from them. A large
model finds them itself with Glob and LS, so only the small profile gets the list.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from bdev.backend.tree import SourceTree

MAX_LISTED = 40  # about 300 tokens: the shallowest files, the rest counted


def workspace_files(workspace: Path) -> str:
    """A short list of the workspace's files (no hidden ones, no dependencies or
    build output), shallowest first."""
    files = [
        f
        for f in SourceTree.scan(workspace).files
        if not any(part.startswith(".") for part in PurePosixPath(f).parts)
    ]
    if not files:
        return "The workspace has no files yet."
    files.sort(key=lambda f: (f.count("/"), f))
    listed = "\n".join(f"- {f}" for f in files[:MAX_LISTED])
    more = len(files) - MAX_LISTED
    if more > 0:
        listed += f"\n- and {more} more (Glob finds them)"
    return f"Files in the workspace:\n{listed}"
