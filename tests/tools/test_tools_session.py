"""TodoWrite, Task and the web tools: the tools that act on the session, not on files."""

from __future__ import annotations

import pytest

from bdev.tools.base import TodoItem, ToolContext, ToolError
from bdev.tools.task import TaskTool
from bdev.tools.todo import TodoWriteTool
from bdev.tools.web import WebFetchTool, WebSearchTool


def test_todowrite_replaces_the_list_in_place(ctx: ToolContext) -> None:
    shared = ctx.todos
    shared.append(TodoItem("old", "pending"))
    out = TodoWriteTool().run(
        {
            "todos": [
                {"content": "write tests", "status": "completed", "id": "t1"},
                {"content": "fix bug", "status": "in_progress"},
                {"content": "ship", "status": "pending"},
            ]
        },
        ctx,
    )
    assert shared is ctx.todos
    assert [(t.content, t.status, t.id) for t in ctx.todos] == [
        ("write tests", "completed", "t1"),
        ("fix bug", "in_progress", "2"),
        ("ship", "pending", "3"),
    ]
    assert out.splitlines() == ["Todos (1/3 done):", "[x] write tests", "[>] fix bug", "[ ] ship"]


def test_todowrite_validation(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="todo 1: status 'doing'"):
        TodoWriteTool().run({"todos": [{"content": "a", "status": "doing"}]}, ctx)
    two = [{"content": "a", "status": "in_progress"}, {"content": "b", "status": "in_progress"}]
    with pytest.raises(ToolError, match="2 todos are in_progress"):
        TodoWriteTool().run({"todos": two}, ctx)
    with pytest.raises(ToolError, match="content is empty"):
        TodoWriteTool().run({"todos": [{"content": " ", "status": "pending"}]}, ctx)
    assert ctx.todos == []
    assert TodoWriteTool().run({"todos": []}, ctx) == "Todo list cleared"


def test_task_calls_the_subagent_runner(ctx: ToolContext) -> None:
    calls: list[tuple[str, str]] = []

    def runner(agent: str, prompt: str) -> str:
        calls.append((agent, prompt))
        return "  all done  \n"

    ctx.run_subagent = runner
    args = {"description": "review", "prompt": "review app.py", "subagent_type": "reviewer"}
    assert TaskTool().run(args, ctx) == "all done"
    assert calls == [("reviewer", "review app.py")]


def test_task_errors(ctx: ToolContext) -> None:
    args = {"description": "d", "prompt": "p", "subagent_type": "ghost"}
    with pytest.raises(ToolError, match="not available"):
        TaskTool().run(args, ctx)

    def broken(agent: str, prompt: str) -> str:
        raise RuntimeError("no agent named ghost")

    ctx.run_subagent = broken
    with pytest.raises(ToolError, match="sub-agent 'ghost' failed: no agent named ghost"):
        TaskTool().run(args, ctx)


def test_web_tools_are_offline_by_default(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="no network access"):
        WebSearchTool().run({"query": "fastapi"}, ctx)
    with pytest.raises(ToolError, match="no network access"):
        WebFetchTool().run({"url": "https://example.com", "prompt": "summarise"}, ctx)


def test_web_provider_is_pluggable(ctx: ToolContext) -> None:
    class Canned:
        def search(self, query: str) -> str:
            return f"results for {query}"

        def fetch(self, url: str, prompt: str) -> str:
            return f"{prompt} of {url}"

    assert WebSearchTool(Canned()).run({"query": "q"}, ctx) == "results for q"
    assert WebFetchTool(Canned()).run({"url": "u", "prompt": "p"}, ctx) == "p of u"
