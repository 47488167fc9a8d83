"""Prompt profiles: what a model is sent beside the task, sized to the model.

`full` (large models): the definition's whole body, every tool it lists, full schemas.

`small` (the embedded models, or a model configured with `small = true`): the system
prompt plus the tool schemas stay within SMALL_BUDGET tokens, because a 1.5B model
given 2,500 tokens of persona and schemas follows neither. So:

- only core tools are offered: Read, Write, Edit, Bash, Glob, Grep (LS when there is no
  Glob, MultiEdit when there is no Edit). NotebookEdit, TodoWrite, Task, WebSearch and
  WebFetch are dropped, unless the definition lists no core tool at all, in which case
  its own tools are kept;
- tools are described in their compact form (tools.registry.compact_spec);
- the body is condensed deterministically to what the budget leaves (agents.condense),
  ending with a line that says so.

The budget is met by a deterministic estimate (llm.estimate), never by a tokenizer
that may or may not be installed, so the same definition gives the same bytes on
every machine; the estimate over-counts Qwen2.5's tokenizer by 5-25%.
"""

from __future__ import annotations

import json
from typing import Literal, get_args

from bdev.agents.condense import Condensed, condense
from bdev.config import Config
from bdev.errors import BdevError
from bdev.llm.base import ToolSpec
from bdev.llm.estimate import estimate_tokens
from bdev.llm.local.template import tool_to_dict
from bdev.llm.resolve import is_small

Profile = Literal["full", "small"]
PROFILES: tuple[str, ...] = get_args(Profile)

SMALL_BUDGET = 900  # tokens of system prompt + tool schemas, as the model reads them

_CORE = ("Read", "Write", "Edit", "MultiEdit", "LS", "Glob", "Grep", "Bash")
# A core tool left out when the one it stands for is offered: fewer schemas, same reach.
_REDUNDANT_WITH = {"MultiEdit": "Edit", "LS": "Glob"}
# What a chat template adds around the system text and the schemas: Qwen2.5's tools
# preamble and turn markers measure 88 tokens; the estimate's share is rounded up.
_TEMPLATE_TOKENS = 100


def parse_profile(value: str) -> Profile:
    if value not in PROFILES:
        raise BdevError(f"unknown profile {value!r}; use one of: {', '.join(PROFILES)}")
    return value  # type: ignore[return-value]  # checked against PROFILES just above


def profile_for(spec: str, config: Config) -> Profile:
    """The profile a run of the model `spec` gets."""
    return "small" if is_small(spec, config) else "full"


def offered_tools(names: list[str], profile: Profile) -> list[str]:
    """The tools of `names` (a definition's, in order) that a model of `profile` is offered."""
    if profile == "full":
        return list(names)
    core = [n for n in names if n in _CORE]
    if not core:
        return list(names)  # e.g. a web researcher: its own tools, in compact form
    return [n for n in core if _REDUNDANT_WITH.get(n) not in core]


def estimate_prefix(system: str, specs: list[ToolSpec]) -> int:
    """Estimated tokens of the system turn with the tool schemas, as a chat template
    renders it (one JSON line per tool)."""
    schemas = "\n".join(json.dumps(tool_to_dict(s), ensure_ascii=False) for s in specs)
    return estimate_tokens(system) + estimate_tokens(schemas) + _TEMPLATE_TOKENS


def fit_body(body: str, frame: str, specs: list[ToolSpec]) -> Condensed:
    """`body` condensed to what SMALL_BUDGET leaves beside `frame` (the system prompt
    without the body) and the tool schemas."""
    room = SMALL_BUDGET - estimate_prefix(frame + "\n\n", specs)
    return condense(body, max(room, 0), estimate_tokens)
