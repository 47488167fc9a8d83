"""Reading and writing workspace files: binary detection, UTF-8 text, atomic writes."""

from __future__ import annotations

from pathlib import Path

from bdev.fsutil import write_text_atomic
from bdev.tools.base import ToolError
from bdev.tools.slips import mend_slips, syntax_error

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


def syntax_note(path: Path, text: str) -> str:
    """For a Python file that no longer parses: where and why, and the line itself, to
    append to the tool's result (the file is still written; the next step can fix it).
    "" otherwise. The line is quoted because a small model, told only a line number in a
    file of 150 lines it wrote in one go, rewrites the whole file and a new slip with it."""
    error = syntax_error(text, str(path)) if path.suffix == ".py" else None
    if error is None:
        return ""
    where = f"line {error.lineno}: " if error.lineno else ""
    lines = text.splitlines()
    shown = lines[error.lineno - 1].strip() if error.lineno and error.lineno <= len(lines) else ""
    quoted = f": `{shown[:120]}`" if shown else ""
    return f"\nNote: it does not parse as Python: {where}{error.msg}{quoted}"


def mend_python(path: Path, text: str) -> tuple[str, str]:
    """For a Python file: `text` with its slips mended (`slips`: a line break a JSON slip
    put inside a string literal, a closing bracket that does not match), and what bdev
    changed, to follow the tool's first line; else as it is."""
    if path.suffix != ".py" or not (mended := mend_slips(text, str(path))):
        return text, ""
    # Said in a clause on the result's own line, as done: told in a note of its own what
    # slipped, the embedded model sent the same Write again, step after step, and told
    # "bdev wrote ..." it wrote that sentence into app.py (greenfield 01 at `b9fa3d5`,
    # `f00905a`).
    done = [f"line {n} (a line break in a string, now \\n)" for n in mended.breaks]
    for line, wrong, right in mended.brackets:
        change = f"`{wrong}` made `{right}`" if wrong and right else ""
        change = change or (f"an extra `{wrong}` taken out" if wrong else f"`{right}` added")
        done.append(f"line {line} ({change})")
    return mended.text, f"; bdev mended {', '.join(done)}"
