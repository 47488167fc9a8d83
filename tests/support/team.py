"""Scripted models for team runs: each run gets the script of the handoff it receives.

A team run starts many agent runs, each with a model built anew; the first user message
is the handoff, which opens with its purpose, task and round ("Task design-review (round
1)", "Review of backend-implementation (round 1)"). `HandoffScripts` maps such an opening
to a list of scripts, the n-th for the n-th run that receives it. A resumed session
(`continue_after`) gets the script of the run it continues, from where it stopped.
"""

from __future__ import annotations

from typing import Any

from bdev.llm.base import Message, Model, ModelResponse, TextCallback, ToolSpec
from bdev.llm.scripted import ScriptedModel

Turns = list[dict[str, Any]]


def write(path: str, content: str, then: str = "done") -> Turns:
    """A script that writes one file and finishes."""
    call = {"name": "Write", "arguments": {"file_path": path, "content": content}}
    return [{"tool_calls": [call]}, {"content": then}]


class HandoffScripts:
    def __init__(self, scripts: dict[str, list[Turns]]) -> None:
        self.scripts = scripts
        self.used: dict[str, int] = {}
        self.runs: list[str] = []  # each run's key, in order ("... (resumed)" for a resume)

    def factory(self, spec: str) -> Model:
        return _ByHandoff(self, spec)


class _ByHandoff:
    def __init__(self, owner: HandoffScripts, spec: str) -> None:
        self.owner = owner
        self.name = spec
        self.inner: ScriptedModel | None = None
        self.answered: int | None = None

    def continue_after(self, answered: int) -> None:
        self.answered = answered

    def complete(
        self, messages: list[Message], tools: list[ToolSpec], *, on_text: TextCallback | None = None
    ) -> ModelResponse:
        if self.inner is None:
            self.inner = self._script(next(m.content for m in messages if m.role == "user"))
        return self.inner.complete(messages, tools, on_text=on_text)

    def _script(self, handoff: str) -> ScriptedModel:
        key = next((k for k in self.owner.scripts if handoff.startswith(k)), None)
        if key is None:
            raise AssertionError(f"no script for the handoff {handoff[:80]!r}")
        if self.answered is None:
            index = self.owner.used.get(key, 0)
            self.owner.used[key] = index + 1
            self.owner.runs.append(key)
        else:
            index = self.owner.used[key] - 1
            self.owner.runs.append(f"{key} (resumed)")
        model = ScriptedModel.from_turns(self.owner.scripts[key][index], name=self.name)
        model.continue_after(self.answered or 0)
        return model
