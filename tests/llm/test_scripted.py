from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Message, ToolSpec
from bdev.llm.scripted import END_OF_SCRIPT, ScriptedModel

TOOLS = [ToolSpec("Write", "Write a file", {"type": "object"})]
ASK = [Message("system", "You build things."), Message("user", "Write hello.py")]


def write_script(tmp_path: Path, turns: object) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(turns), encoding="utf-8")
    return path


def test_replays_turns_then_ends(tmp_path: Path) -> None:
    path = write_script(
        tmp_path,
        [
            {
                "content": "Creating it.",
                "tool_calls": [
                    {
                        "name": "Write",
                        "arguments": {"file_path": "hello.py", "content": "print(1)"},
                    },
                    {"name": "Write", "arguments": {"file_path": "b.py"}, "id": "mine"},
                ],
            },
            {"content": "Done."},
        ],
    )
    model = ScriptedModel(path)
    streamed: list[str] = []

    first = model.complete(ASK, TOOLS, on_text=streamed.append)
    assert first.content == "Creating it."
    assert [(c.id, c.name) for c in first.tool_calls] == [("call_0_0", "Write"), ("mine", "Write")]
    assert first.tool_calls[0].arguments == {"file_path": "hello.py", "content": "print(1)"}
    assert first.finish_reason == "tool_calls"
    assert streamed == ["Creating it."]

    second = model.complete(ASK, TOOLS)
    assert (second.content, second.tool_calls, second.finish_reason) == ("Done.", [], "stop")

    for _ in range(2):  # stays at the end
        end = model.complete(ASK, TOOLS)
        assert (end.content, end.tool_calls, end.finish_reason) == ("", [], END_OF_SCRIPT)


def test_usage_is_approximated_from_characters() -> None:
    model = ScriptedModel.from_turns([{"content": "x" * 400}])
    reply = model.complete([Message("user", "y" * 800)], [])
    assert reply.usage.output_tokens == 100
    assert reply.usage.input_tokens == (800 + len("[]")) // 4


def test_an_empty_turn_is_allowed() -> None:
    reply = ScriptedModel.from_turns([{}]).complete(ASK, TOOLS)
    assert (reply.content, reply.tool_calls, reply.finish_reason) == ("", [], "stop")


@pytest.mark.parametrize(
    ("turns", "message"),
    [
        ({"content": "x"}, "expected a JSON list of turns"),
        (
            [{"content": "ok"}, {"content": 3}],
            "turn 1, field content: Input should be a valid string",
        ),
        ([{"tool_calls": [{"arguments": {}}]}], "turn 0, field tool_calls[0].name: Field required"),
        (
            [{"tool_calls": [{"name": "W", "arguments": [1]}]}],
            "turn 0, field tool_calls[0].arguments",
        ),
        ([{"text": "typo"}], "turn 0, field text: Extra inputs are not permitted"),
        (["just a string"], "turn 0"),
    ],
)
def test_bad_files_name_the_file_turn_and_field(
    tmp_path: Path, turns: object, message: str
) -> None:
    path = write_script(tmp_path, turns)
    with pytest.raises(BdevError) as err:
        ScriptedModel(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_invalid_json_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"content": "a"', encoding="utf-8")
    with pytest.raises(BdevError, match=r"broken.json: not valid JSON \(.* line 1 column"):
        ScriptedModel(broken)
    with pytest.raises(BdevError, match=r"cannot read the model script .*nope\.json"):
        ScriptedModel(tmp_path / "nope.json")


def test_from_turns_validates_too() -> None:
    with pytest.raises(BdevError, match="scripted turns: turn 0, field tool_calls"):
        ScriptedModel.from_turns([{"tool_calls": "Write"}])
