from __future__ import annotations

from typing import Any

import pytest

from bdev.llm.base import ToolCall
from bdev.llm.toolcall_text import parse_tool_calls, render_tool_call

TOOLS = ["Read", "Write", "Edit", "LS", "Bash"]


def calls_of(text: str, known: list[str] | None = TOOLS) -> list[tuple[str, dict[str, Any]]]:
    parsed = parse_tool_calls(text, known)
    assert parsed.errors == [], parsed.errors
    return [(c.name, c.arguments) for c in parsed.calls]


# -- the forms small models use ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Qwen / Hermes tags, as the chat template asks.
        (
            '<tool_call>\n{"name": "Read", "arguments": {"file_path": "app.py"}}\n</tool_call>',
            [("Read", {"file_path": "app.py"})],
        ),
        # Unclosed at the end of the text (generation stopped at the tag).
        ('<tool_call>\n{"name": "LS", "arguments": {"path": "."}}', [("LS", {"path": "."})]),
        # A json fence, as llama-cpp's default handler made the 1.5B model answer.
        (
            'I will list the files.\n```json\n{"name": "LS", "arguments": {"path": "src"}}\n```',
            [("LS", {"path": "src"})],
        ),
        # A fence with no language.
        (
            '```\n{"name": "Bash", "arguments": {"command": "ls"}}\n```',
            [("Bash", {"command": "ls"})],
        ),
        # A fence inside the tags.
        (
            '<tool_call>\n```json\n{"name": "LS", "arguments": {}}\n```\n</tool_call>',
            [("LS", {})],
        ),
        # Bare JSON in prose.
        (
            'Sure, calling {"name": "Read", "arguments": {"file_path": "x.py"}} now.',
            [("Read", {"file_path": "x.py"})],
        ),
        # arguments as a JSON-encoded string.
        (
            '<tool_call>{"name": "Bash", "arguments": "{\\"command\\": \\"pytest -q\\"}"}'
            "</tool_call>",
            [("Bash", {"command": "pytest -q"})],
        ),
        # Alternative keys.
        ('{"tool": "Read", "parameters": {"file_path": "a"}}', [("Read", {"file_path": "a"})]),
        ('{"function": "LS", "args": {"path": "b"}}', [("LS", {"path": "b"})]),
        ('{"tool_name": "LS", "input": {"path": "c"}}', [("LS", {"path": "c"})]),
        # OpenAI's wire shape written out as text.
        (
            '{"type": "function", "function": '
            '{"name": "LS", "arguments": "{\\"path\\": \\"d\\"}"}}',
            [("LS", {"path": "d"})],
        ),
        # A list of calls.
        (
            '[{"name": "LS", "arguments": {}}, {"name": "Read", "arguments": {"file_path": "e"}}]',
            [("LS", {}), ("Read", {"file_path": "e"})],
        ),
        # Several tags in one message.
        (
            '<tool_call>{"name": "LS", "arguments": {}}</tool_call>\n'
            '<tool_call>{"name": "Read", "arguments": {"file_path": "f"}}</tool_call>',
            [("LS", {}), ("Read", {"file_path": "f"})],
        ),
        # Two objects in one tag.
        (
            '<tool_call>\n{"name": "LS", "arguments": {}}\n'
            '{"name": "LS", "arguments": {"path": "g"}}\n</tool_call>',
            [("LS", {}), ("LS", {"path": "g"})],
        ),
        # A second opening tag where the closing one should be.
        (
            '<tool_call>{"name": "LS", "arguments": {}}\n<tool_call>{"name": "Bash", '
            '"arguments": {"command": "ls"}}</tool_call>',
            [("LS", {}), ("Bash", {"command": "ls"})],
        ),
        # Arguments beside the name (trusted only because LS is a known tool).
        ('{"name": "LS", "path": "src"}', [("LS", {"path": "src"})]),
        # {"ToolName": {...}}
        ('{"Read": {"file_path": "h"}}', [("Read", {"file_path": "h"})]),
        # Wrong case in the name is forgiven when it is unambiguous.
        (
            '<tool_call>{"name": "read", "arguments": {"file_path": "i"}}</tool_call>',
            [("Read", {"file_path": "i"})],
        ),
        # Raw newlines inside a string (file contents written unescaped).
        (
            '<tool_call>{"name": "Write", "arguments": '
            '{"file_path": "a.py", "content": "x = 1\ny = 2\n"}}</tool_call>',
            [("Write", {"file_path": "a.py", "content": "x = 1\ny = 2\n"})],
        ),
        # Small slips that are safe to repair.
        (
            '<tool_call>{"name": "LS", "arguments": {"path": "j",},}</tool_call>',
            [("LS", {"path": "j"})],
        ),
        (
            "<tool_call>{'name': 'LS', 'arguments': {'path': 'k'}}</tool_call>",
            [("LS", {"path": "k"})],
        ),
        (
            '<tool_call>{"name": "LS", "arguments": {"path": "l"}</tool_call>',
            [("LS", {"path": "l"})],
        ),
        (
            '<tool_call>{"name": "LS", "arguments": {"path": "m"}}}</tool_call>',
            [("LS", {"path": "m"})],
        ),
        # Stray closing tag with a bare object.
        ('{"name": "LS", "arguments": {}}</tool_call>', [("LS", {})]),
        # null arguments mean none.
        ('<tool_call>{"name": "LS", "arguments": null}</tool_call>', [("LS", {})]),
    ],
)
def test_recognised_forms(text: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    assert calls_of(text) == expected


def test_content_is_the_text_without_the_calls() -> None:
    text = (
        "First I look around.\n\n"
        '<tool_call>\n{"name": "LS", "arguments": {}}\n</tool_call>\n\n\n\n'
        "Then I read.\n"
        '```json\n{"name": "Read", "arguments": {"file_path": "a"}}\n```\n'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.content == "First I look around.\n\nThen I read."
    assert [c.id for c in parsed.calls] == ["call_0", "call_1"]
    again = parse_tool_calls(text, TOOLS, first_index=5)
    assert [c.id for c in again.calls] == ["call_5", "call_6"]


def test_prose_after_an_unclosed_tag_stays_content() -> None:
    parsed = parse_tool_calls('<tool_call>{"name": "LS", "arguments": {}} and then I wait.', TOOLS)
    assert [c.name for c in parsed.calls] == ["LS"]
    assert parsed.content == "and then I wait."
    assert parsed.errors == []


# -- JSON that is not a call stays as written -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'Config example:\n```json\n{"port": 8080, "debug": true}\n```',
        'A user looks like {"name": "Ann", "age": 3}.',
        '```json\n[{"id": 1, "title": "Buy milk"}]\n```',
        "```python\nprint({'name': 'x', 'arguments': 1})\n```",
        "The route is /items/{item_id} and f-strings use {x}.",
        'OpenAPI:\n```json\n{"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}\n```',
        "Plain text, no calls at all.",
        # Broken JSON without an arguments key is code, not a failed call.
        "The handler returns {'name': item.name, 'id': item.id} for each row.",
        "```\n{'name': user.name}\n```",
    ],
)
def test_non_call_json_stays_content(text: str) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert parsed.errors == []
    assert parsed.content == text.strip()


