"""Showing a run in the terminal: a live status line, tool calls as they happen, and
the stream-json printer (one JSON event per line)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bdev.runtime.events import Event, EventType


def stream_json_sink(event: Event) -> None:
    sys.stdout.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _short(args: dict[str, Any], limit: int = 80) -> str:
    for key in ("command", "file_path", "notebook_path", "pattern", "path", "subagent_type"):
        if key in args:
            text = str(args[key]).replace("\n", " ")
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


class TerminalView:
    """Text output: what the agent does, one line per tool call, under a live status line
    (step, current tool, tokens, elapsed) on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.started = time.monotonic()
        self.step = 0
        self.tool = ""
        self.tokens = 0
        self.live = Live(self._status(), console=self.console, transient=True, auto_refresh=False)

    def __enter__(self) -> TerminalView:
        return self  # the status line starts with the first event: a build shows none

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def _status(self) -> Text:
        elapsed = int(time.monotonic() - self.started)
        tool = f" · {self.tool}" if self.tool else ""
        clock = f"{elapsed // 60:02d}:{elapsed % 60:02d}"
        return Text(f"step {self.step}{tool} · {self.tokens:,} tokens · {clock}", style="dim")

    def _refresh(self) -> None:
        if not self.live.is_started and self.console.is_terminal:
            self.live.start()
        if self.live.is_started:
            self.live.update(self._status(), refresh=True)

    def __call__(self, event: Event) -> None:
        d = event.data
        indent = "  " * int(d.get("depth", 0))
        if event.type == EventType.MODEL_CALL:
            self.step = d["step"] if not d.get("depth") else self.step
            u = d["usage"]
            self.tokens += u["input_tokens"] + u["output_tokens"]
            self.tool = ""
        elif event.type == EventType.MESSAGE and d["message"]["role"] == "assistant":
            text = d["message"]["content"].strip()
            if text and d["message"].get("tool_calls"):
                self.console.print(Text(indent + text, style="italic"))
        elif event.type == EventType.TOOL_START:
            self.tool = d["name"]
            self.console.print(
                Text(f"{indent}● {d['name']} ", style="bold cyan") + _short(d["arguments"])
            )
        elif event.type == EventType.TOOL_END and d["is_error"]:
            self.console.print(Text(f"{indent}  ✗ {d['name']} failed", style="red"))
        elif event.type == EventType.PERMISSION:
            self.console.print(
                Text(f"{indent}  ✗ {d['tool']} denied: {d['reason']}", style="yellow")
            )
        elif event.type == EventType.FORMAT_ERROR:
            self.console.print(
                Text(f"{indent}  ! malformed tool call (sent back to the model)", style="yellow")
            )
        elif event.type == EventType.SUBAGENT_START:
            self.console.print(
                Text(f"{indent}→ sub-agent {d['agent']} ({d['model']})", style="magenta")
            )
        self._refresh()
