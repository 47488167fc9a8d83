"""Rendering Qwen's own chat template (copied from the GGUF's metadata) for bdev messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Message, ToolCall, ToolSpec
from bdev.llm.local.template import ChatTemplate
from bdev.llm.toolcall_text import parse_tool_calls

TEMPLATE = (Path(__file__).parent / "fixtures" / "qwen15b" / "chat_template.jinja").read_text()

WRITE = ToolSpec(
    "Write",
    "Write a file. Content may hold <html> & 'quotes'.",
    {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
)
SYSTEM = Message("system", "You are a backend developer.")


@pytest.fixture(scope="module")
def template() -> ChatTemplate:
    return ChatTemplate(TEMPLATE)


def test_tools_are_listed_as_plain_json_in_the_system_turn(template: ChatTemplate) -> None:
    prompt = template.render([SYSTEM, Message("user", "hi")], [WRITE])

    assert prompt.startswith("<|im_start|>system\nYou are a backend developer.\n\n# Tools")
    line = next(x for x in prompt.splitlines() if x.startswith('{"type": "function"'))
    # Not HTML-escaped (Jinja's own tojson would write \u003chtml\u003e).
    assert "<html> & 'quotes'" in line
    assert json.loads(line)["function"]["name"] == "Write"
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_prefix_is_stable_across_turns(template: ChatTemplate) -> None:
    turn1 = [SYSTEM, Message("user", "write app.py")]
    turn3 = [
        *turn1,
        Message("assistant", "", [ToolCall("call_0", "Write", {"file_path": "app.py"})]),
        Message("tool", "wrote 3 lines", tool_call_id="call_0", name="Write"),
    ]
    prefix1, rest1 = template.split_prefix(turn1, [WRITE])
    prefix3, rest3 = template.split_prefix(turn3, [WRITE])

    assert prefix1 == prefix3 != ""
    # The system turn, closed: nothing of the conversation leaks into the prefix.
    assert prefix1.endswith("</tool_call><|im_end|>\n")
    assert "write app.py" not in prefix1
    assert rest3.startswith(rest1.removesuffix("<|im_start|>assistant\n"))
    assert prefix1 + rest1 == template.render(turn1, [WRITE])


def test_previous_calls_and_results_are_rendered_in_the_template_form(
    template: ChatTemplate,
) -> None:
    messages = [
        SYSTEM,
        Message("user", "write app.py"),
        Message("assistant", "Writing it.", [ToolCall("c1", "Write", {"file_path": "app.py"})]),
        Message("tool", "no such dir", tool_call_id="c1", name="Write", is_error=True),
    ]
    prompt = template.render(messages, [WRITE])

    assert (
        '<|im_start|>assistant\nWriting it.\n<tool_call>\n{"name": "Write", "arguments": '
        '{"file_path": "app.py"}}\n</tool_call><|im_end|>\n'
    ) in prompt
    assert (
        "<|im_start|>user\n<tool_response>\nError: no such dir\n</tool_response><|im_end|>\n"
    ) in prompt
    # What the template writes back is what the parser reads.
    block = prompt.split("Writing it.\n", 1)[1].split("<|im_end|>", 1)[0]
    parsed = parse_tool_calls(block, ["Write"])
    assert [(c.name, c.arguments) for c in parsed.calls] == [("Write", {"file_path": "app.py"})]


def test_no_leading_system_message_means_no_prefix(template: ChatTemplate) -> None:
    prefix, rest = template.split_prefix([Message("user", "hi")], [WRITE])
    assert prefix == ""
    assert "You are Qwen" in rest  # the template's own default system prompt


def test_broken_template_is_a_user_error() -> None:
    with pytest.raises(BdevError, match="chat template does not compile"):
        ChatTemplate("{% if %}")
