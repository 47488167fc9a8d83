from __future__ import annotations

from collections.abc import Iterator

import pytest
from llm_fake_server import FakeServer


@pytest.fixture(scope="session")
def _running_server() -> Iterator[FakeServer]:
    server = FakeServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_server(_running_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """The shared fake API server, with an empty script and no provider env leaking in."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    _running_server.script()
    return _running_server
