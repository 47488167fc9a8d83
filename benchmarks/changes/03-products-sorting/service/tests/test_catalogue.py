import importlib
import sys

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "test.db"))
    sys.modules.pop("app", None)
    return TestClient(importlib.import_module("app").app)


def test_search_by_name(client):
    client.post("/products", json={"name": "red mug", "price_cents": 900})
    client.post("/products", json={"name": "blue plate", "price_cents": 1200})
    assert [p["name"] for p in client.get("/products", params={"q": "mug"}).json()] == ["red mug"]


def test_negative_price_is_refused(client):
    assert client.post("/products", json={"name": "x", "price_cents": -1}).status_code == 422
