"""Capture what the embedded model really writes when asked to use each tool.

    python tests/llm/capture_fixtures.py            # writes tests/llm/fixtures/qwen15b/*.txt

Each request runs as a fresh one-turn conversation with the same system prompt and the
full tool list, through `LocalModel` (its chat template, its sampling settings), and the
raw generated text is stored unparsed. `test_local_fixtures.py` then checks that
`parse_tool_calls` reads the call the request asked for. Not collected by pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bdev.llm.base import Message, ToolSpec
from bdev.llm.local.model import LocalModel

OUT = Path(__file__).parent / "fixtures" / "qwen15b"

SYSTEM = (
    "You are bdev, a backend developer working in a repository. Act only through the "
    "tools; call exactly one tool per answer, with all required arguments."
)

# One request per tool, phrased as a user would.
REQUESTS: dict[str, str] = {
    "Read": "Read the file src/app.py.",
    "Write": "Create the file hello.txt containing exactly: Hello, world",
    "Edit": "In src/config.py replace `DEBUG = True` with `DEBUG = False`.",
    "MultiEdit": (
        "In src/app.py make two edits in one MultiEdit call: replace `port=8000` with "
        "`port=8080`, and replace `debug=True` with `debug=False`."
    ),
    "LS": "List the files in the src directory.",
    "Glob": "Find all Python test files matching the pattern tests/**/test_*.py.",
    "Grep": "Search all .py files for the text TODO.",
    "Bash": "Run the test suite with the command: pytest -q",
    "NotebookEdit": (
        "In the notebook analysis.ipynb, replace the source of the cell with id cell-1 "
        "with: print(42)"
    ),
    "TodoWrite": (
        "Record a todo list with two items: 'write the models' (in_progress) and "
        "'write the tests' (pending)."
    ),
    "Task": (
        "Delegate to the test-writer sub-agent (use the Task tool): write unit tests for "
        "src/orders.py."
    ),
    "WebSearch": "Search the web for: FastAPI JWT authentication example",
}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


_S = {"type": "string"}
_EDIT = _obj({"old_string": _S, "new_string": _S, "replace_all": {"type": "boolean"}}, [])

# Used only when the tools package has no registry yet: Claude Code's argument names.
FALLBACK_SPECS = [
    ToolSpec(
        "Read",
        "Read a file.",
        _obj(
            {"file_path": _S, "offset": {"type": "integer"}, "limit": {"type": "integer"}},
            ["file_path"],
        ),
    ),
    ToolSpec(
        "Write", "Write a file.", _obj({"file_path": _S, "content": _S}, ["file_path", "content"])
    ),
    ToolSpec(
        "Edit",
        "Replace text in a file.",
        _obj(
            {
                "file_path": _S,
                "old_string": _S,
                "new_string": _S,
                "replace_all": {"type": "boolean"},
            },
            ["file_path", "old_string", "new_string"],
        ),
    ),
    ToolSpec(
        "MultiEdit",
        "Several replacements in one file.",
        _obj({"file_path": _S, "edits": {"type": "array", "items": _EDIT}}, ["file_path", "edits"]),
    ),
    ToolSpec("LS", "List a directory.", _obj({"path": _S}, ["path"])),
    ToolSpec("Glob", "Find files by glob pattern.", _obj({"pattern": _S, "path": _S}, ["pattern"])),
    ToolSpec(
        "Grep",
        "Search file contents with a regex.",
        _obj({"pattern": _S, "path": _S, "glob": _S, "output_mode": _S}, ["pattern"]),
    ),
    ToolSpec(
        "Bash",
        "Run a shell command.",
        _obj({"command": _S, "timeout": {"type": "number"}}, ["command"]),
    ),
    ToolSpec(
        "NotebookEdit",
        "Replace a Jupyter notebook cell.",
        _obj(
            {
                "notebook_path": _S,
                "cell_id": _S,
                "new_source": _S,
                "cell_type": _S,
                "edit_mode": _S,
            },
            ["notebook_path", "new_source"],
        ),
    ),
    ToolSpec(
        "TodoWrite",
        "Replace the session's todo list.",
        _obj(
            {
                "todos": {
                    "type": "array",
                    "items": _obj({"content": _S, "status": _S, "id": _S}, ["content", "status"]),
                }
            },
            ["todos"],
        ),
    ),
    ToolSpec(
        "Task",
        "Run a sub-agent on a task.",
        _obj(
            {"description": _S, "prompt": _S, "subagent_type": _S},
            ["description", "prompt", "subagent_type"],
        ),
    ),
    ToolSpec("WebSearch", "Search the web.", _obj({"query": _S}, ["query"])),
]


def tool_specs() -> list[ToolSpec]:
    try:
        from bdev.tools.registry import build_tools, tool_specs
    except ImportError:
        return FALLBACK_SPECS
    # All of the runtime's tools, as an agent with every tool would see them.
    specs = tool_specs(build_tools(None))
    return specs if set(REQUESTS) <= {s.name for s in specs} else FALLBACK_SPECS


def main() -> None:
    tools = tool_specs()
    source = "registry" if tools is not FALLBACK_SPECS else "fallback"
    model = LocalModel(n_ctx=4096)
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:]) or set(REQUESTS)
    for name, request in REQUESTS.items():
        if name not in only:
            continue
        raw: list[str] = []
        messages = [Message("system", SYSTEM), Message("user", request)]
        model.complete(messages, tools, on_text=raw.append)
        text = "".join(raw)
        (OUT / f"{name}.txt").write_text(text)
        print(f"--- {name} ({source} schemas, {model.last_stats.output_tokens} tokens)\n{text}")


if __name__ == "__main__":
    main()
