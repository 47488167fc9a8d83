"""TodoWrite: the agent's task list for the session, replaced as a whole on each call."""

from __future__ import annotations

from typing import Any

from bdev.tools.base import TodoItem, ToolContext, ToolError
from bdev.tools.schema import STRING, array_of, enum, object_schema

STATUSES = ("pending", "in_progress", "completed")
_MARKS = {"pending": "[ ]", "in_progress": "[>]", "completed": "[x]"}


class TodoWriteTool:
    name = "TodoWrite"
    description = (
        "Replace the task list. Each todo: content, status (pending|in_progress|completed); "
        "at most one in_progress."
    )
    parameters = object_schema(
        {
            "todos": array_of(
                object_schema(
                    {"content": STRING, "status": enum(*STATUSES), "id": STRING},
                    "content",
                    "status",
                )
            )
        },
        "todos",
    )
    # Touches no file, only the session's list, so even plan mode may use it.
    brief = "Replace the task list."
    read_only = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        items: list[TodoItem] = []
        for i, raw in enumerate(args["todos"], start=1):
            content = str(raw.get("content", "")).strip()
            status = raw.get("status")
            if not content:
                raise ToolError(f"todo {i}: content is empty")
            if status not in STATUSES:
                raise ToolError(f"todo {i}: status {status!r} is not one of {', '.join(STATUSES)}")
            items.append(TodoItem(content=content, status=status, id=str(raw.get("id") or i)))
        active = [t for t in items if t.status == "in_progress"]
        if len(active) > 1:
            raise ToolError(
                f"{len(active)} todos are in_progress; keep exactly one in progress at a time"
            )
        # In place, so anyone holding the session's list sees the new one.
        ctx.todos[:] = items
        return render_todos(items)


def render_todos(items: list[TodoItem]) -> str:
    if not items:
        return "Todo list cleared"
    done = sum(t.status == "completed" for t in items)
    lines = [f"Todos ({done}/{len(items)} done):"]
    lines += [f"{_MARKS[t.status]} {t.content}" for t in items]
    return "\n".join(lines)
