"""Reading and writing workspace files: binary detection, UTF-8 text, atomic writes."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from bdev.tools.base import ToolError

# Like git and ripgrep: a NUL byte in the first block means "binary".
_SNIFF_BYTES = 8192
# Beyond this a file is data or a build artefact, not something to read into a prompt.
MAX_TEXT_BYTES = 20 * 1024 * 1024


def looks_binary(data: bytes) -> bool:
    return b"\0" in data[:_SNIFF_BYTES]


def read_text(path: Path, shown: str) -> str:
    """The text of an existing regular file; ToolError for directories, missing or binary."""
    if not path.exists():
        raise ToolError(f"{shown}: file not found")
    if path.is_dir():
        raise ToolError(f"{shown}: is a directory, not a file (use LS to list it)")
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise ToolError(
            f"{shown}: is {size // (1024 * 1024)} MB, too large to load; use Grep or Bash (head)"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ToolError(f"{shown}: cannot read: {e.strerror}") from e
    if looks_binary(data):
        raise ToolError(f"{shown}: is a binary file; only text files can be read or edited")
    # Replacement characters rather than a refusal: a stray Latin-1 byte should not
    # make a whole source file unreadable.
    return data.decode("utf-8", errors="replace")


def save_text(path: Path, text: str, shown: str) -> None:
    """write_text_atomic for tools: an OS failure becomes a ToolError naming the file."""
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise ToolError(f"{shown}: cannot write: {e.strerror or e}") from e


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` as UTF-8 via a temp file in the same directory and os.replace.

    Creates missing parent directories and keeps the permission bits of a file it
    replaces, so an executable script stays executable after an edit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            # mkstemp creates 0600; a new file should get the usual umask-based mode.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
