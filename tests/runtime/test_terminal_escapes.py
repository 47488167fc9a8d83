"""Terminal escapes in a command, a tool's refusal or a model's text are shown escaped:
what the user reads (and approves) is what runs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from bdev.cli import run_cmd
from bdev.cli.terminal import TerminalView
from bdev.cli.visible import visible
from bdev.runtime.events import Event, EventType

TRICK = "touch x #\r\x1b[2Kls -l"  # erases the line, then shows a harmless command


def render(*events: Event) -> str:
    out = io.StringIO()
    # Not a terminal: no live status line or colours, so any escape in the output came
    # from the events.
    view = TerminalView(Console(file=out, force_terminal=False, width=300, highlight=False))
    with view:
        for event in events:
            view(event)
    return out.getvalue()


def test_visible_escapes_controls_but_keeps_newlines_and_tabs() -> None:
    assert visible(TRICK) == "touch x #\\r\\e[2Kls -l"
    assert visible("a\tb\nc\x07\x9b31m\x7f") == "a\tb\nc\\x07\\x9b31m\\x7f"
    assert visible("abc\u202edef") == "abc\\u202edef"  # a bidi override reorders the line


def test_the_text_view_shows_a_command_and_its_refusal_escaped() -> None:
    shown = render(
        Event(EventType.TOOL_START, {"name": "Bash", "arguments": {"command": TRICK}, "step": 1}),
        Event(
            EventType.PERMISSION,
            {"tool": "Bash", "action": "deny", "reason": f"`{TRICK}` needs approval"},
        ),
        Event(
            EventType.MESSAGE,
            {"message": {"role": "assistant", "content": "ok\x1b]0;title\x07", "tool_calls": [1]}},
        ),
    )
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert shown.count("touch x #\\r\\e[2Kls -l") == 2
    assert "ok\\e]0;title\\x07" in shown


def test_the_permission_prompt_shows_the_command_escaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def fake_ask(question: str, **_: Any) -> bool:
        asked.append(question)
        return False

    monkeypatch.setattr(run_cmd.Confirm, "ask", fake_ask)
    assert run_cmd._ask("Bash", {"command": "rm -rf x #\x9b2K[bold red]ok"}) is False
    (question,) = asked
    assert "\x9b" not in question and "\\x9b2K" in question
    assert "\\[bold red]" in question  # rich markup in a command is shown, not applied


def test_a_refused_turn_is_shown_with_its_reason_escaped() -> None:
    shown = render(
        Event(EventType.FORMAT_ERROR, {"step": 2, "errors": ["repeated Write call"]}),
        Event(EventType.FORMAT_ERROR, {"step": 3, "errors": [f"unknown tool {TRICK}\nmore"]}),
    )
    assert "! repeated Write call (sent back to the model)" in shown
    assert "! unknown tool touch x #\\r\\e[2Kls -l (sent back to the model)" in shown
    assert "\x1b" not in shown and "more" not in shown
