"""A model that replays turns written in a file: it drives loop tests and demos offline.

FILE is a JSON list of turns, each
    {"content": "...", "tool_calls": [{"name": "Write", "arguments": {...}, "id": "..."}]}
with either key optional. When the turns run out the model answers with nothing and
finish_reason "end_of_script", which ends the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bdev.errors import BdevError
from bdev.llm.base import Message, ModelResponse, TextCallback, ToolCall, ToolSpec, Usage

END_OF_SCRIPT = "end_of_script"


class ScriptedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class ScriptedTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = ""
    tool_calls: list[ScriptedCall] = Field(default_factory=list)


_TURNS = TypeAdapter(list[ScriptedTurn])


class ScriptedModel:
    def __init__(self, path: Path, *, name: str | None = None) -> None:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise BdevError(f"cannot read the model script {path}: {e.strerror or e}") from e
        except json.JSONDecodeError as e:
            raise BdevError(
                f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"
            ) from e
        self._init(_validate(raw, str(path)), name or f"scripted:{path}")

    @classmethod
    def from_turns(cls, turns: list[dict[str, Any]], *, name: str = "scripted") -> ScriptedModel:
        model = cls.__new__(cls)
        model._init(_validate(turns, "scripted turns"), name)
        return model

    def _init(self, turns: list[ScriptedTurn], name: str) -> None:
        self.name = name
        self.turns = turns
        self.position = 0  # index of the next turn to replay

    def continue_after(self, answered: int) -> None:
        """Resume the script after the `answered` turns a transcript already holds."""
        self.position = max(self.position, min(answered, len(self.turns)))

    def complete(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        on_text: TextCallback | None = None,
    ) -> ModelResponse:
        prompt_chars = sum(len(m.content) for m in messages) + len(
            json.dumps([t.parameters for t in tools])
        )
        if self.position >= len(self.turns):
            return ModelResponse(
                usage=Usage(input_tokens=prompt_chars // 4),
                finish_reason=END_OF_SCRIPT,
                model=self.name,
            )
        index, turn = self.position, self.turns[self.position]
        self.position += 1
        if turn.content and on_text is not None:
            on_text(turn.content)
        calls = [
            ToolCall(id=c.id or f"call_{index}_{i}", name=c.name, arguments=c.arguments)
            for i, c in enumerate(turn.tool_calls)
        ]
        # ~4 characters per token: rough, but it makes usage accounting run for real.
        out_chars = len(turn.content) + sum(len(json.dumps(c.arguments)) for c in calls)
        return ModelResponse(
            content=turn.content,
            tool_calls=calls,
            usage=Usage(input_tokens=prompt_chars // 4, output_tokens=out_chars // 4),
            finish_reason="tool_calls" if calls else "stop",
            model=self.name,
        )


def _validate(raw: Any, source: str) -> list[ScriptedTurn]:
    try:
        return _TURNS.validate_python(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = _describe_location(first["loc"])
        raise BdevError(f"{source}: {where}: {first['msg']}") from e


def _describe_location(loc: tuple[int | str, ...]) -> str:
    """(2, "tool_calls", 0, "name") -> "turn 2, field tool_calls[0].name"."""
    if not loc:
        return "expected a JSON list of turns"
    head, *rest = loc
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
    return f"turn {head}, field {parts}" if parts else f"turn {head}"
