import importlib
import sys

import pytest


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "test.db"))
    sys.modules.pop("app", None)
    return importlib.import_module("app").app.test_client()


def test_events_are_listed_newest_first(client):
    for n in range(3):
        assert client.post("/events", json={"kind": "login", "message": f"m{n}"}).status_code == 201
    assert [e["message"] for e in client.get("/events").get_json()] == ["m2", "m1", "m0"]


def test_kind_is_required(client):
    assert client.post("/events", json={"message": "x"}).status_code == 400
