"""Recognising a `bdev run` task that carries an OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

from bdev.specfirst.taskspec import detect_spec_task

SPEC_YAML = """openapi: 3.0.3
info: {title: Notes, version: '1'}
paths:
  /notes:
    get:
      responses:
        '200': {description: ok}
"""
SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1"},
    "paths": {"/notes": {"get": {"responses": {"200": {"description": "ok"}}}}},
}


def test_fenced_yaml(tmp_path: Path) -> None:
    task = f"Build this as a Flask service.\n\n```yaml\n{SPEC_YAML}```\nNotes are private."
    found = detect_spec_task(task, tmp_path)
    assert found is not None
    assert isinstance(found.spec, dict) and found.spec["info"]["title"] == "Notes"
    assert found.framework == "flask" and not found.single_file
    assert found.describe == "Build this as a Flask service.\n\n\nNotes are private.".replace(
        "\n\n\n", "\n\n"
    )


def test_fenced_json_single_file(tmp_path: Path) -> None:
    task = f"Implement in a single file with FastAPI:\n```json\n{json.dumps(SPEC)}\n```"
    found = detect_spec_task(task, tmp_path)
    assert found is not None and found.spec == SPEC
    assert found.framework == "fastapi" and found.single_file
    assert "```" not in found.describe


def test_unfenced_yaml_followed_by_prose(tmp_path: Path) -> None:
    task = f"Please build this API.\n{SPEC_YAML}Each note belongs to its author."
    found = detect_spec_task(task, tmp_path)
    assert found is not None and isinstance(found.spec, dict)
    assert list(found.spec["paths"]) == ["/notes"]
    assert found.describe == "Please build this API.\nEach note belongs to its author."


def test_unfenced_json(tmp_path: Path) -> None:
    found = detect_spec_task(f"Spec: {json.dumps(SPEC)} -- use flask", tmp_path)
    assert found is not None and found.spec == SPEC and found.framework == "flask"


def test_a_spec_file_in_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api/notes.yaml").write_text(SPEC_YAML)
    found = detect_spec_task("Build the service described in api/notes.yaml.", tmp_path)
    assert found is not None and found.spec == (tmp_path / "api/notes.yaml").resolve()
    assert found.describe == "Build the service described in api/notes.yaml."


def test_negatives(tmp_path: Path) -> None:
    assert detect_spec_task("Add an OpenAPI document to the orders API.", tmp_path) is None
    assert detect_spec_task("Fix the bug in openapi.yaml", tmp_path) is None  # no such file
    not_spec = "```yaml\nname: ci\non: [push]\n```"
    assert detect_spec_task(f"Update the workflow:\n{not_spec}", tmp_path) is None
    swagger2 = "```yaml\nswagger: '2.0'\npaths: {}\n```"
    assert detect_spec_task(swagger2, tmp_path) is None
    outside = tmp_path.parent / "outside-spec.yaml"
    outside.write_text(SPEC_YAML)
    try:
        assert detect_spec_task(f"Build {outside}", tmp_path) is None
    finally:
        outside.unlink()
