"""The embedded model's real tool-call texts (see fixtures/qwen15b/README.md) parse right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bdev.llm.toolcall_text import parse_tool_calls
from bdev.tools.base import TOOL_NAMES

FIXTURES = Path(__file__).parent / "fixtures" / "qwen15b"

# What each captured request asked for (tests/llm/capture_fixtures.py: REQUESTS).
EXPECTED: dict[str, dict[str, Any]] = {
    "Read": {"file_path": "src/app.py"},
    "Write": {"file_path": "hello.txt", "content": "Hello, world"},
    "Edit": {
        "file_path": "src/config.py",
        "old_string": "DEBUG = True",
        "new_string": "DEBUG = False",
    },
    "MultiEdit": {"file_path": "src/app.py"},
    "LS": {"path": "src"},
    "Glob": {"pattern": "tests/**/test_*.py"},
    # The model put the file filter into "path" (a real slip of this model, kept as is).
    "Grep": {"pattern": "TODO", "path": "**/*.py"},
    "Bash": {"command": "pytest -q"},
    "NotebookEdit": {
        "notebook_path": "analysis.ipynb",
        "cell_id": "cell-1",
        "new_source": "print(42)",
    },
    "TodoWrite": {},
    "Task": {"subagent_type": "test-writer"},
    "WebSearch": {"query": "FastAPI JWT authentication example"},
}


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_fixture_parses_to_the_requested_call(tool: str) -> None:
    parsed = parse_tool_calls((FIXTURES / f"{tool}.txt").read_text(), TOOL_NAMES)

    assert parsed.errors == []
    assert [c.name for c in parsed.calls] == [tool]
    args = parsed.calls[0].arguments
    for key, value in EXPECTED[tool].items():
        assert args[key] == value, (key, args)
    # The whole answer was the call: nothing of it may stay in the text. (LS.txt wraps
    # the call in <tools>...</tools>; the parser leaves those two tags as content.)
    assert '"name"' not in parsed.content
    assert parsed.content.replace("<tools>", "").replace("</tools>", "").strip() == ""


def test_structured_arguments_survive() -> None:
    multi = parse_tool_calls((FIXTURES / "MultiEdit.txt").read_text(), TOOL_NAMES).calls[0]
    assert [(e["old_string"], e["new_string"]) for e in multi.arguments["edits"]] == [
        ("port=8000", "port=8080"),
        ("debug=True", "debug=False"),
    ]
    todos = parse_tool_calls((FIXTURES / "TodoWrite.txt").read_text(), TOOL_NAMES).calls[0]
    assert [(t["content"], t["status"]) for t in todos.arguments["todos"]] == [
        ("write the models", "in_progress"),
        ("write the tests", "pending"),
    ]
    task = parse_tool_calls((FIXTURES / "Task.txt").read_text(), TOOL_NAMES).calls[0]
    assert "src/orders.py" in task.arguments["prompt"]


def test_every_runtime_tool_but_webfetch_has_a_fixture() -> None:
    captured = {p.stem for p in FIXTURES.glob("*.txt") if not p.stem.startswith("free-")}
    assert captured == set(TOOL_NAMES) - {"WebFetch"}


# Free-decoding replies from the plain loop's transcripts (2026-12-02, grammar off).


def test_a_whole_file_pasted_without_escapes_becomes_its_write() -> None:
    # Raw quotes and line breaks inside "content", and a stray </tool_response> where
    # the call should have closed.
    text = (FIXTURES / "free-write-unescaped.txt").read_text()
    parsed = parse_tool_calls(text, TOOL_NAMES)
    assert parsed.errors == []
    (call,) = parsed.calls
    assert call.name == "Write" and call.arguments["file_path"].endswith("/app.py")
    code = call.arguments["content"]
    compile(code, "app.py", "exec")  # the file as the model meant it, valid Python
    assert code.startswith("from fastapi import") and '@app.post("/calculate"' in code
    assert "tool_response" not in code


def test_replies_posing_as_tool_results_are_not_an_answer() -> None:
    parsed = parse_tool_calls((FIXTURES / "free-fake-results.txt").read_text(), TOOL_NAMES)
    assert parsed.calls == [] and parsed.content == ""
    assert len(parsed.errors) == 1 and "<tool_response>" in parsed.errors[0]
