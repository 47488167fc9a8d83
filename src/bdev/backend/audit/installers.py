"""The installers that build a service's environment: uv when present, else venv + pip.

uv does not read pip's configuration, so pip's index settings (index URLs, find-links,
constraints, CA bundle) are handed to uv explicitly: the same requirements must resolve
the same way whichever tool builds. Also here: naming the requirement an install
failed on, from the installer's own words.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from bdev.backend.audit.depfiles import Declared

_LIST_KEYS = ("extra-index-url", "find-links", "constraint")
_ONE_KEYS = ("index-url", "cert", "no-index")


def find_uv() -> str | None:
    """uv installed beside bdev (a declared dependency) first, then on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


@dataclass
class PipSettings:
    """The part of pip's configuration that decides where packages come from."""

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    cert: str | None = None
    no_index: bool = False

    def uv_args(self) -> list[str]:
        args: list[str] = ["--no-index"] if self.no_index else []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in self.find_links:
            args += ["--find-links", link]
        for path in self.constraints:
            args += ["--constraint", path]
        if self.extra_index_urls or self.find_links:
            # pip takes the best version across all indexes; uv's default stops at the first
            # index that has the package at all, which would hide PyPI's older releases.
            args += ["--index-strategy", "unsafe-best-match"]
        return args


def parse_pip_config(text: str) -> PipSettings:
    """The output of `pip config list` ("global.index-url='…'", ":env:.find-links='…'").
    Single values: the environment wins over [install] over [global]; lists add up."""
    ones: dict[str, tuple[int, str]] = {}
    lists: dict[str, list[str]] = {key: [] for key in _LIST_KEYS}
    for line in text.splitlines():
        name, sep, raw = line.partition("=")
        if not sep:
            continue
        section, _, key = name.strip().rpartition(".")
        value = raw.strip().strip("'\"")
        if key in _LIST_KEYS:
            lists[key] += [v for v in value.split() if v not in lists[key]]
        elif key in _ONE_KEYS:
            rank = 0 if section == ":env:" else 1 if section == "install" else 2
            if key not in ones or rank < ones[key][0]:
                ones[key] = (rank, value)
    return PipSettings(
        index_url=ones.get("index-url", (0, None))[1],
        extra_index_urls=lists["extra-index-url"],
        find_links=lists["find-links"],
        constraints=lists["constraint"],
        cert=ones.get("cert", (0, None))[1],
        no_index=ones.get("no-index", (0, "false"))[1].lower() in ("1", "true", "yes", "on"),
    )


# Set by whoever configured uv itself: then uv's own settings stand.
_UV_INDEX_VARS = ("UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL")


def pip_settings() -> PipSettings:
    """pip's effective configuration (files and PIP_* variables), via pip itself: bdev's
    own pip, else the one on PATH (an environment made by uv may have none)."""
    if any(os.environ.get(var) for var in _UV_INDEX_VARS):
        return PipSettings()
    commands = [[sys.executable, "-m", "pip"]]
    commands += [[pip] for name in ("pip3", "pip") if (pip := shutil.which(name))]
    for cmd in commands:
        try:
            run = subprocess.run(
                [*cmd, "config", "list"], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if run.returncode == 0:
            return parse_pip_config(run.stdout)
    return PipSettings()


def uv_env(settings: PipSettings) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}
    if settings.cert and "SSL_CERT_FILE" not in env:
        env["SSL_CERT_FILE"] = settings.cert
    return env


def pip_env() -> dict[str, str]:
    return {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


# --- why an install failed --------------------------------------------------------------------

_CULPRIT = [
    re.compile(p)
    for p in (
        r"No matching distribution found for ([^\s;]+)",
        r"Could not find a version that satisfies the requirement ([^\s;]+)",
        r"Because ([\w.\-\[\]]+) was not found in the package registry",
        r"Because there (?:is|are) no versions? of ([\w.\-\[\]]+)",
        r"Failed to (?:build|download|fetch|prepare distributions for) `([^`]+)`",
        r"Failed building wheel for ([\w.\-]+)",
        r"Failed to build ([\w.\-]+)",
        r"Cannot install ([\w.\-\[\]=<>!~]+)",
        r"you require ([\w.\-\[\]]+)",
        r"Invalid requirement: '([^']+)'",
    )
]
_HEADLINE = re.compile(r"^\s*(?:ERROR:|error:|cause:|×|╰─▶)\s*(.+)$", re.MULTILINE)


@dataclass
class Failure:
    requirement: str | None  # the declared line it failed on, when it can be told
    source: str | None  # the file that declares it
    reason: str  # the installer's own one-line explanation


def explain_failure(output: str, declared: list[Declared]) -> Failure:
    by_name = {d.name: d for d in declared if d.name}
    for pattern in _CULPRIT:
        for match in pattern.finditer(output):
            culprit = canonicalize_name(re.split(r"[\[=<>!~ ;@]", match[1].strip("`'\""))[0])
            if culprit in by_name:
                d = by_name[culprit]
                return Failure(d.text, d.source, _reason(output))
    # Not one of the usual messages: the first declared name the installer mentions.
    lowered = output.lower()
    for name, d in by_name.items():
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", lowered):
            return Failure(d.text, d.source, _reason(output))
    return Failure(None, None, _reason(output))


def _reason(output: str) -> str:
    """The most specific line: uv's "cause:" or pip's last ERROR, else the last line."""
    lines = [m[1].strip() for m in _HEADLINE.finditer(output)]
    causes = [line for line in lines if "because" in line.lower()]
    if causes:
        return causes[0]
    if lines:
        return lines[-1]
    rest = output.strip().splitlines()
    return rest[-1].strip() if rest else "no output"
