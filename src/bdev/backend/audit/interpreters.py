"""Which Python the service's environment is built on.

The version the project asks for when such an interpreter is installed (`python3.X` on
PATH, or pyenv's versions directory), else bdev's own, with a note saying so. bdev's own
is preferred whenever it satisfies the request: nothing to look up, nothing to start.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bdev.backend.audit.depfiles import PythonRequest

_PROBE = (
    "import json, sys; print(json.dumps({'version': list(sys.version_info[:3]),"
    " 'executable': sys.executable, 'base_prefix': sys.base_prefix,"
    " 'implementation': sys.implementation.name}))"
)


@dataclass(frozen=True)
class Interpreter:
    path: str  # what to run
    version: tuple[int, int, int]
    base_prefix: str  # the installation it belongs to (a venv's base, for a venv)
    implementation: str = "cpython"

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


@dataclass(frozen=True)
class Choice:
    interpreter: Interpreter
    own: bool  # bdev's own interpreter
    reason: str  # where the choice came from, for the step's data
    note: str = ""  # set when the project's request could not be honoured


def own_interpreter() -> Interpreter:
    return Interpreter(
        sys.executable,
        (sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
        sys.base_prefix,
        sys.implementation.name,
    )


def describe(python: str, timeout_s: float = 20.0) -> Interpreter | None:
    """Ask an interpreter what it is; None when it does not run (a broken pyenv shim)."""
    try:
        run = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout_s, check=False
        )
        info = json.loads(run.stdout)
        return Interpreter(
            python, tuple(info["version"]), info["base_prefix"], info["implementation"]
        )
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return None


def installed() -> Iterator[Interpreter]:
    """Interpreters on this machine: pyenv's installs first (real binaries), then PATH."""
    seen: set[str] = set()
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = pyenv / "versions"
    candidates = sorted(str(p) for p in versions.glob("[0-9]*/bin/python3"))
    on_path = [p for minor in range(6, 20) if (p := shutil.which(f"python3.{minor}"))]
    # pyenv's shims lead to the installs listed above, only slower (and some fail).
    candidates += [p for p in on_path if not (candidates and Path(p).parent == pyenv / "shims")]
    for path in candidates:
        found = describe(path)
        if found and found.base_prefix not in seen:
            seen.add(found.base_prefix)
            yield found


def choose(request: PythonRequest) -> Choice:
    own = own_interpreter()
    if request.version is not None:
        wanted, source = request.version, request.version_source
        label = f"{source} asks for Python {wanted[0]}.{wanted[1]}"
        if own.version[:2] == wanted:
            return Choice(own, True, f"{label}: bdev's own matches")
        match = next((i for i in installed() if i.version[:2] == wanted), None)
    elif request.specifier:
        try:
            spec = SpecifierSet(request.specifier)
        except InvalidSpecifier:
            return Choice(own, True, "bdev's own interpreter", _bad_spec(request))
        source, label = request.specifier_source, f"{request.specifier_source} is {spec}"
        if spec.contains(Version(own.version_text), prereleases=True):
            return Choice(own, True, f"{label}: bdev's own matches")
        fits = [i for i in installed() if spec.contains(Version(i.version_text), prereleases=True)]
        match = max(fits, key=lambda i: i.version, default=None)
    else:
        return Choice(own, True, "bdev's own interpreter (the project names no Python version)")
    if match is None:
        note = f"{label}, which is not installed here: using bdev's own Python {own.version_text}"
        return Choice(own, True, "bdev's own interpreter", note)
    return Choice(match, False, label)


def _bad_spec(request: PythonRequest) -> str:
    return f"{request.specifier_source} {request.specifier!r} is not a valid version range"