def test_name_beside_data_is_not_a_call_without_a_tool_list() -> None:
    parsed = parse_tool_calls('{"name": "LS", "path": "src"}', None)
    assert parsed.calls == [] and parsed.errors == []


def test_any_name_is_accepted_without_a_tool_list() -> None:
    assert calls_of('<tool_call>{"name": "anything", "arguments": {}}</tool_call>', None) == [
        ("anything", {})
    ]


# -- attempts that fail give one precise error each -------------------------------


def error_of(text: str) -> str:
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def test_unescaped_quote_explains_escaping() -> None:
    # (A file's text as the last argument is read as written; a command is not.)
    error = error_of(
        '<tool_call>{"name": "Bash", "arguments": {"command": "echo "hi"", '
        '"timeout": 5}}</tool_call>'
    )
    assert "invalid JSON" in error and 'write a quote as \\"' in error
    # The hint names the tool the model was reaching for.
    assert '<tool_call>{"name": "Bash", "arguments": {...}}</tool_call>' in error


def test_unknown_tool_lists_the_available_ones() -> None:
    error = error_of('<tool_call>{"name": "run_tests", "arguments": {}}</tool_call>')
    assert error.startswith(
        'Unknown tool "run_tests". Available tools: Read, Write, Edit, LS, Bash.'
    )


def test_unknown_tool_suggests_the_closest_one() -> None:
    error = error_of('<tool_call>{"name": "write_file", "arguments": {}}</tool_call>')
    assert error.startswith('Unknown tool "write_file". Did you mean "Write"? Available tools:')
    assert error.endswith('<tool_call>{"name": "Write", "arguments": {...}}</tool_call>')


def test_missing_name() -> None:
    error = error_of('<tool_call>{"arguments": {"path": "."}}</tool_call>')
    assert error.startswith('The tool call has no "name".')


def test_arguments_string_that_is_not_json() -> None:
    error = error_of('<tool_call>{"name": "Bash", "arguments": "ls -la"}</tool_call>')
    assert 'The "arguments" of Bash are not valid JSON' in error


def test_arguments_that_are_not_an_object() -> None:
    error = error_of('<tool_call>{"name": "Bash", "arguments": ["ls"]}</tool_call>')
    assert 'The "arguments" of Bash must be a JSON object' in error


def test_empty_tag() -> None:
    assert error_of("<tool_call>\n</tool_call>").startswith("Empty <tool_call> block.")


def test_prose_inside_the_tag() -> None:
    assert "expected a JSON object" in error_of("<tool_call>call Read on app.py</tool_call>")


def test_broken_bare_call_in_prose_is_reported_and_kept() -> None:
    text = 'Writing:\n{"name": "Write", "arguments": {"file_path": "a", "content": "unterminated'
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert len(parsed.errors) == 1 and "Unterminated string" in parsed.errors[0]
    assert '"file_path": "a"' in parsed.content  # the attempt stays visible


