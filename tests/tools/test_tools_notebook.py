from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.notebook import NotebookEditTool


def notebook(minor: int = 5) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": minor,
        "metadata": {},
        "cells": [
            {"id": "intro", "cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
            {
                "id": "calc",
                "cell_type": "code",
                "metadata": {},
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["2\n"]}],
                "source": ["print(1 + 1)\n"],
            },
        ],
    }


@pytest.fixture
def nb_path(ws: Path) -> Path:
    path = ws / "nb.ipynb"
    path.write_text(json.dumps(notebook()))
    return path


def cells(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["cells"]


def run(ctx: ToolContext, **args: Any) -> str:
    return NotebookEditTool().run({"notebook_path": "nb.ipynb", **args}, ctx)


def test_replace_by_id_clears_outputs(nb_path: Path, ctx: ToolContext) -> None:
    out = run(ctx, cell_id="calc", new_source="x = 1\nprint(x)")
    cell = cells(nb_path)[1]
    assert cell["source"] == ["x = 1\n", "print(x)"]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert out == "Replaced cell 1 of nb.ipynb (2 cells now)"


def test_replace_by_number_can_change_type(nb_path: Path, ctx: ToolContext) -> None:
    run(ctx, cell_number=1, new_source="Now prose", cell_type="markdown")
    cell = cells(nb_path)[1]
    assert cell["cell_type"] == "markdown"
    assert "outputs" not in cell and "execution_count" not in cell


def test_insert_after_id_at_number_and_at_top(nb_path: Path, ctx: ToolContext) -> None:
    run(ctx, edit_mode="insert", cell_id="intro", new_source="a = 1", cell_type="code")
    run(ctx, edit_mode="insert", cell_number=3, new_source="last", cell_type="markdown")
    run(ctx, edit_mode="insert", new_source="first", cell_type="markdown")
    result = cells(nb_path)
    assert [c["source"] for c in result] == [
        ["first"],
        ["# Title\n"],
        ["a = 1"],
        ["print(1 + 1)\n"],
        ["last"],
    ]
    assert result[2]["outputs"] == [] and len(result[2]["id"]) == 8


def test_insert_without_ids_for_old_minor_version(ws: Path, ctx: ToolContext) -> None:
    (ws / "nb.ipynb").write_text(json.dumps(notebook(minor=4)))
    run(ctx, edit_mode="insert", new_source="x", cell_type="code")
    assert "id" not in cells(ws / "nb.ipynb")[0]


def test_delete(nb_path: Path, ctx: ToolContext) -> None:
    run(ctx, edit_mode="delete", cell_id="intro", new_source="")
    assert [c["id"] for c in cells(nb_path)] == ["calc"]


def test_errors_leave_the_notebook_unchanged(nb_path: Path, ws: Path, ctx: ToolContext) -> None:
    before = nb_path.read_text()
    with pytest.raises(ToolError, match="no cell with id 'nope'"):
        run(ctx, cell_id="nope", new_source="x")
    with pytest.raises(ToolError, match="out of range"):
        run(ctx, cell_number=7, new_source="x")
    with pytest.raises(ToolError, match="cell_id or cell_number"):
        run(ctx, new_source="x")
    assert nb_path.read_text() == before
    (ws / "bad.ipynb").write_text("{not json")
    with pytest.raises(ToolError, match="not valid notebook JSON"):
        NotebookEditTool().run(
            {"notebook_path": "bad.ipynb", "new_source": "", "cell_number": 0}, ctx
        )
    (ws / "x.py").write_text("")
    with pytest.raises(ToolError, match=r"not a \.ipynb"):
        NotebookEditTool().run({"notebook_path": "x.py", "new_source": ""}, ctx)
