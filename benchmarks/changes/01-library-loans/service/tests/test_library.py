import importlib
import sys

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "test.db"))
    sys.modules.pop("app", None)
    return TestClient(importlib.import_module("app").app)


def token(client, name="reader"):
    client.post("/register", json={"username": name, "password": "long-password"})
    return client.post("/login", json={"username": name, "password": "long-password"}).json()[
        "token"
    ]


def test_borrow_and_return(client):
    auth = {"Authorization": f"Bearer {token(client)}"}
    book = client.post("/books", json={"title": "Dune"}, headers=auth).json()
    assert client.post(f"/books/{book['id']}/borrow", headers=auth).status_code == 201
    assert client.post(f"/books/{book['id']}/borrow", headers=auth).status_code == 409
    assert client.post(f"/books/{book['id']}/return", headers=auth).status_code == 200


def test_borrowing_needs_a_token(client):
    assert client.post("/books/1/borrow").status_code == 401
