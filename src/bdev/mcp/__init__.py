"""MCP: tools from Model Context Protocol servers, and bdev's own offline docs server.

- `config`: server configurations as Claude Code writes them (`--mcp-config`, the
  project's `.mcp.json`, a definition's `mcpServers`), checked with errors naming file
  and field.
- `connection`: one server's session on a background event loop, behind a synchronous
  `list_tools` / `call_tool` with timeouts (bdev's loop is synchronous).
- `tools`: a server's tool as a bdev `Tool` named `mcp__<server>__<tool>`.
- `hub`: the servers of one run: which an agent gets, started on first use, closed at
  the end.
- `docs_server` (with `libdocs`): documentation of installed packages, served offline
  under the name `context7`.

The official SDK (`mcp`, 1.x) does the protocol; nothing here bypasses the permission
policy: an MCP tool call is checked like any other (bdev.tools.policy).
"""
