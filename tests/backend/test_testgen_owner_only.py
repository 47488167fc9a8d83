"""Generated tests that an object stays its owner's, when the request says so
(`workflow.owneronly`, `testgen.operations.add_owner_only_checks`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.backend.analyze import analyze
from bdev.backend.testgen import app_target, operations, render_module, write_module
from bdev.workflow.owneronly import owner_only_checks, owner_only_statuses
from support.apps import MEMBERS_APP, run_generated, served_document

# MEMBERS_APP's sign-up, and notes that every member can read and change (the leak).
NOTES = (
    MEMBERS_APP
    + """

NOTES: dict[int, dict] = {}


class Note(BaseModel):
    text: str


@app.post("/notes", status_code=201)
def add_note(body: Note, name: str = Depends(member)) -> dict:
    note = {"id": len(NOTES) + 1, "owner": name, "text": body.text}
    NOTES[note["id"]] = note
    return note


@app.get("/notes")
def list_notes(name: str = Depends(member)) -> list[dict]:
    return list(NOTES.values())


@app.get("/notes/{note_id}")
def get_note(note_id: int, name: str = Depends(member)) -> dict:
    if note_id not in NOTES:
        raise HTTPException(404, "no such note")
    return NOTES[note_id]


@app.patch("/notes/{note_id}")
def edit_note(note_id: int, body: Note, name: str = Depends(member)) -> dict:
    if note_id not in NOTES:
        raise HTTPException(404, "no such note")
    NOTES[note_id]["text"] = body.text
    return NOTES[note_id]
"""
)
# The fix: someone else's note is answered as a missing one, and not listed.
KEPT = NOTES.replace(
    "    if note_id not in NOTES:\n",
    "    if note_id not in NOTES or NOTES[note_id]['owner'] != name:\n",
).replace("return list(NOTES.values())", "return [n for n in NOTES.values() if n['owner'] == name]")
REQUEST = (
    "Members can open each other's notes. Fix GET /notes, GET /notes/{id} and PATCH "
    "/notes/{id}: a "
    "member only ever sees and changes their own notes. Someone else's note answers "
    "404, as a missing one does."
)


def test_the_status_is_the_first_refusal_after_the_words() -> None:
    assert owner_only_statuses(REQUEST) == (404,)
    two = "Only their own tickets. Someone else's ticket answers 404, and setting status gets 403."
    assert owner_only_statuses(two) == (404,)
    assert owner_only_statuses("Users may only edit their own posts.") == (403, 404)
    assert owner_only_statuses("Add pagination to GET /notes, 403 without a token.") == ()


@pytest.mark.slow
def test_a_leak_fails_the_generated_tests_and_the_fix_passes_them(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(NOTES)
    facts = analyze(tmp_path)
    ops = operations(facts, served_document(tmp_path))
    names = {op.name for op in ops if op.path.startswith("/notes")}
    note = owner_only_checks(REQUEST, ops, names)
    assert note == "3 tests that another new user reaching an owner's object gets 404"
    target = app_target(facts)
    assert target is not None
    assert write_module(tmp_path, render_module(target, ops)) is not None
    read, write = (
        "test_get_notes_note_id_is_for_its_owner_only",
        ("test_patch_notes_note_id_is_for_its_owner_only"),
    )
    listed = "test_get_notes_lists_only_the_callers_own"
    results = run_generated(tmp_path)
    assert {results[t] for t in (read, write, listed)} == {"failed"}, results
    (tmp_path / "app.py").write_text(KEPT)
    results = run_generated(tmp_path)
    assert {results[t] for t in (read, write, listed)} == {"passed"}, results
    assert all(v == "passed" for v in results.values()), results
