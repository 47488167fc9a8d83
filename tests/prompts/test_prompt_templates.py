"""The prompt templates: each is used, fails loudly on a missing value, and renders the
key properties the models depend on (a stable prefix, no trailing newline, the measured
figures as given)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

import bdev
from bdev.agents.definition import AgentDefinition
from bdev.agents.registry import AgentRegistry
from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import StepResult
from bdev.evaluation.base import task_text
from bdev.evaluation.scenario import load_suite
from bdev.evaluation.single_shot import SingleShot
from bdev.llm.base import Message, ModelError
from bdev.llm.toolcall_text import format_hint
from bdev.prompts import names, render
from bdev.runtime import loop
from bdev.runtime.prompt import system_prompt
from bdev.specfirst import build_plan, load_spec, slots_for
from bdev.specfirst.fill import filler
from bdev.specfirst.fill.prompt import SYSTEM, messages_for
from bdev.workflow.backend import gate_feedback
from bdev.workflow.gates import GateResult

SRC = Path(bdev.__file__).parent
REPO = Path(__file__).resolve().parents[2]


def test_every_template_is_rendered_somewhere_and_only_templates_exist() -> None:
    code = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    used = set(re.findall(r'render\(\s*"(\w+)"', code))
    assert set(names()) == used
    folder = {p.name for p in (SRC / "prompts").iterdir() if p.name != "__pycache__"}
    assert folder == {"__init__.py", *(f"{n}.md.j2" for n in names())}


def test_a_missing_value_fails_instead_of_rendering_empty() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("agent_system", body="x")


def test_system_prompt_is_body_then_environment(tmp_path: Path) -> None:
    d = AgentRegistry(tmp_path).get("backend-developer")
    text = system_prompt(d, tmp_path, ["Read", "Write"])
    assert text.startswith(d.body.strip() + "\n\n# Environment\n")
    assert (
        f"- Workspace (your working directory; file paths are relative to it): {tmp_path}\n" in text
    )
    assert "\n- Tools: Read, Write\n" in text
    assert text.endswith("reply with a short summary and no tool call.")
    # Byte-stable: the local model reuses the evaluated prefix only while it is unchanged.
    assert text == system_prompt(d, tmp_path, ["Read", "Write"])


def test_system_prompt_without_body_or_tools(tmp_path: Path) -> None:
    text = system_prompt(AgentDefinition(name="x", description="d", body=" \n"), tmp_path, [])
    assert text.startswith("# Environment\n- Workspace")
    assert "\n- Tools: none\n" in text


def test_fill_prompts_keep_their_shape() -> None:
    plan = build_plan(load_spec(REPO / "tests/fixtures/specs/items.yaml"), "items.yaml")
    (slot,) = slots_for(plan)
    op = plan.operation(slot.operation_id)
    system, user = messages_for(plan, op, slot)
    assert system.content == SYSTEM
    assert SYSTEM.startswith("You write the body of one Python function")
    assert SYSTEM.endswith("reverse=True)\n```")
    lines = user.content.split("\n")
    assert lines[0].startswith("Already defined (use them; never redefine them): ")
    assert lines[1] == "Operation: POST /items/{itemId}/archive (archive_item)"
    assert lines[-2:] == ["Complete this function:", slot.signature]
    retry = messages_for(plan, op, slot, previous="  def f(): ...\n", evidence="\nbad\n")[1]
    assert retry.content == (
        f"{user.content}\n\nYour last version:\n```python\ndef f(): ...\n```\n"
        "It failed these checks:\nbad\nWrite a corrected function."
    )


def test_rejection_note_lists_each_problem() -> None:
    note = filler._with_rejection(Message("user", "P"), ["line 1: bad", "no return"])
    assert note.content == (
        "P\n\nAn earlier answer was rejected:\n- line 1: bad\n- no return\n"
        "Write the function differently so that none of this happens."
    )


def test_loop_nudges_and_the_call_format() -> None:
    assert loop._format_feedback(["a", "b"]) == "Your last reply could not be used:\n- a\n- b"
    assert loop.FINAL_REMINDER.startswith("Your last reply was cut off by the output limit.")
    assert format_hint("Read") == (
        'Write each call as: <tool_call>{"name": "Read", "arguments": {...}}</tool_call>'
    )
    assert '"name": "<tool name>"' in format_hint()


def test_gate_feedback_lays_out_the_measured_evidence() -> None:
    report = AuditReport(root="/x", started_at="2026-11-22T00:00:00+00:00")
    report.steps = [StepResult(name="tests", status="error", summary="E" * 900)]
    gates = [
        GateResult("tests", False, "2 failed [audit.json#/tests]"),
        GateResult("coverage", True, "91.0% >= 80% [audit.json#/tests/coverage_percent]"),
        GateResult("latency_p95", False, "p95 123.4 ms > 100 ms [audit.json#/latency_ms]"),
    ]
    assert gate_feedback(gates, report).split("\n") == [
        "bdev measured your work; these production-readiness gates failed:",
        "- tests: 2 failed [audit.json#/tests]",
        "- latency_p95: p95 123.4 ms > 100 ms [audit.json#/latency_ms]",
        "Tests step: " + "E" * 800,
        "Fix these, run the tests yourself, then reply with a short summary.",
    ]
    report.steps = []
    no_change = gate_feedback([GateResult("changes", False, "none")], report)
    assert "\nYou changed no file. Do the task with the tools:" in no_change


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[Message] = []

    def complete(self, messages: list[Message], tools: list, **_: object) -> None:
        self.seen = list(messages)
        raise ModelError("recorded")


def test_single_shot_asks_for_one_fence_after_the_task(tmp_path: Path) -> None:
    scenario = load_suite(REPO / "benchmarks" / "scenarios")[0]
    model = Recorder()
    SingleShot().build(scenario, model, tmp_path)  # type: ignore[arg-type]
    system, user = model.seen
    assert system.content == (
        "You are an expert Python backend engineer. You write complete, working, secure code."
    )
    task = task_text(scenario)
    assert task.startswith(f"Build this backend service in Python.\n\n{scenario.paragraph}\n\n")
    assert f"```yaml\n{scenario.spec_text.strip()}\n```\n\nWrite app.py with a " in task
    assert user.content == (
        f"{task}\n\nAnswer with the complete app.py in one ```python code block and nothing else."
    )


def test_gate_feedback_for_a_program_led_round_asks_for_no_tools() -> None:
    report = AuditReport(root="/x", started_at="2026-11-22T00:00:00+00:00")
    text = gate_feedback([GateResult("changes", False, "none")], report, guided=True)
    assert "nothing was written" in text and text.endswith("Fix what failed.")
    assert "Write or Edit" not in text and "run the tests yourself" not in text
