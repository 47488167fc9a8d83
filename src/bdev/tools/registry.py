"""Building the tool set for an agent, describing it to a model and checking arguments.

Arguments come from a model, often a small one, so before validation the quirks whose
meaning is unambiguous are repaired: numbers and booleans sent as strings, arrays and
objects sent as JSON text, and explicit nulls for optional arguments.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator

from bdev.errors import BdevError
from bdev.llm.base import ToolSpec
from bdev.tools.base import TOOL_NAMES, Tool
from bdev.tools.bash import BashTool
from bdev.tools.edit import EditTool, MultiEditTool
from bdev.tools.grep import GrepTool
from bdev.tools.listing import GlobTool, LSTool
from bdev.tools.notebook import NotebookEditTool
from bdev.tools.read import ReadTool
from bdev.tools.task import TaskTool
from bdev.tools.todo import TodoWriteTool
from bdev.tools.web import WebFetchTool, WebSearchTool
from bdev.tools.write import WriteTool

_FACTORIES: dict[str, Callable[[], Tool]] = {
    "Read": ReadTool,
    "Write": WriteTool,
    "Edit": EditTool,
    "MultiEdit": MultiEditTool,
    "LS": LSTool,
    "Glob": GlobTool,
    "Grep": GrepTool,
    "Bash": BashTool,
    "NotebookEdit": NotebookEditTool,
    "TodoWrite": TodoWriteTool,
    "Task": TaskTool,
    "WebSearch": WebSearchTool,
    "WebFetch": WebFetchTool,
}
assert tuple(_FACTORIES) == TOOL_NAMES, "every name in TOOL_NAMES needs a tool"


def build_tools(names: Iterable[str] | None = None) -> dict[str, Tool]:
    """The tools called `names` (all of them for None), in TOOL_NAMES order."""
    wanted = set(TOOL_NAMES if names is None else names)
    unknown = sorted(wanted - set(_FACTORIES))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, TOOL_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BdevError(f"unknown tool {name!r}{hint} (known: {', '.join(TOOL_NAMES)})")
    return {name: _FACTORIES[name]() for name in TOOL_NAMES if name in wanted}


def tool_specs(tools: dict[str, Tool] | Iterable[Tool], *, compact: bool = False) -> list[ToolSpec]:
    """What the model is told about `tools`; `compact` for small models (see compact_spec)."""
    items = tools.values() if isinstance(tools, dict) else tools
    if compact:
        return [compact_spec(t) for t in items]
    return [ToolSpec(t.name, t.description, t.parameters) for t in items]


# Schema keywords a small model reads but gains nothing from; the full schema still
# validates its arguments, so dropping them here loosens nothing.
_COMPACT_DROPS = ("description", "minimum", "minItems")


def compact_spec(tool: Tool) -> ToolSpec:
    """The small-model form of a tool: its one-line `brief` and only the required
    parameters plus the optional ones it names in `small_params` (optional knobs such as
    offsets, timeouts and flags are what small models misuse). Both attributes are
    optional on a tool; without them the full description and the required ones stay."""
    brief: str = getattr(tool, "brief", "") or tool.description
    keep: tuple[str, ...] = getattr(tool, "small_params", ())
    return ToolSpec(tool.name, brief, _compact_schema(tool.parameters, keep))


def _compact_schema(schema: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k not in _COMPACT_DROPS}
    if "properties" in schema:
        required = schema.get("required", [])
        out["properties"] = {
            name: _compact_schema(sub)
            for name, sub in schema["properties"].items()
            if name in required or name in keep
        }
    if isinstance(schema.get("items"), dict):
        out["items"] = _compact_schema(schema["items"])
    return out


def coerce_arguments(tool: Tool, args: dict[str, Any]) -> dict[str, Any]:
    """A repaired copy of `args`; anything not clearly fixable is left for validation."""
    return _coerce_object(tool.parameters, args)


def validate_arguments(tool: Tool, args: dict[str, Any]) -> list[str]:
    """Repair `args` in place (see coerce_arguments), then validate them against the
    tool's schema. Returns readable problems naming the argument; empty means valid."""
    if not isinstance(args, dict):
        return [f"{tool.name} arguments must be a JSON object, got {type(args).__name__}"]
    fixed = coerce_arguments(tool, args)
    args.clear()
    args.update(fixed)
    validator = Draft202012Validator(tool.parameters)
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path))
    return [_describe(e) for e in errors]


def _describe(error: Any) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = where.lstrip(".")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        field = f"{where}.{missing}" if where else missing
        return f"missing required argument '{field}'"
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"argument '{where}': {error.instance!r} is not one of {allowed}"
    if error.validator == "type":
        return (
            f"argument '{where}': expected {error.validator_value}, "
            f"got {type(error.instance).__name__} {error.instance!r}"
        )
    return f"argument '{where}': {error.message}" if where else error.message


def _coerce_object(schema: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for key, value in args.items():
        if value is None and key not in required:
            continue  # "offset": null means "not given"
        out[key] = _coerce(props.get(key, {}), value)
    return out


def _coerce(schema: dict[str, Any], value: Any) -> Any:
    kind = schema.get("type")
    if isinstance(value, str):
        text = value.strip()
        if kind == "integer" and _is_int(text):
            return int(text)
        if kind == "number":
            try:
                return float(text)
            except ValueError:
                return value
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind in ("array", "object") and text[:1] in "[{":
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return value
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "array" and isinstance(value, list):
        return [_coerce(schema.get("items", {}), v) for v in value]
    if kind == "object" and isinstance(value, dict):
        return _coerce_object(schema, value)
    return value


def _is_int(text: str) -> bool:
    return text.lstrip("+-").isdigit()
