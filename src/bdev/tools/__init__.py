"""The tools an agent can call, the permission policy that guards them and the
workspace confinement every file tool goes through."""

from bdev.tools.base import TOOL_NAMES, TodoItem, Tool, ToolContext, ToolError
from bdev.tools.policy import Decision, PermissionMode, Policy
from bdev.tools.registry import build_tools, coerce_arguments, tool_specs, validate_arguments
from bdev.tools.workspace import resolve_path

__all__ = [
    "TOOL_NAMES",
    "Decision",
    "PermissionMode",
    "Policy",
    "TodoItem",
    "Tool",
    "ToolContext",
    "ToolError",
    "build_tools",
    "coerce_arguments",
    "resolve_path",
    "tool_specs",
    "validate_arguments",
]
