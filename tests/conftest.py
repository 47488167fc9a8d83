"""Suite-wide rules: tests marked `model` need the embedded model.

Outside CI they are skipped, with the reason, when the model is not installed; in CI
(CI=true) a missing model is a failure, so those tests can never be skipped silently.
"""

from __future__ import annotations

import os

import pytest


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
