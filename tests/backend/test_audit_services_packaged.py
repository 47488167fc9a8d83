"""PostgreSQL and Redis from the PyPI packages that carry their binaries, for machines
without Debian's servers. Real servers, started the way an audit starts them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest

from bdev.backend.audit import services
from bdev.backend.audit.services import PG_PACKAGE, REDIS_PACKAGE, package_bin

PG_BIN = package_bin(PG_PACKAGE)
REDIS_BIN = package_bin(REDIS_PACKAGE)
needs_pg_package = pytest.mark.skipif(
    PG_BIN is None, reason=f"{PG_PACKAGE.dist} is not installed (pip install {PG_PACKAGE.dist})"
)
needs_redis_package = pytest.mark.skipif(
    REDIS_BIN is None,
    reason=f"{REDIS_PACKAGE.dist} is not installed (pip install {REDIS_PACKAGE.dist})",
)


def _query(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        conn.execute("create table t (x int)")
        conn.execute("insert into t values (41), (1)")
        return conn.execute("select current_database(), sum(x) from t").fetchone()


@needs_pg_package
def test_postgresql_from_the_pip_package() -> None:
    assert PG_BIN is not None
    with services.postgresql(bindir=PG_BIN) as (url, details):
        assert _query(url) == ("app", 42)
        # The package's own binaries, or a copy of them where the postgres user cannot
        # reach the environment (a virtualenv in a private folder, as in CI).
        assert Path(details["bin"]).parts[-3:] == PG_BIN.parts[-3:]
        assert details["version"].startswith("postgres (PostgreSQL) ")
        port = details["port"]
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "PostgreSQL still listening"


@needs_pg_package
@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to another user")
def test_packaged_postgresql_in_a_private_folder_runs_from_a_copy(tmp_path: Path) -> None:
    # Like a virtualenv under /root (mode 700): the `postgres` user cannot reach the
    # binaries there, so bdev runs a copy of the package (with its .libs) instead.
    assert PG_BIN is not None
    package = next(p for p in PG_BIN.parents if p.name == PG_PACKAGE.module)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    for tree in (package, package.with_name(package.name + ".libs")):
        if tree.is_dir():
            (private / tree.name).symlink_to(tree)
    bindir = private / package.name / PG_BIN.relative_to(package)
    with services.postgresql(bindir=bindir) as (url, details):
        assert _query(url) == ("app", 42)
        assert not details["bin"].startswith(str(private))  # the copy, in the run's temp dir


@needs_redis_package
def test_redis_from_the_pip_package() -> None:
    assert REDIS_BIN is not None
    exe = str(REDIS_BIN / "redis-server")
    with services.redis(exe=exe) as (url, details):
        assert details["bin"] == exe and "v=" in details["version"]
        with socket.create_connection(("127.0.0.1", details["port"]), timeout=5) as r:
            r.sendall(b"SET k 41\r\nINCR k\r\n")
            replies = b""
            while replies.count(b"\r\n") < 2:  # the two replies may arrive apart
                replies += r.recv(64)
            assert replies == b"+OK\r\n:42\r\n"
        assert url == f"redis://127.0.0.1:{details['port']}/0"


@needs_redis_package
def test_packaged_redis_is_found_when_none_is_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on PATH
    assert services.find_redis_server() == str(REDIS_BIN / "redis-server")


def test_missing_servers_say_what_to_install() -> None:
    assert "`postgresql`" in services.PG_MISSING and PG_PACKAGE.dist in services.PG_MISSING
    assert "`redis-server`" in services.REDIS_MISSING
    assert REDIS_PACKAGE.dist in services.REDIS_MISSING
