"""`--output-format stream-json` in Claude Code's event shapes.

Tools written against Claude Code's headless output read `system`/`init`, `assistant`
(text and `tool_use` blocks), `user` (`tool_result` blocks) and a final `result`
(`subtype`, `is_error`, `num_turns`, `duration_ms`, `total_cost_usd`, `result`). bdev's
run maps onto those; its own events (phases, gates, slots, delivery, model calls, tool
timings) follow under their own `type`, which such consumers ignore. The system prompt is
never streamed.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from bdev.runtime.events import Event, EventType

# How a run's end maps to Claude Code's result subtypes.
_SUBTYPES = {"completed": "success", "max_steps": "error_max_turns"}


class ClaudeStream:
    """An event sink writing one JSON object per line to `out` (stdout)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self.session_id: str | None = None
        self.model: str | None = None
        self.api_ms = 0.0
        self.turns = 0
        self.task_calls: dict[int, str] = {}  # depth -> id of the Task call that opened it

    def __call__(self, event: Event) -> None:
        for record in self.records(event):
            stream = self.out or sys.stdout
            stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            stream.flush()

    def records(self, event: Event) -> list[dict[str, Any]]:
        d = event.data
        depth = int(d.get("depth", 0))
        if event.type == EventType.SESSION_START:
            self.session_id, self.model = d.get("session_id"), d.get("model")
            return [self._init(d), event.to_dict()]
        if event.type == EventType.MODEL_CALL:
            self.api_ms += float(d.get("duration_s", 0)) * 1000
            return [event.to_dict()]
        if event.type == EventType.TOOL_START and d.get("name") == "Task":
            self.task_calls[depth] = str(d.get("id"))
        if event.type == EventType.MESSAGE:
            return self._message(d["message"], depth)
        if event.type == EventType.END and not depth:
            return [self._result(d)]
        return [event.to_dict()]

    def _init(self, d: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "system",
            "subtype": "init",
            "session_id": d.get("session_id"),
            "cwd": d.get("workspace"),
            "model": d.get("model"),
            "tools": d.get("tools", []),
            "mcp_servers": [],
            "permissionMode": d.get("permission_mode", "default"),
            "agent": d.get("agent"),
        }

    def _message(self, message: dict[str, Any], depth: int) -> list[dict[str, Any]]:
        role = message.get("role")
        parent = self.task_calls.get(depth - 1) if depth else None
        common = {"parent_tool_use_id": parent, "session_id": self.session_id}
        if role == "assistant":
            if not depth:
                self.turns += 1
            content: list[dict[str, Any]] = []
            if message.get("content"):
                content.append({"type": "text", "text": message["content"]})
            for call in message.get("tool_calls") or []:
                content.append(
                    {"type": "tool_use", "id": call.get("id"), "name": call.get("name"),
                     "input": call.get("arguments", {})}
                )  # fmt: skip
            body = {"type": "message", "role": "assistant", "model": self.model,
                    "content": content}  # fmt: skip
            return [{"type": "assistant", "message": body, **common}]
        if role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": message.get("content", ""),
                "is_error": bool(message.get("is_error")),
            }
            return [{"type": "user", "message": {"role": "user", "content": [result]}, **common}]
        return []  # the system prompt and the task are the caller's own words

    def _result(self, d: dict[str, Any]) -> dict[str, Any]:
        status = str(d.get("status", ""))
        subtype = _SUBTYPES.get(status, "error_during_execution")
        usage = d.get("usage") or {}
        record: dict[str, Any] = {
            "type": "result",
            "subtype": subtype,
            "is_error": subtype != "success",
            "duration_ms": round(float(d.get("duration_s") or d.get("wall_s") or 0) * 1000),
            "duration_api_ms": round(self.api_ms),
            "num_turns": int(d.get("steps") or self.turns),
            "result": d.get("final") or d.get("detail") or "",
            "session_id": self.session_id,
            "total_cost_usd": float(d.get("cost") or 0.0),
            "usage": usage,
            "bdev_status": status,
        }
        for extra in ("readiness", "exit_code", "build"):
            if extra in d:
                record[extra] = d[extra]
        return record


def error_record(message: str) -> dict[str, Any]:
    """The result line for a run that failed before or outside the loop."""
    return {
        "type": "result",
        "subtype": "error_during_execution",
        "is_error": True,
        "duration_ms": 0,
        "num_turns": 0,
        "result": message,
        "session_id": None,
        "total_cost_usd": 0.0,
    }