def test_broken_fenced_call_is_reported() -> None:
    text = '```json\n{"name": "Read", "arguments": {"file_path": }}\n```'
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == [] and len(parsed.errors) == 1
    assert parsed.errors[0].startswith("Could not read the tool call: invalid JSON")


def test_good_and_bad_calls_in_one_message() -> None:
    text = (
        '<tool_call>{"name": "LS", "arguments": {}}</tool_call>\n'
        '<tool_call>{"name": "Nope", "arguments": {}}</tool_call>'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert [c.name for c in parsed.calls] == ["LS"]
    assert len(parsed.errors) == 1 and "Nope" in parsed.errors[0]


def test_errors_stay_short_enough_for_a_small_model() -> None:
    error = error_of('<tool_call>{"name": "write_file", "arguments": {}}</tool_call>')
    assert len(error) < 250


# -- rendering ----------------------------------------------------------------------


def test_render_round_trips_through_the_parser() -> None:
    call = ToolCall("c9", "Write", {"file_path": "ü.py", "content": 'print("hi")\n'})
    text = render_tool_call(call)
    assert text.startswith("<tool_call>\n{") and text.endswith("}\n</tool_call>")
    assert "ü" in text  # not \u-escaped: fewer tokens and what the model itself writes
    assert calls_of(text) == [("Write", call.arguments)]


# -- text posing as tool output, and code pasted unescaped -------------------------


def test_a_written_tool_result_is_dropped_and_reported() -> None:
    text = (
        "<tool_response>\nCreated app.py (1 lines)\n</tool_response>\n"
        "<tool_response>\nThe tests pass.\n</tool_response>"
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert parsed.content == ""  # nothing of it reaches the conversation as an answer
    assert len(parsed.errors) == 1
    assert "tool results come only from bdev" in parsed.errors[0]


def test_a_call_next_to_a_written_result_still_runs() -> None:
    text = (
        "<tool_response>\n\n</tool_response>\n"
        '<tool_call>{"name": "Read", "arguments": {"file_path": "app.py"}}</tool_call>'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert [(c.name, c.arguments) for c in parsed.calls] == [("Read", {"file_path": "app.py"})]
    assert len(parsed.errors) == 1


def test_an_unclosed_written_result_runs_to_the_end() -> None:
    parsed = parse_tool_calls('Done.\n<tool_response>\n{"ok": true', TOOLS)
    assert parsed.content == "Done."
    assert parsed.errors


CODE = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
    '@app.get("/health")\ndef health():\n    return {"status": {"db": "ok"}}\n\n'
    'print("ready")\n'
)


@pytest.mark.parametrize(
    "ending",
    [
        '"}}',  # closed as it should be
        '"\n}}\n</tool_call>',
        "</tool_response>",  # a stray closing tag where the call should end
        "```",  # the fence that closes the code
    ],
)
@pytest.mark.parametrize("opening", ["", "I'll write it.\n<tool_call>\n"])
def test_code_pasted_without_escapes_is_read_as_written(opening: str, ending: str) -> None:
    text = opening + '{"name": "Write", "arguments": {"file_path": "app.py", "content": "'
    parsed = parse_tool_calls(text + CODE + ending, TOOLS, first_index=3)
    assert parsed.errors == []
    (call,) = parsed.calls
    assert (call.id, call.name) == ("call_3", "Write")
    assert call.arguments == {"file_path": "app.py", "content": CODE}
    assert parsed.content == opening.replace("<tool_call>", "").strip()


def test_code_written_as_a_markdown_block_inside_the_call_loses_its_fences() -> None:
    text = '{"name": "Write", "arguments": {"file_path": "a.py", "content": "```python\n'
    (call,) = parse_tool_calls(text + CODE + '```"}}', TOOLS).calls
    assert call.arguments["content"] == CODE


@pytest.mark.parametrize("ending", ["", '"}}\nI wrote the file.'])
def test_code_in_a_reply_that_does_not_end_with_the_call_is_not_a_file(ending: str) -> None:
    # Cut off at the output cap, or prose after it: no end of the file can be told.
    text = '{"name": "Write", "arguments": {"file_path": "app.py", "content": "' + CODE + ending
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == [] and parsed.errors


def test_a_one_line_value_with_bare_quotes_is_unescaped_as_json() -> None:
    text = (
        '{"name": "Write", "arguments": {"file_path": "a.py", "content": "print("hi")\\nx = 1\\n"}}'
    )
    (call,) = parse_tool_calls(text, TOOLS).calls
    assert call.arguments["content"] == 'print("hi")\nx = 1\n'


def test_broken_arguments_before_the_code_are_still_an_error() -> None:
    text = '{"name": "Write", "arguments": {"file_path": app.py, "content": "x = "1"\n"}}'
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert parsed.errors and "invalid JSON" in parsed.errors[0]
