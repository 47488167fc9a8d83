"""NotebookEdit: replace, insert or delete one cell of a Jupyter notebook (nbformat 4).

Plain JSON handling rather than the nbformat package: the edit touches one list entry,
and nbformat would add a dependency (and jsonschema validation) for no gain here.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.fileio import read_text, save_text
from bdev.tools.schema import STRING, enum, integer, object_schema
from bdev.tools.workspace import display_path, resolve_path, workspace_root


class NotebookEditTool:
    name = "NotebookEdit"
    description = (
        "Edit a .ipynb cell: replace (default), insert (after cell_id, or at cell_number) "
        "or delete. Cells are chosen by cell_id or 0-based cell_number."
    )
    parameters = object_schema(
        {
            "notebook_path": STRING,
            "new_source": STRING,
            "cell_id": STRING,
            "cell_number": integer(minimum=0),
            "cell_type": enum("code", "markdown"),
            "edit_mode": enum("replace", "insert", "delete"),
        },
        "notebook_path",
        "new_source",
    )
    brief = "Replace the source of a .ipynb cell."
    small_params = ("cell_number",)
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = resolve_path(ctx.workspace, args["notebook_path"])
        shown = display_path(workspace_root(ctx.workspace), path)
        if path.suffix != ".ipynb":
            raise ToolError(f"{shown}: not a .ipynb notebook (use Edit for other files)")
        nb = _load(path, shown)
        cells: list[dict[str, Any]] = nb["cells"]
        mode = args.get("edit_mode") or "replace"
        source = args.get("new_source", "")
        if mode == "insert":
            index = _insert_index(cells, args, shown)
            cell_type = args.get("cell_type") or "code"
            cells.insert(index, _new_cell(nb, cell_type, source))
            done = f"Inserted a {cell_type} cell at position {index}"
        elif mode == "delete":
            index = _find(cells, args, shown)
            del cells[index]
            done = f"Deleted cell {index}"
        elif mode == "replace":
            index = _find(cells, args, shown)
            _replace(nb, cells[index], source, args.get("cell_type"))
            done = f"Replaced cell {index}"
        else:
            raise ToolError(f"edit_mode {mode!r} is not replace, insert or delete")
        save_text(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n", shown)
        return f"{done} of {shown} ({len(cells)} cells now)"


def _load(path: Path, shown: str) -> dict[str, Any]:
    try:
        nb = json.loads(read_text(path, shown))
    except json.JSONDecodeError as e:
        raise ToolError(f"{shown}: not valid notebook JSON: {e}") from e
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ToolError(f"{shown}: not a notebook (no 'cells' list)")
    if nb.get("nbformat") != 4:
        raise ToolError(f"{shown}: nbformat {nb.get('nbformat')} is not supported (only 4)")
    return nb


def _find(cells: list[dict[str, Any]], args: dict[str, Any], shown: str) -> int:
    """The index of the cell named by cell_id or cell_number."""
    cell_id = args.get("cell_id")
    if cell_id:
        for i, cell in enumerate(cells):
            if cell.get("id") == cell_id:
                return i
        raise ToolError(f"{shown}: no cell with id {cell_id!r}")
    number = args.get("cell_number")
    if number is None:
        raise ToolError("give cell_id or cell_number to choose the cell")
    if not 0 <= int(number) < len(cells):
        raise ToolError(
            f"{shown}: cell_number {number} is out of range (cells are 0-{len(cells) - 1})"
        )
    return int(number)


def _insert_index(cells: list[dict[str, Any]], args: dict[str, Any], shown: str) -> int:
    if args.get("cell_id"):
        return _find(cells, args, shown) + 1  # after the named cell
    number = args.get("cell_number")
    if number is None:
        return 0  # Claude Code's rule: no anchor means the top of the notebook
    if not 0 <= int(number) <= len(cells):
        raise ToolError(f"{shown}: cell_number {number} is out of range (0-{len(cells)})")
    return int(number)


def _source_lines(source: str) -> list[str]:
    # Jupyter stores source as a list of lines that keep their newlines.
    return source.splitlines(keepends=True)


def _new_cell(nb: dict[str, Any], cell_type: str, source: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": cell_type, "metadata": {}, "source": _source_lines(source)}
    if nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = uuid.uuid4().hex[:8]  # ids are required from nbformat 4.5
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _replace(nb: dict[str, Any], cell: dict[str, Any], source: str, cell_type: str | None) -> None:
    cell["source"] = _source_lines(source)
    new_type = cell_type or cell.get("cell_type", "code")
    cell["cell_type"] = new_type
    if new_type == "code":
        # Outputs belonged to the old source; they would now be misleading.
        cell["execution_count"] = None
        cell["outputs"] = []
    else:
        cell.pop("execution_count", None)
        cell.pop("outputs", None)
