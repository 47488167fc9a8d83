"""Suite-wide rules.

- Every test runs with its own HOME and XDG_CONFIG_HOME, so the user's config, agents
  and sessions never leak in; the caches (the embedded model, pip, uv, the audited
  services' environments) stay where they are, so nothing is downloaded or built twice.
- `workspace` is the one empty workspace fixture.
- Tests marked `model` need the embedded model. Outside CI they are skipped, with the
  reason, when it is not installed; in CI (CI=true) a missing model is a failure, so
  those tests can never be skipped silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bdev import sandbox

# Read once, before any test moves HOME.
_CACHE_HOME = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
_MODEL_CACHE = os.environ.get("BDEV_CACHE_DIR") or str(Path(_CACHE_HOME) / "bdev" / "models")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", _CACHE_HOME)
    monkeypatch.setenv("BDEV_CACHE_DIR", _MODEL_CACHE)
    for var in ("BDEV_MODEL", "BDEV_PERMISSION_MODE", "BDEV_MAX_STEPS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def default_sandbox() -> None:
    """Each test starts with the default sandbox settings (on): a run with --no-sandbox
    sets them for the rest of its process."""
    sandbox.configure(sandbox.Sandbox())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace directory."""
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def _model_ready() -> tuple[bool, str]:
    try:
        import llama_cpp  # noqa: F401

        from bdev.llm.catalog import status
    except ImportError as e:
        return False, f"embedded model runtime not installed ({e}): pip install -e '.[local]'"
    st = status(None)
    if not (st.installed and st.verified):
        return False, "embedded model not installed: bdev models install"
    return True, ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needing = [item for item in items if item.get_closest_marker("model")]
    if not needing:
        return
    ready, why = _model_ready()
    if ready:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"CI needs the embedded model for {len(needing)} tests: {why}")
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=why))
