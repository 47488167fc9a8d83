"""build_service end to end: skeleton only, and one slot written by the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from specfirst_support import MINIMAL, SPECS, load_service, plan_for

from bdev.specfirst import Options
from bdev.specfirst.pipeline import build_service


def test_skeleton_only_counts_slots_as_not_implemented(tmp_path: Path) -> None:
    notes: list[str] = []
    report = build_service(
        SPECS / "apikey.json",
        tmp_path / "svc",
        describe=None,
        model=None,
        allowed=MINIMAL,
        audit=False,
        progress=notes.append,
    )
    assert report.not_implemented == ["get_report", "status"]
    assert report.implemented_by_model == [] and report.slots == []
    assert len(report.implemented_by_skeleton) == report.operations_total - 2
    assert report.verification == [] and report.audit is None
    saved = json.loads((Path(report.report_path or "") / "build.json").read_text())
    assert saved["not_implemented"] == ["get_report", "status"]
    assert notes[0].startswith("skeleton:")


def test_a_spec_document_given_as_a_dict(tmp_path: Path) -> None:
    doc = plan_for("items.yaml").document
    report = build_service(
        doc, tmp_path / "svc", describe=None, model=None, allowed=MINIMAL, audit=False
    )
    assert report.title == "Items API" and report.not_implemented == ["archive_item"]


@pytest.mark.model
def test_the_embedded_model_fills_one_simple_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real path: the model fills the slot, the spec's tests run, and a failure goes
    back to the slot with its evidence (this spec's "notifies its watchers" tempts the
    1.5B model into iterating a lookup that can be None; the 500 it gives is what the
    verification round sends back)."""
    pytest.importorskip("llama_cpp")
    from bdev.llm import catalog
    from bdev.llm.local.model import LocalModel

    try:
        catalog.ensure_installed()
    except Exception as e:  # parts not installed: nothing to test here
        pytest.skip(f"embedded model not available: {e}")
    out = tmp_path / "svc"
    model = LocalModel(max_tokens=300, persist_prefix=False)
    try:
        report = build_service(
            SPECS / "items.yaml",
            out,
            describe="Archiving an item sets its status to 'archived' and returns the item.",
            model=model,
            allowed=MINIMAL,
            verify_checks=("tests",),
            audit=False,
        )
    finally:
        model.close()
    assert report.implemented_by_model == ["archive_item"], report.verification
    plan = plan_for("items.yaml")
    service = load_service(out, plan, Options(framework="fastapi", allowed=MINIMAL), monkeypatch)
    # A complete item, as the spec's own tests send it (the model may read `status`).
    service.call("POST", "/items", json={"name": "pen", "price": 1, "status": "active"})
    status, item, _ = service.call("POST", "/items/1/archive")
    assert (status, item["status"]) == (200, "archived")
