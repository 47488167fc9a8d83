"""Helpers for the spec-first tests: generate a service into tmp_path and talk to it.

(Importable as `specfirst_support`: pytest puts this directory on sys.path.)
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bdev.specfirst import Options, ServicePlan, build_plan, load_spec
from support.answers import ARCHIVE_ANSWER  # noqa: F401  (re-exported)

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
# Restricting to these forces the standard-library crypto (no PyJWT) and keeps the
# generated services runnable with what the dev environment has.
MINIMAL = frozenset({"fastapi", "uvicorn", "pydantic", "flask"})
SECRET = "specfirst-test-secret-0123456789abcdef"
API_KEY = "k-123456789"


def plan_for(name: str) -> ServicePlan:
    return build_plan(load_spec(SPECS / name), name)


@dataclass
class Service:
    """A generated service, imported and wrapped in its framework's test client."""

    out: Path
    module: ModuleType
    plan: ServicePlan
    framework: str
    single_file: bool
    client: Any

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
    ) -> tuple[int, Any, Any]:
        headers = headers or {}
        if self.framework == "fastapi":
            response = self.client.request(
                method, path, json=json, headers=headers, params=params, content=content
            )
            try:
                payload = response.json()
            except ValueError:
                payload = None
            return response.status_code, payload, response.headers
        kwargs: dict[str, Any] = {"headers": headers, "query_string": params or {}}
        if json is not None:
            kwargs["json"] = json
        if content is not None:
            kwargs["data"] = content
            kwargs["content_type"] = "application/json"
        response = self.client.open(path, method=method, **kwargs)
        return response.status_code, response.get_json(silent=True), response.headers

    def handlers(self) -> ModuleType:
        """The module whose handler functions the routes call (for monkeypatching)."""
        return self.module if self.single_file else sys.modules["app.handlers"]


def load_service(
    out: Path, plan: ServicePlan, options: Options, monkeypatch: pytest.MonkeyPatch
) -> Service:
    # Every generated service is a top-level `app` package/module: forget the last one.
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]
    monkeypatch.setenv("APP_SECRET_KEY", SECRET)
    monkeypatch.setenv("APP_API_KEYS", f"other-key,{API_KEY}")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{out / 'test.db'}")
    monkeypatch.syspath_prepend(str(out))
    module = importlib.import_module("app" if options.single_file else "app.main")
    if options.framework == "fastapi":
        from fastapi.testclient import TestClient

        client: Any = TestClient(module.app, raise_server_exceptions=False)
    else:
        client = module.app.test_client()
    return Service(out, module, plan, options.framework, options.single_file, client)
