"""Rendering a GGUF model's own chat template (Jinja) for bdev's messages and tools.

llama-cpp-python's chat handlers do not round-trip tool calls for this model family
(see MODEL.md), so the prompt is rendered here from `tokenizer.chat_template`, the same
way Hugging Face's `apply_chat_template` does: a sandboxed Jinja environment with
`trim_blocks`/`lstrip_blocks` and a `tojson` that does not HTML-escape (Jinja's built-in
one turns `<` into `\\u003c`, which the model never saw in training).
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bdev.errors import BdevError
from bdev.llm.base import Message, ToolSpec


def _tojson(value: Any, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _raise(message: str) -> None:
    raise TemplateError(message)


def tool_to_dict(spec: ToolSpec) -> dict[str, Any]:
    """The OpenAI-style function entry chat templates expect in `tools`."""
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    }


def message_to_dict(message: Message) -> dict[str, Any]:
    """A message as chat templates read it; earlier tool calls go back in the template's form."""
    d: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "tool" and message.is_error and not message.content.startswith("Error"):
        # The template has no error flag for tool results; say it in the text.
        d["content"] = f"Error: {message.content}"
    if message.tool_calls:
        d["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in message.tool_calls
        ]
    if message.name is not None:
        d["name"] = message.name
    if message.tool_call_id is not None:
        d["tool_call_id"] = message.tool_call_id
    return d


class ChatTemplate:
    """A compiled chat template. `source` is the Jinja text from the model's metadata."""

    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "") -> None:
        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise
        try:
            self._template = env.from_string(source)
        except TemplateError as e:
            raise BdevError(f"the model's chat template does not compile: {e}") from e
        self._special = {"bos_token": bos_token, "eos_token": eos_token}

    def render(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        add_generation_prompt: bool = True,
    ) -> str:
        try:
            return self._template.render(
                messages=[message_to_dict(m) for m in messages],
                tools=[tool_to_dict(t) for t in tools] or None,
                add_generation_prompt=add_generation_prompt,
                **self._special,
            )
        except TemplateError as e:
            raise BdevError(f"the model's chat template failed on this conversation: {e}") from e

    def split_prefix(self, messages: list[Message], tools: list[ToolSpec]) -> tuple[str, str]:
        """(stable prefix, rest) of the full prompt.

        The prefix is the system prompt plus the tool schemas: identical on every turn of
        one agent, so its KV cache can be reused and persisted. It is empty when the
        conversation has no leading system message or the template does not render it
        as a plain prefix.
        """
        full = self.render(messages, tools)
        if not messages or messages[0].role != "system":
            return "", full
        prefix = self.render(messages[:1], tools, add_generation_prompt=False)
        if not prefix or not full.startswith(prefix):
            return "", full
        return prefix, full[len(prefix) :]
