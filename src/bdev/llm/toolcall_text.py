"""Tool calls written as text, the way small local models write them.

A model without a structured tool-call channel answers with text such as

    I'll create the file.
    <tool_call>{"name": "Write", "arguments": {"file_path": "app.py", "content": "..."}}</tool_call>

or puts the same object in a ```json fence, or in the middle of prose. `parse_tool_calls`
finds those calls, returns the remaining text as content, and turns every attempt it
cannot read into one short error that says what was wrong and the exact form expected,
so that even a 1.5B model can correct itself on the next turn.

Hand-written on purpose: no library parses this mix of tags, fences and prose; the JSON
itself is always read by the standard `json` decoder (plus `ast.literal_eval` for the
Python-style dicts small models sometimes write).
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from bdev.llm.base import ToolCall
from bdev.prompts import render

# strict=False accepts raw newlines and tabs inside strings: small models write file
# contents that way, and nothing is ambiguous about it.
_DECODER = json.JSONDecoder(strict=False)

_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARG_KEYS = ("arguments", "parameters", "args", "input", "params")
# Keys that may sit next to a name without being arguments.
_META_KEYS = frozenset({"id", "type", "call_id"})

_OPEN_TAG = re.compile(r"<\s*(tool_call|function_call)\s*>", re.IGNORECASE)
_CLOSE_TAG = re.compile(r"<\s*/\s*(tool_call|function_call|tool_response)\s*>", re.IGNORECASE)
# A fence: ``` + optional language tag, body, closing ``` (or the end of a truncated reply).
_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
# Where a bare object or list of objects may start in prose.
_JSON_START = re.compile(r"\{|\[\s*\{")
# The start of something that is plainly meant as a call: {"name": ...  or {'tool': ...
# Used with .match(text, pos), which anchors at pos (a "^" would not).
_CALL_LIKE = re.compile(r"""\[?\s*\{\s*["']?(name|tool|tool_name|function)["']?\s*:""")
_ARGS_KEY = re.compile(r"""["'](arguments|parameters|args|input|params)["']\s*:""")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
# Text posing as a tool's output. Results come from bdev once a call has run; a small
# model imitating the transcript writes them itself and then believes its own "Created
# app.py". Such blocks are never content; a stray closing tag is a slip, read as the
# end of a call like </tool_call>.
_FAKE_RESULT = re.compile(r"<\s*tool_response\s*>.*?(?:<\s*/\s*tool_response\s*>|\Z)", re.I | re.S)
# The argument a file's text goes in, when it is the last one of a call: small models
# paste code there unescaped, raw quotes and all (see `_raw_last_string`).
_CODE_ARG = re.compile(r"""["'](content|new_string|new_source)["']\s*:\s*["']""")
_RAW_CALL_START = re.compile(r"""(?:<\s*tool_call\s*>\s*)?(\{)\s*"name"\s*:""", re.I)
# What ends a call whose code was pasted raw: a closing tag, or the fence that closes
# the code (the model wrote the file as a Markdown block inside the string).
_RAW_CALL_TAG_END = re.compile(
    r"(?:<\s*/\s*(?:tool_call|tool_response|function_call)\s*>|```)\Z", re.I
)
_RAW_CODE_FENCE_START = re.compile(r"\A```[\w+-]*[ \t]*\n")
_RAW_CALL_BRACES_END = re.compile(r"""["']\s*}\s*}\Z""")


@dataclass
class ParsedText:
    content: str
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def render_tool_call(call: ToolCall) -> str:
    """The canonical text form of a call, as Qwen/Hermes chat templates write it."""
    payload = json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)
    return f"<tool_call>\n{payload}\n</tool_call>"


def format_hint(name: str | None = None) -> str:
    """The one-line reminder of the expected form that ends every error."""
    return render("tool_call_format", name=name or "<tool name>")


def parse_tool_calls(
    text: str, known_tools: Collection[str] | None = None, *, first_index: int = 0
) -> ParsedText:
    """Find the tool calls in `text`; return the rest as content, plus precise errors.

    Calls get ids call_<first_index>, call_<first_index + 1>, ...; pass the number of
    calls already in the conversation to keep ids unique across turns.
    """
    parser = _Parser(known_tools, first_index)
    kept: list[str] = []
    text, faked = _FAKE_RESULT.subn("", text)
    for piece, is_call_region in _split_tagged(text):
        if is_call_region:
            parser.read_tagged(piece, kept)
        else:
            _read_prose(parser, piece, kept)
    if (
        parser.errors
        and not parser.calls
        and (raw := _raw_code_call(text, parser.known, first_index))
    ):
        kept, parser.calls, parser.errors = [raw[0]], [raw[1]], []
    if faked:
        parser.errors.append(render("fake_tool_result") + " " + format_hint())
    content = _CLOSE_TAG.sub("", "".join(kept))
    content = re.sub(r"\n{3,}", "\n\n", content).strip()
    return ParsedText(content=content, calls=parser.calls, errors=parser.errors)


def _split_tagged(text: str) -> list[tuple[str, bool]]:
    """Split into (piece, is_inside_<tool_call>) pieces; an unclosed tag runs to the end."""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    while (open_ := _OPEN_TAG.search(text, pos)) is not None:
        pieces.append((text[pos : open_.start()], False))
        close = _CLOSE_TAG.search(text, open_.end())
        # A second opening tag before any closing one ends the first block there.
        next_open = _OPEN_TAG.search(text, open_.end())
        if close is None or (next_open is not None and next_open.start() < close.start()):
            end = next_open.start() if next_open is not None else len(text)
            pieces.append((text[open_.end() : end], True))
            pos = end
        else:
            pieces.append((text[open_.end() : close.start()], True))
            pos = close.end()
    pieces.append((text[pos:], False))
    return pieces


def _read_prose(parser: _Parser, text: str, kept: list[str]) -> None:
    """Fences first (a fence that holds no call stays as written), then bare JSON."""
    pos = 0
    for fence in _FENCE.finditer(text):
        parser.read_bare(text[pos : fence.start()], kept)
        if not parser.read_fenced(fence.group(2), fence.group(1)):
            kept.append(fence.group(0))
        pos = fence.end()
    parser.read_bare(text[pos:], kept)


class _Parser:
    def __init__(self, known_tools: Collection[str] | None, first_index: int) -> None:
        self.known = list(known_tools) if known_tools is not None else None
        self.first_index = first_index
        self.calls: list[ToolCall] = []
        self.errors: list[str] = []

    # -- the three places a call can be --------------------------------------------

    def read_tagged(self, body: str, kept: list[str]) -> None:
        """Inside <tool_call>: everything must be calls; anything else is an error."""
        body = _strip_fence(body.strip())
        if not body:
            self.errors.append(f"Empty <tool_call> block. {format_hint()}")
            return
        values, rest, problem = _decode_all(body)
        if problem is not None and not values:
            kept.append(body)
            self.errors.append(f"Could not read the tool call: {problem}. {_hint_for(body)}")
            return
        for value in values:
            self._take(value)
        # Prose after the calls (an unclosed tag runs on into it) is content again.
        if rest.strip():
            _read_prose(self, rest, kept)

    def read_fenced(self, body: str, lang: str) -> bool:
        """A fenced block: calls if it holds call-shaped JSON; False to keep it as content."""
        stripped = body.strip()
        if lang.lower() not in ("", "json", "tool_call", "tool_code", "javascript") or not (
            stripped.startswith(("{", "["))
        ):
            return False
        values, rest, problem = _decode_all(stripped)
        if problem is not None or rest.strip():
            if not _looks_like_attempt(stripped, 0):
                return False
            problem = problem or f"unexpected text after the JSON: {rest.strip()[:30]!r}"
            self.errors.append(f"Could not read the tool call: {problem}. {_hint_for(stripped)}")
            return False  # keep the broken attempt visible next to the error
        if not values or not all(_is_call_shaped(v, self.known) for v in values):
            return False
        for value in values:
            self._take(value)
        return True

    def read_bare(self, text: str, kept: list[str]) -> None:
        """JSON objects in prose: calls are removed, any other JSON stays as written."""
        pos = 0
        while (start := _JSON_START.search(text, pos)) is not None:
            at = start.start()
            value, end, problem = _decode_one(text, at)
            if problem is None and _is_call_shaped(value, self.known):
                kept.append(text[pos:at])
                self._take(value)
                pos = end
                continue
            if problem is not None and _looks_like_attempt(text, at):
                self.errors.append(
                    f"Could not read the tool call: {problem}. {_hint_for(text[at:])}"
                )
                # Resume on the next line: the rest of this broken object is no call.
                line_end = text.find("\n", at)
                next_pos = len(text) if line_end < 0 else line_end
            else:
                # Not a call: keep it and look past it (past a whole value if one decoded).
                next_pos = end if problem is None else at + 1
            kept.append(text[pos:next_pos])
            pos = next_pos
        kept.append(text[pos:])

    # -- turning a decoded value into calls ----------------------------------------

    def _take(self, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            call, error = _to_call(item, self.known, self.first_index + len(self.calls))
            if call is not None:
                self.calls.append(call)
            elif error is not None:
                self.errors.append(error)


def _looks_like_attempt(text: str, at: int) -> bool:
    """Broken JSON outside <tool_call> counts as a failed call only if it has both a name
    and an arguments key near its start; a Python dict like {'name': x} is just code."""
    return _CALL_LIKE.match(text, at) is not None and bool(_ARGS_KEY.search(text, at, at + 300))


def _is_call_shaped(value: Any, known: list[str] | None) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(_split_call(item, known) is not None for item in items)


def _split_call(item: Any, known: list[str] | None) -> tuple[Any, Any, bool] | None:
    """(name, raw arguments, has_args_key) if `item` looks like a call, else None."""
    if not isinstance(item, dict):
        return None
    # OpenAI's wire shape: {"type": "function", "function": {"name": ..., "arguments": ...}}
    inner = item.get("function")
    if isinstance(inner, dict) and "name" in inner:
        item = inner
    name_key = next((k for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
    if name_key is None:
        # {"Write": {...}}: a single key that is a known tool's name.
        if known is not None and len(item) == 1:
            ((key, args),) = item.items()
            if _match_tool(key, known) is not None and isinstance(args, dict):
                return key, args, True
        return None
    name = item[name_key]
    args_key = next((k for k in _ARG_KEYS if k in item), None)
    if args_key is not None:
        return name, item[args_key], True
    # {"name": "LS", "path": "."}: arguments written beside the name. Only trusted when the
    # name is a known tool, so that sample data like {"name": "Ann", "age": 3} stays text.
    if known is not None and _match_tool(name, known) is not None:
        rest = {k: v for k, v in item.items() if k != name_key and k not in _META_KEYS}
        return name, rest, False
    return None


def _to_call(item: Any, known: list[str] | None, index: int) -> tuple[ToolCall | None, str | None]:
    split = _split_call(item, known)
    if split is None:
        if isinstance(item, dict) and not any(k in item for k in _NAME_KEYS):
            return None, f'The tool call has no "name". {format_hint()}'
        return None, f"A tool call must be a JSON object with a name. {format_hint()}"
    name, args, _ = split
    if known is not None:
        matched = _match_tool(name, known)
        if matched is None:
            listed = ", ".join(known) if known else "(none)"
            guess = _closest_tool(name, known)
            did_you_mean = f' Did you mean "{guess}"?' if guess else ""
            return None, (
                f'Unknown tool "{name}".{did_you_mean} Available tools: {listed}. '
                f"{format_hint(guess)}"
            )
        name = matched
    if isinstance(args, str):
        try:
            args = _DECODER.decode(args) if args.strip() else {}
        except json.JSONDecodeError as e:
            return None, (
                f'The "arguments" of {name} are not valid JSON ({e.msg} at column {e.colno}). '
                f"{format_hint(name)}"
            )
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return None, f'The "arguments" of {name} must be a JSON object. {format_hint(name)}'
    return ToolCall(id=f"call_{index}", name=name, arguments=args), None


def _match_tool(name: str, known: list[str]) -> str | None:
    """The known tool `name` refers to; a unique case-insensitive match is forgiven."""
    if name in known:
        return name
    folded = [k for k in known if k.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def _closest_tool(name: str, known: list[str]) -> str | None:
    """The known tool a wrong name most resembles: "read_file" -> "Read"."""
    by_lower = {k.lower(): k for k in known}
    stem = name.lower().replace("_file", "").replace("file_", "")
    close = difflib.get_close_matches(stem, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


# -- JSON decoding with a few safe repairs ------------------------------------------


def _decode_one(text: str, at: int) -> tuple[Any, int, str | None]:
    """Decode the JSON value at `at`: (value, end, None) or (None, at, problem)."""
    try:
        value, end = _DECODER.raw_decode(text, at)
        return value, end, None
    except json.JSONDecodeError as e:
        first_error = f"invalid JSON ({e.msg} at line {e.lineno} column {e.colno})"
        if e.msg.startswith(("Expecting ',' delimiter", "Unterminated string")):
            # Almost always a raw quote inside a string value (code in "content").
            first_error += '; inside strings write a quote as \\" and a newline as \\n'
    # Repairs only for text that is plainly meant as a call, up to the end of the text.
    if not _CALL_LIKE.match(text, at):
        return None, at, first_error
    repaired = _repair(text[at:])
    if repaired is not None:
        return repaired, len(text), None
    return None, at, first_error


def _decode_all(body: str) -> tuple[list[Any], str, str | None]:
    """The JSON values at the start of `body` (several calls may share one block).

    Returns (values, the text after them, problem); stray closing brackets after a
    complete value are a common slip and are dropped.
    """
    values: list[Any] = []
    pos = 0
    while True:
        pos = _skip(body, pos, " \t\r\n,")
        if values:
            pos = _skip(body, pos, " \t\r\n,}]")
        if pos >= len(body):
            return values, "", None
        if body[pos] not in "{[":
            if values:
                return values, body[pos:], None
            return values, body[pos:], f"expected a JSON object, found {body[pos : pos + 20]!r}"
        value, end, problem = _decode_one(body, pos)
        if problem is not None:
            return values, body[pos:], problem
        values.append(value)
        pos = end


def _repair(text: str) -> Any | None:
    """Read almost-JSON: trailing commas, missing final braces, Python-style dicts."""
    candidates = [text.strip(), _TRAILING_COMMA.sub(r"\1", text.strip())]
    candidates += [c + "}" for c in candidates] + [c + "}}" for c in candidates]
    for candidate in candidates:
        try:
            return _DECODER.decode(candidate)
        except json.JSONDecodeError:
            pass
    try:
        # Single quotes, True/False/None: a Python literal is safe to evaluate this way.
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _raw_code_call(text: str, known: list[str] | None, index: int) -> tuple[str, ToolCall] | None:
    """(prose before it, the call) for a call whose last argument is a file's text
    pasted unescaped, the one shape a small model breaks most:

        {"name": "Write", "arguments": {"file_path": "app.py", "content": "x = "a"
        print(x)
        "}}

    Tried only when nothing else in the reply could be read. Everything before that
    argument must be valid JSON, and the reply must end where the call does (the closing
    quote and braces, or a closing tag): a reply cut off mid-file is not a file. Text with
    real line breaks is taken as it stands; a one-line value is read as a JSON string
    with its bare quotes escaped.
    """
    start = _RAW_CALL_START.search(text)
    code = _CODE_ARG.search(text, start.end()) if start else None
    if start is None or code is None:
        return None
    head = text[start.start(1) : code.start()].rstrip().rstrip(",")
    try:
        value = _DECODER.decode(head + "}}")
    except json.JSONDecodeError:
        return None
    raw, tags = _RAW_CALL_TAG_END.subn("", text[code.end() :].rstrip())
    raw, braces = _RAW_CALL_BRACES_END.subn("", raw.rstrip() if tags else raw)
    if not tags and not braces:
        return None
    if "\n" in raw.strip():
        fenced = _RAW_CODE_FENCE_START.match(raw)
        raw = raw[fenced.end() :].rstrip().removesuffix("```") if fenced else raw
        raw = raw.rstrip() + "\n"  # a file ends with one line break
    else:
        try:
            raw = json.loads('"' + re.sub(r'(?<!\\)"', '\\"', raw) + '"')
        except json.JSONDecodeError:
            return None
    if not isinstance(value, dict) or not isinstance(value.get("arguments"), dict):
        return None
    value["arguments"][code.group(1)] = raw
    call, _ = _to_call(value, known, index)
    return (text[: start.start()], call) if call is not None else None


def _strip_fence(body: str) -> str:
    match = re.fullmatch(r"```[\w+.-]*[^\n]*\n(.*?)(?:```)?\s*", body, re.DOTALL)
    return match.group(1).strip() if match else body


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _hint_for(text: str) -> str:
    """The format hint, naming the tool the model was trying to call when it is readable."""
    match = re.search(r"""["']?(?:name|tool)["']?\s*:\s*["']([\w.-]+)["']""", text)
    return format_hint(match.group(1) if match else None)
