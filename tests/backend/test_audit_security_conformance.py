"""Conformance with schemathesis against two tiny FastAPI services: one that keeps its
promises and one whose responses break its own declared schema."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bdev.backend.audit.conformance import fetch_openapi, run_conformance
from bdev.backend.audit.procs import free_port, stop_group, wait_for_port
from bdev.backend.facts import BackendFacts

pytestmark = pytest.mark.slow  # starts real services

SERVICE = """
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Item(BaseModel):
    id: int
    name: str


good = FastAPI()
bad = FastAPI()


@good.get("/items/{item_id}", response_model=Item)
def get_item(item_id: int) -> Item:
    return Item(id=item_id, name="thing")


@good.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# Declares an Item but answers with a string id and no name: a broken contract.
@bad.get("/items/{item_id}", responses={200: {"model": Item}}, response_model=None)
def get_bad_item(item_id: int) -> JSONResponse:
    return JSONResponse({"id": str(item_id)})
"""


@pytest.fixture(scope="module")
def service_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("conformance")
    (root / "service.py").write_text(SERVICE)
    return root


def _serve(root: Path, app: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"service:{app}", "--port", str(port)],
        cwd=root, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_for_port(port, timeout_s=20), f"uvicorn service:{app} did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture(scope="module")
def good_url(service_dir: Path) -> Iterator[str]:
    yield from _serve(service_dir, "good")


@pytest.fixture(scope="module")
def bad_url(service_dir: Path) -> Iterator[str]:
    yield from _serve(service_dir, "bad")


def test_conforming_service_passes(good_url: str):
    spec = fetch_openapi(good_url, BackendFacts(root="."))
    assert spec is not None
    result = run_conformance(good_url, spec, timeout_s=90)
    assert result.name == "conformance"
    assert result.data["operations"] == 2
    assert result.data["operations_tested"] == 2
    assert result.data["requests"] >= 2
    assert result.data["server_errors"] == 0
    assert result.data["schema_violations"] == 0
    assert result.status == "ok", result.data["failures"]


def test_wrong_response_schema_is_a_violation(bad_url: str):
    spec = httpx.get(bad_url + "/openapi.json").json()
    result = run_conformance(bad_url, spec, timeout_s=90)
    assert result.status == "failed"
    assert result.data["schema_violations"] > 0
    violation = next(f for f in result.data["failures"] if f["check"].startswith("ST108"))
    assert violation["operation"] == "GET /items/{item_id}"
    assert "curl" in violation["example"]


def test_a_run_that_overruns_its_time_is_an_error(good_url: str):
    spec = httpx.get(good_url + "/openapi.json").json()
    result = run_conformance(good_url, spec, timeout_s=0.2)
    assert result.status == "error"
    assert "did not finish" in result.summary


def test_spec_file_is_the_fallback(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "api.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n"
        "      responses:\n        '200': {description: ok}\n"
    )
    nobody = f"http://127.0.0.1:{free_port()}"
    facts = BackendFacts(root=str(tmp_path), openapi_document="docs/api.yaml")
    assert list(fetch_openapi(nobody, facts)["paths"]) == ["/ping"]
    assert fetch_openapi(nobody, BackendFacts(root=str(tmp_path))) is None
