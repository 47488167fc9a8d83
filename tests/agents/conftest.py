from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from support.seeds import seed_files


@pytest.fixture
def seeds() -> list[Path]:
    return seed_files()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a file below tmp_path (bytes or text, written as given) and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return _write


def _definition(
    name: str = "x", description: str = "Does x.", body: str = "Prompt.\n", **fields: str
) -> str:
    lines = [f"name: {name}", f"description: {description}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


@pytest.fixture
def definition() -> Callable[..., str]:
    """The text of a definition file: name, description, then any other fields given."""
    return _definition
