"""The Model protocol and the plain data that flows through it.

Messages use one provider-neutral shape (close to OpenAI's chat format); each provider
translates to and from its own wire format.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    """A call the model asked for. `arguments` is already decoded from JSON."""

    id: str
    name: str
    arguments: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCall:
        return cls(id=d["id"], name=d["name"], arguments=d.get("arguments") or {})


@dataclass
class Message:
    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    # For role == "tool": which call this answers, and the tool's name.
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id is not None:
            d["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            d["name"] = self.name
        if self.is_error:
            d["is_error"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(
            role=d["role"],
            content=d.get("content") or "",
            tool_calls=[ToolCall.from_dict(c) for c in d.get("tool_calls") or []],
            tool_call_id=d.get("tool_call_id"),
            name=d.get("name"),
            is_error=bool(d.get("is_error", False)),
        )


@dataclass(frozen=True)
class ToolSpec:
    """What a model is told about a tool: its name, purpose and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    # Prompt tokens served from a cache (provider prompt cache or local KV reuse).
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_tokens + other.cached_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
        }


@dataclass
class ModelResponse:
    """One assistant turn.

    `format_errors` holds what the provider could not turn into a tool call (a small
    model's broken JSON, an unknown wrapper); the loop sends them back to the model.
    `finish_reason` is "stop", "tool_calls", "length" (truncated), `TIME_UP` (stopped at
    the run's deadline, see `reply_deadline`) or provider-specific.
    """

    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    format_errors: list[str] = field(default_factory=list)
    finish_reason: str = "stop"
    model: str = ""
    max_output_tokens: int | None = None  # the cap on this reply's length, when one is set
    # What the provider did to the reply (a call stopped and closed where it went wrong),
    # said to the model with the first call's result: in `content` the model reads it as
    # its own words, and a small one copies them into its next Write.
    notice: str = ""


class ModelError(Exception):
    """The model could not answer (unreachable, refused, exhausted retries).

    `retryable` tells whether a later attempt may succeed; the message is user-facing.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


# Called with each piece of generated text as it streams in.
TextCallback = Callable[[str], None]


class Model(Protocol):
    """Anything that can take a conversation and the available tools and answer one turn."""

    name: str

    def complete(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        on_text: TextCallback | None = None,
    ) -> ModelResponse: ...


def opens_reply(model: Model) -> bool:
    """Whether the model continues a conversation that ends with an assistant message
    (the reply's opening, written for it) instead of starting a new turn. The embedded
    model does; a remote API may not, so callers only open a reply where it is said."""
    return bool(getattr(model, "opens_reply", False))


def seed_of(model: Model) -> int | None:
    """The sampling seed of a model that states one (the embedded model: the same
    conversation gets the same reply); None for the others."""
    seed = getattr(model, "seed", None)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def prompt_room(model: Model) -> int | None:
    """The tokens a conversation may take and still leave the model room for its longest
    reply, for a model with a small context window it states (`n_ctx`, the embedded
    one); None for the others (a remote API's window is far larger than a run needs)."""
    n_ctx = getattr(model, "n_ctx", None)
    if not isinstance(n_ctx, int):
        return None
    caps = [getattr(model, name, 0) for name in ("max_tokens", "max_file_tokens")]
    return n_ctx - max(c for c in caps if isinstance(c, int))


@runtime_checkable
class Replayed(Protocol):
    """A model whose answers are a fixed sequence (a script): a resumed session tells it
    how many of its answers the transcript already holds, so none is given twice."""

    def continue_after(self, answered: int) -> None: ...


# A reply stopped at the run's time limit: unfinished, so nothing in it is used.
TIME_UP = "time_up"


@contextlib.contextmanager
def reply_deadline(model: Model, deadline: float | None) -> Iterator[None]:
    """For one call: a model that can stop in the middle of a reply (it has a `deadline`
    attribute: the embedded one, whose replies run for minutes on a CPU) stops at
    `deadline` (a `time.monotonic()` value) and answers with finish_reason `TIME_UP`.
    Others are left alone: an endpoint's reply is bounded by its request timeout."""
    if deadline is None or not hasattr(model, "deadline"):
        yield
        return
    saved = model.deadline
    model.deadline = deadline
    try:
        yield
    finally:
        model.deadline = saved


@contextlib.contextmanager
def model_setting(model: Model, name: str, change: Callable[[Any], Any]) -> Iterator[None]:
    """For one call, set a sampling attribute a model may have (`max_tokens`,
    `temperature`): `change(current)` gives the new value, or None to leave it as is.
    Models without the attribute (a scripted one) are left alone; restored afterwards."""
    saved = getattr(model, name, None)
    new = None if saved is None else change(saved)
    if new is None:
        yield
        return
    setattr(model, name, new)
    try:
        yield
    finally:
        setattr(model, name, saved)


@contextlib.contextmanager
def barred_tools(model: Model, names: set[str]) -> Iterator[None]:
    """For one call, leave the tools `names` out of what a constrained reply may call, on
    models that constrain replies (the local one: its `barred`). The prompt still lists
    them, so a cached prompt stays valid."""
    with model_setting(model, "barred", lambda current: (current | names) if names else None):
        yield


@contextlib.contextmanager
def retry_sampling(model: Model, attempt: int) -> Iterator[None]:
    """For attempt n (from 1) of the same request: sample less greedily than before.
    At the same settings a small model mostly repeats the answer just rejected, and a
    higher temperature alone changes nothing when nucleus (top_p) and min_p filtering,
    applied first, have already narrowed a confident model to one token: those are
    opened up too, on models that have them (the local one)."""
    if attempt == 1:
        yield
        return

    def warmer(current: Any) -> float | None:
        if not isinstance(current, float | int):
            return None
        return min(1.0, float(current) + 0.3 * (attempt - 1))

    with (
        model_setting(model, "temperature", warmer),
        model_setting(model, "top_p", lambda _: 1.0),
        model_setting(model, "min_p", lambda _: 0.0),
        model_setting(model, "seed", lambda seed: seed + attempt),
    ):
        yield
