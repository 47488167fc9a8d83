"""One valid action per reply: a llama.cpp grammar built from the tool schemas.

A small model left to itself writes prose that pretends to be tool output, several
calls in one reply, or JSON that does not parse. With constrained decoding the sampler
can only produce text the grammar accepts, so every reply is exactly one JSON object
`{"name": <tool>, "arguments": {...}}` whose arguments follow that tool's JSON schema,
or the `finish` action that ends the task with a short summary.

The reply is opened with `<tool_call>\\n` by the program (see `LocalModel`), the way the
model's chat template writes calls, so the grammar only covers the JSON. The GBNF text
comes from llama-cpp-python's own JSON-schema converter; this module only decides the
schema.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any

from bdev.llm.base import ToolSpec

FINISH = "finish"
FINISH_SPEC = ToolSpec(
    name=FINISH,
    description=(
        "End the task. Call it only when the work is done and checked, with a short "
        "summary of what was changed and how it was verified."
    ),
    parameters={
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": 600}},
        "required": ["summary"],
    },
)
# The program writes this before the model's first token; the grammar covers the rest.
CALL_OPEN = "<tool_call>\n"
CALL_CLOSE = "\n</tool_call>"

# Keywords the converter does not handle (or that only slow the grammar down without
# helping a model): dropped from the copy the grammar is built from. Arguments are still
# validated against the full schema when the tool runs.
_IGNORED = ("description", "title", "examples", "default", "format", "$schema")


def action_schema(tools: list[ToolSpec], finish: bool = True) -> dict[str, Any]:
    """The JSON schema of one reply: any one of the tools (or finish, when `finish`),
    with its arguments."""
    options = []
    for spec in [*tools, FINISH_SPEC] if finish else tools:
        options.append(
            {
                "type": "object",
                "properties": {
                    "name": {"const": spec.name},
                    "arguments": _strip(copy.deepcopy(spec.parameters)),
                },
                "required": ["name", "arguments"],
            }
        )
    return {"oneOf": options}


def gbnf(tools: list[ToolSpec], finish: bool = True) -> str:
    """The GBNF grammar text for `tools` (cached: the same tools give the same grammar);
    without `finish`, a reply must call one of them."""
    schema = json.dumps(action_schema(tools, finish))
    writers = tuple(i for i, spec in enumerate(tools) if spec.name in _WRITES_FILES)
    return _gbnf(schema, writers)


# A character inside a JSON string. The converter's own rule (`[^"\\]` plus escapes)
# lets raw control characters through, and llama.cpp matches a chat-control token such
# as `<|im_start|>` by its text, so a string could swallow the end of the turn. Here:
# no control characters (newlines are written `\n`, as JSON wants), `<` never followed
# by `|` (in code, `<|` is all but unheard of; `<<` and `<=` still work), and no tag of
# the chat format's tool calls and results (`<tool_response>`, `</tool_call>`): a small
# model that has just read a tool result writes one into a Write's content, a copy of
# the result instead of the file, turn after turn. GBNF has no "not followed by", so
# the rules below spell out `<`, then anything but the start of `|`, `tool_`, `tool-`
# or `/tool_`, one character at a time.
_NOT = '"\\\\<\\x00-\\x1F\\x7F'  # inside [^...]: a quote, backslash, `<` or control
_CHAR_RULE = "\n".join(
    (
        f'char ::= [^{_NOT}] | "<"+ lt | escape',
        f'lt ::= [^{_NOT}|t/] | escape | "t" lt-t | "/" lt-slash',
        f'lt-slash ::= [^{_NOT}t] | escape | "t" lt-t',
        f'lt-t ::= [^{_NOT}o] | escape | "o" lt-to',
        f'lt-to ::= [^{_NOT}o] | escape | "o" lt-too',
        f'lt-too ::= [^{_NOT}l] | escape | "l" lt-tool',
        f"lt-tool ::= [^{_NOT}_-] | escape",  # `<tool-response>` too: it was tried
        'escape ::= "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
    )
)
_CONVERTER_CHAR = re.compile(r"^char ::= .*$", re.MULTILINE)
# A whole file's `content` (Write) ends with a line break, as text files do. This is what
# keeps code whole: a small model writing `data={"` often forgets the backslash, and an
# unescaped quote ends a JSON string, so the file was cut there (a stray `}` or an
# unclosed `{` at its end). Here a quote can only end the content right after `\n`;
# anywhere else the sampler has to take the model's next choice, the escaped quote.
_WRITES_FILES = frozenset({"Write"})  # the tools whose `content` is a whole file
_TEXT_RULE = 'file-text ::= "\\"" (char* "\\\\n")? "\\"" space'


@lru_cache(maxsize=16)
def _gbnf(schema: str, writers: tuple[int, ...] = ()) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    # The name first, so the model commits to a tool before writing its arguments.
    rules = json_schema_to_gbnf(schema, ["name", "arguments"])
    rules = _CONVERTER_CHAR.sub(lambda _: _CHAR_RULE, rules, count=1)
    for i in writers:  # the converter names each option's rules `alternative-<index>-...`
        kv = re.escape(f'alternative-{i}-arguments-content-kv ::= "\\"content\\"" space ":" space ')
        rules = re.sub(f"^({kv})string$", r"\1file-text", rules, flags=re.MULTILINE)
    return f"{rules}\n{_TEXT_RULE}" if writers else rules


def _strip(schema: Any) -> Any:
    """`schema` without the `_IGNORED` keywords, at every level."""
    if isinstance(schema, list):
        return [_strip(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _IGNORED:
            continue
        if key == "properties":  # its keys are property names, not keywords
            out[key] = {name: _strip(sub) for name, sub in value.items()}
        elif key in ("enum", "const"):
            out[key] = value
        else:
            out[key] = _strip(value)
    return out
