"""Fixtures for the hidden tests of the change suite.

The HTTP fixtures (base_url, client, unique, invalid, env_path) are the greenfield
suite's, loaded from benchmarks/scenarios/conftest.py so both suites test alike. Added
here: the changed service's folder (SERVICE_DIR) and `load_service`, which imports one
of its modules in this process, for what HTTP cannot show (query counts, migrations).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _scenario_fixtures() -> ModuleType:
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
invalid = _shared.invalid
env_path = _shared.env_path

# The task folder's own copy of the service, as it was before any change.
ORIGINAL = "service"


@pytest.fixture
def service_dir() -> Path:
    value = os.environ.get("SERVICE_DIR")
    if not value:
        pytest.fail("SERVICE_DIR is not set: the harness sets it to the changed service")
    return Path(value)


def _forget(folder: Path) -> None:
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(folder)):
            del sys.modules[name]


@pytest.fixture
def load_service(
    service_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., ModuleType]]:
    """load_service("app", DATABASE_PATH=...) -> the module, freshly imported from the
    changed service with that environment (the working directory is the service's)."""

    def load(module: str, **env: str) -> ModuleType:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(service_dir)
        monkeypatch.syspath_prepend(str(service_dir))
        _forget(service_dir)
        return importlib.import_module(module)

    yield load
    _forget(service_dir)
