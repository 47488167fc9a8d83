"""single-shot: one model call, no tools, asking for the whole app.py in one fence."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bdev.evaluation.base import APP_FILE, BuildOutcome, task_text
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Message, Model, ModelError, model_setting
from bdev.prompts import render
from bdev.tools.fileio import write_text_atomic

# A whole app does not fit the local model's default answer budget (1024 tokens).
MIN_ANSWER_TOKENS = 3072

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_code(text: str) -> str | None:
    """The code of the answer: the longest ```python fence, else the longest fence, else
    the whole answer when it parses as Python. An unclosed last fence still counts
    (a small model often runs out of tokens before closing it)."""
    fences = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    python = [body for lang, body in fences if lang in ("python", "py", "python3")]
    for candidates in (python, [body for _, body in fences]):
        if candidates:
            return max(candidates, key=len).strip() + "\n"
    try:
        compile(text, APP_FILE, "exec")
    except (SyntaxError, ValueError):
        return None
    return text.strip() + "\n" if text.strip() else None


class SingleShot:
    name = "single-shot"
    needs_model = True

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome:
        if model is None:
            return BuildOutcome(ok=False, notes="no model given")
        messages = [
            Message("system", render("single_shot_system")),
            Message(
                "user", render("single_shot_user", task=task_text(scenario), app_file=APP_FILE)
            ),
        ]
        start = time.monotonic()
        try:
            with model_setting(model, "max_tokens", _at_least(MIN_ANSWER_TOKENS)):
                response = model.complete(messages, [])
        except ModelError as e:
            return BuildOutcome(ok=False, seconds=time.monotonic() - start, notes=str(e))
        seconds = time.monotonic() - start
        usage = response.usage
        outcome = BuildOutcome(
            ok=False,
            tokens_in=usage.input_tokens,
            tokens_out=usage.output_tokens,
            seconds=seconds,
        )
        code = extract_code(response.content)
        if code is None:
            outcome.notes = "the answer held no Python code"
            return outcome
        write_text_atomic(out_dir / APP_FILE, code)
        try:
            compile(code, APP_FILE, "exec")
        except SyntaxError as e:
            outcome.notes = f"{APP_FILE} does not parse: line {e.lineno}: {e.msg}"
            return outcome
        outcome.ok = True
        if response.finish_reason == "length":
            outcome.notes = "the answer hit the output limit"
        return outcome


def _at_least(tokens: int) -> Callable[[Any], int | None]:
    """Raise an answer budget below `tokens` to it; leave a larger one."""
    return lambda current: tokens if isinstance(current, int) and current < tokens else None
