"""Shared helpers for the held-out scenario tests: black-box HTTP tests against BASE_URL.

The held-out suite is written like public backend-generation tasks (an OpenAPI document,
a framework, requirements and constraints in a user's words), not shaped to bdev's own
rules. The harness starts the service under test (with the scenario's `start` command
and `port` when it fixes them), then runs a scenario's test files with BASE_URL (and the
scenario's environment, e.g. UPLOAD_DIR) set. Exploit tests fail
only on evidence that an attack worked, or when the service stops answering under it.
"""

from __future__ import annotations

import importlib.util
import struct
import zlib
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest


def _scenario_fixtures() -> ModuleType:
    """The greenfield suite's HTTP fixtures, so both suites test alike."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "conftest.py"
    spec = importlib.util.spec_from_file_location("bdev_scenario_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _scenario_fixtures()
base_url = _shared.base_url
client = _shared.client
unique = _shared.unique
marker = _shared.marker
env_path = _shared.env_path
invalid = _shared.invalid


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
