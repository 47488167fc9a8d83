"""An MCP server's tool as a bdev tool: `mcp__<server>__<tool>` (bdev.mcp.names) with
the server's JSON schema; a call goes to the server, its result comes back as text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from mcp import types

from bdev.mcp.connection import Connection
from bdev.mcp.names import tool_name
from bdev.tools.base import ToolContext, ToolError

# What one call may put in the model's context (Claude Code caps MCP output at 25k
# tokens; about four characters a token).
OUTPUT_LIMIT = 100_000
_OPEN_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class McpTool:
    """One tool of a started server; `run` calls it there."""

    name: str
    description: str
    parameters: dict[str, Any]
    read_only: bool
    connection: Connection
    remote_name: str  # the tool's own name on its server
    notes: list[str] = field(default_factory=list)  # what was repaired, for a warning

    @classmethod
    def wrap(cls, conn: Connection, tool: types.Tool, *, read_only: bool) -> McpTool:
        notes: list[str] = []
        schema = tool.inputSchema if isinstance(tool.inputSchema, dict) else {}
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as e:
            notes.append(f"{tool.name}: invalid input schema ({e.message}); any object accepted")
            schema = _OPEN_SCHEMA
        if schema.get("type") != "object":
            schema = {**schema, "type": "object"}
        description = tool.description or tool.title or f"{tool.name} (MCP server {conn.spec.name})"
        return cls(
            name=tool_name(conn.spec.name, tool.name),
            description=description,
            parameters=schema,
            read_only=read_only,
            connection=conn,
            remote_name=tool.name,
            notes=notes,
        )

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        result = self.connection.call_tool(self.remote_name, args)
        text = render(result)
        if len(text) > OUTPUT_LIMIT:
            cut = len(text) - OUTPUT_LIMIT
            text = text[:OUTPUT_LIMIT] + f"\n[... {cut} more characters cut]"
        if result.isError:
            raise ToolError(text or f"{self.remote_name} reported an error")
        return text or "(no output)"


def render(result: types.CallToolResult) -> str:
    """A call's content as text: text parts as they are, other parts described."""
    parts: list[str] = []
    for item in result.content:
        if isinstance(item, types.TextContent):
            parts.append(item.text)
        elif isinstance(item, types.ImageContent | types.AudioContent):
            parts.append(f"[{item.type}: {item.mimeType}, {len(item.data) * 3 // 4} bytes]")
        elif isinstance(item, types.EmbeddedResource):
            res = item.resource
            if isinstance(res, types.TextResourceContents):
                parts.append(res.text)
            else:
                parts.append(f"[resource {res.uri}: {res.mimeType or 'binary'}]")
        elif isinstance(item, types.ResourceLink):
            parts.append(f"[resource link {item.uri}: {item.name}]")
    if not parts and result.structuredContent is not None:
        parts.append(json.dumps(result.structuredContent, ensure_ascii=False, indent=1))
    return "\n".join(parts)
