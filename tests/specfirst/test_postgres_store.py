"""The generated store against a real PostgreSQL (Debian's server binaries)."""

from __future__ import annotations

from pathlib import Path

import pytest
from specfirst_support import MINIMAL, load_service, plan_for

from bdev.specfirst import Options, generate

pytestmark = pytest.mark.slow  # starts a PostgreSQL server


@pytest.mark.services
def test_crud_round_trip_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    from bdev.backend.audit.services import find_pg_bin, postgresql

    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    plan = plan_for("items.yaml")
    options = Options(allowed=MINIMAL | {"psycopg"})
    generate(plan, options, tmp_path)
    with postgresql() as (url, _):
        service = load_service(tmp_path, plan, options, monkeypatch)
        monkeypatch.setattr(service.module, "store", service.module.Store(url))
        status, created, _ = service.call("POST", "/items", json={"name": "pen", "price": 1.5})
        assert (status, created["id"]) == (201, 1)
        service.call("POST", "/items", json={"name": "ink", "price": 2, "status": "active"})
        status, page, _ = service.call("GET", "/items", params={"status": "active"})
        assert [i["name"] for i in page["items"]] == ["ink"] and page["total"] == 1
        assert service.call("PATCH", "/items/1", json={"price": 3.0})[1]["price"] == 3.0
        assert service.call("DELETE", "/items/1")[0] == 204
        assert service.call("GET", "/items/1")[0] == 404
        service.module.store._db.close()
