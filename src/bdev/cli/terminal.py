"""Showing a run in the terminal: a live status line, tool calls as they happen, and
the stream-json printer (one JSON event per line)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bdev.cli.visible import visible
from bdev.runtime.events import Event, EventType


def _short(args: dict[str, Any], limit: int = 80) -> str:
    for key in ("command", "file_path", "notebook_path", "pattern", "path", "subagent_type"):
        if key in args:
            text = visible(str(args[key]).replace("\n", " "))
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
                self.console.print(Text(indent + visible(text), style="italic"))
        elif event.type == EventType.TOOL_START:
            self.tool = d["name"]
            self.console.print(
                Text(f"{indent}● {visible(d['name'])} ", style="bold cyan") + _short(d["arguments"])
            )
        elif event.type == EventType.TOOL_END and d["is_error"]:
            self.console.print(Text(f"{indent}  ✗ {d['name']} failed", style="red"))
        elif event.type == EventType.PERMISSION:
            self.console.print(
                Text(visible(f"{indent}  ✗ {d['tool']} denied: {d['reason']}"), style="yellow")
            )
        elif event.type == EventType.FORMAT_ERROR:  # what was wrong, not only that it was
            why = str((d.get("errors") or ["a reply bdev could not use"])[0]).split("\n")[0]
            self.console.print(
                Text(visible(f"{indent}  ! {why[:100]} (sent back to the model)"), style="yellow")
            )
        elif event.type == EventType.PROGRESS and "text" in d:  # spec-first's current step
            self.tool = str(d["text"])[:60]
        elif event.type == EventType.SLOT:
            self.step += 1
            self.tokens += d.get("input_tokens", 0) + d.get("output_tokens", 0)
        elif event.type == EventType.SUBAGENT_START:
            self.console.print(
                Text(visible(f"{indent}→ sub-agent {d['agent']} ({d['model']})"), style=_color(d))
            )
        elif event.type == EventType.WARNING:  # a refused field or a model fallback
            line = f"{indent}warning: agent {d['agent']}: {d['field']}: {d['message']}"
            self.console.print(Text(visible(line), style="yellow"))
        self._refresh()


def _color(d: dict[str, Any]) -> str:
    """The definition's `color` when rich knows it, else magenta."""
    from rich.color import Color, ColorParseError

    try:
        return Color.parse(str(d.get("color") or "magenta")).name
    except ColorParseError:
        return "magenta"
