"""MCP server configurations, in Claude Code's format.

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "some-server"], "env": {"KEY": "v"}},
        "remote": {"type": "http", "url": "https://example.com/mcp",
                   "headers": {"Authorization": "Bearer ${TOKEN}"}}}}

A server without `type` (or with `"type": "stdio"`) is a program bdev starts and talks
to over stdin/stdout; `"type": "http"` is a streamable-HTTP endpoint. `${VAR}` and
`${VAR:-default}` in command, args, env, url and headers are expanded from the
environment, as Claude Code does. Every mistake is one BdevError naming the file and the
field (`.mcp.json: mcpServers.files.args: ...`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bdev.errors import BdevError

# Names become part of tool names (`mcp__<server>__<tool>`), which model APIs limit to
# letters, digits, '_' and '-'; a '__' inside would make the name ambiguous.
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
PROJECT_FILE = ".mcp.json"


class StdioServer(BaseModel):
    """A program bdev starts; it speaks MCP on its stdin and stdout."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["stdio"] = "stdio"
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


class HttpServer(BaseModel):
    """A server bdev reaches over streamable HTTP."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["http"]
    url: str
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return url


Server = StdioServer | HttpServer


@dataclass(frozen=True)
class ServerSpec:
    """One configured server and where its configuration came from (for messages)."""

    name: str
    server: Server
    origin: str  # a file, "--mcp-config", "built-in" or a definition's path

    @property
    def transport(self) -> str:
        return self.server.type


def load_file(path: Path) -> dict[str, ServerSpec]:
    """The servers of a JSON file shaped `{"mcpServers": {...}}`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BdevError(f"{path}: cannot read the MCP configuration ({e})") from None
    return load_text(text, str(path))


def load_flag(value: str) -> dict[str, ServerSpec]:
    """One `--mcp-config` value: a file, or the JSON itself (as Claude Code accepts)."""
    if value.lstrip().startswith("{"):
        return load_text(value, "--mcp-config")
    path = Path(value).expanduser()
    if not path.is_file():
        raise BdevError(f"--mcp-config {value}: no such file (give a JSON file or JSON text)")
    return load_text(path.read_text(encoding="utf-8"), str(path))


def load_text(text: str, origin: str) -> dict[str, ServerSpec]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BdevError(
            f"{origin}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
        raise BdevError(f'{origin}: expected a JSON object with "mcpServers": {{name: server}}')
    return parse_servers(data["mcpServers"], origin)


def parse_servers(
    servers: dict[str, Any], origin: str, where: str = "mcpServers"
) -> dict[str, ServerSpec]:
    """`{name: config}` -> specs; `where` is the field path shown in errors."""
    return {name: parse_server(name, raw, origin, where) for name, raw in servers.items()}


def parse_server(name: Any, raw: Any, origin: str, where: str = "mcpServers") -> ServerSpec:
    field = f"{where}.{name}"
    if not isinstance(name, str) or not _NAME.match(name) or "__" in name:
        raise BdevError(
            f"{origin}: {field}: server name {name!r}: use letters, digits, '-' and single '_'"
        )
    if not isinstance(raw, dict):
        raise BdevError(f"{origin}: {field}: expected an object with command or url")
    kind = raw.get("type", "stdio")
    model: type[StdioServer] | type[HttpServer]
    if kind == "stdio":
        model = StdioServer
    elif kind == "http":
        model = HttpServer
    else:
        hint = " (bdev speaks streamable HTTP: use http)" if kind == "sse" else ""
        raise BdevError(f"{origin}: {field}.type: {kind!r}{hint}; one of: stdio, http")
    try:
        server = model.model_validate(_expand(raw, f"{origin}: {field}"))
    except ValidationError as e:
        first = e.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise BdevError(f"{origin}: {field}.{at}: {first['msg']}") from None
    return ServerSpec(name, server, origin)


def _expand(value: Any, where: str) -> Any:
    """`${VAR}` and `${VAR:-default}` in every string, from the environment."""
    if isinstance(value, str):

        def one(m: re.Match[str]) -> str:
            found = os.environ.get(m.group(1))
            if found is not None:
                return found
            if m.group(2) is not None:
                return m.group(2)
            raise BdevError(f"{where}: ${{{m.group(1)}}} is not set in the environment")

        return _VAR.sub(one, value)
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, where) for k, v in value.items()}
    return value
