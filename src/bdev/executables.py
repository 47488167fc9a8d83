"""Finding the command-line tools that bdev's own dependencies install (rg, ruff, uv).

A wheel puts its binary in the interpreter's `bin/` folder, which is on PATH only when
the virtualenv is activated; `.venv/bin/bdev run ...` works without activating, so look
beside the running interpreter first, then on PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def find_executable(name: str) -> str | None:
    """The path of `name` installed beside this interpreter, else on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)
