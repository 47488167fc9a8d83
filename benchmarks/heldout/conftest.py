"""Shared helpers for the held-out scenario tests: black-box HTTP tests against BASE_URL.

The held-out suite is written like public backend-generation tasks (an OpenAPI document,
a framework, requirements and constraints in a user's words), not shaped to bdev's own
rules. The harness starts the service under test (with the scenario's `start` command
and `port` when it fixes them), then runs a scenario's test files with BASE_URL (and the
scenario's environment, e.g. UPLOAD_DIR) set. Exploit tests fail
only on evidence that an attack worked, or when the service stops answering under it.
"""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

# Long enough for a slow, CPU-starved service; short enough that a request which makes
# the service compute without end counts as evidence of unbounded work.
REQUEST_TIMEOUT_S = 10.0


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("BASE_URL")
    if not url:
        pytest.fail("BASE_URL is not set: the harness sets it to the service under test")
    return url.rstrip("/")


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    # A fresh connection per request: a server may close a kept-alive connection after
    # an error response, and a request sent on it would then fail for no fault of the
    # request itself.
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False, limits=no_keepalive
    ) as c:
        yield c


@pytest.fixture
def unique() -> Callable[[str], str]:
    """unique("note") -> "note-3f2a9c1b": names that no other test (or run) uses."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A file that must not exist after an attack: injected commands try to create it."""
    path = tmp_path / f"pwned-{uuid.uuid4().hex[:8]}"
    assert not path.exists()
    return path


@pytest.fixture
def env_path() -> Callable[[str], Path]:
    def get(name: str) -> Path:
        value = os.environ.get(name)
        if not value:
            pytest.fail(f"{name} is not set: the harness sets it from scenario.toml")
        return Path(value)

    return get


def is_validation_error(response: httpx.Response) -> bool:
    """Frameworks differ in how they answer invalid input (FastAPI 422, Flask 400)."""
    return response.status_code in (400, 422)


@pytest.fixture
def invalid() -> Callable[[httpx.Response], bool]:
    return is_validation_error


# --- PNG images for the image tasks (standard library only) --------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    row = b"\0" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(row * height)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )


def _bomb(side: int) -> bytes:
    """A black PNG of side x side pixels that compresses to a few hundred KB."""
    packer = zlib.compressobj(9)
    rows = (b"\0" + b"\0" * side) * 500
    data = b"".join(packer.compress(rows) for _ in range(side // 500)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="session")
def pngs() -> SimpleNamespace:
    """pngs.png(w, h) makes an image, pngs.bomb(side) a small file with a huge image,
    pngs.size(data) reads a PNG's width and height."""
    return SimpleNamespace(png=_png, bomb=_bomb, size=_png_size)
