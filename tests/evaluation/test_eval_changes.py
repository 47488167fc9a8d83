"""The change suite: every task loads; unchanged services fail their hidden tests, the
reference solutions pass them; strategies run bdev's real paths with a scripted model."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_support import ROOT

from bdev.errors import BdevError
from bdev.evaluation.base import BuildOutcome
from bdev.evaluation.change import ChangeKind, ChangeTask, load_change, load_changes
from bdev.evaluation.change_harness import evaluate_changes
from bdev.evaluation.change_strategies import (
    ChangeReference,
    PlainChangeLoop,
    ProgramLedChange,
    make_change_strategy,
)
from bdev.evaluation.harness import EvalOptions
from bdev.llm.base import Model
from bdev.llm.scripted import ScriptedModel

CHANGES = ROOT / "benchmarks" / "changes"
REFERENCE = Path(__file__).resolve().parent / "reference_changes"


class Unchanged:
    """The service as it is: it must fail some hidden test, or the task asks nothing."""

    name = "unchanged"
    needs_model = False

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome:
        return BuildOutcome(ok=True)


def test_the_suite_has_twelve_valid_tasks_of_every_kind():
    tasks = load_changes(CHANGES)
    assert len(tasks) >= 12
    assert {t.kind for t in tasks} == set(ChangeKind)
    assert {t.framework for t in tasks} == {"fastapi", "flask"}
    for t in tasks:
        assert t.request and (t.service_dir / "app.py").is_file(), t.slug
        assert (REFERENCE / t.slug).is_dir(), t.slug
        assert "def test_" in t.functional_tests.read_text()
        assert "def test_" in t.exploit_tests.read_text()


def write_task(folder: Path, manifest: str) -> Path:
    (folder / "hidden").mkdir(parents=True)
    (folder / "service").mkdir()
    for name in ("request.md", "hidden/test_functional.py", "hidden/test_exploits.py"):
        (folder / name).write_text("x")
    (folder / "change.toml").write_text(manifest)
    return folder


GOOD = 'title = "t"\nframework = "flask"\nkind = "bugfix"\n'


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ('framework = "flask"\nkind = "bugfix"', "field title"),
        ('title = "t"\nframework = "django"\nkind = "bugfix"', "field framework"),
        ('title = "t"\nframework = "flask"\nkind = "refactor"', "field kind"),
        (GOOD + 'weaknesses = ["SQLi"]', "field weaknesses"),
        (GOOD + 'start = "flask run"', "field start"),
        (GOOD + "colour = 1", "field colour"),
        (GOOD + 'dirs = ["DATA"]', "'DATA'"),
        ("title = ", "invalid TOML"),
    ],
)
def test_bad_manifests_name_file_and_field(tmp_path, manifest, message):
    folder = write_task(tmp_path / "01-bad", manifest)
    with pytest.raises(BdevError) as e:
        load_change(folder)
    assert str(folder / "change.toml") in str(e.value)
    assert message in str(e.value)


def test_missing_parts_are_named(tmp_path):
    folder = write_task(tmp_path / "01-x", GOOD)
    (folder / "hidden" / "test_exploits.py").unlink()
    (folder / "service").rmdir()
    with pytest.raises(BdevError, match=r"missing hidden/test_exploits\.py, service/"):
        load_change(folder)
    with pytest.raises(BdevError, match="no change task folders"):
        load_changes(tmp_path / "01-x" / "hidden")


def test_pattern_narrows_the_suite():
    assert [t.slug for t in load_changes(CHANGES, "0[12]-*")] == [
        "01-library-loans",
        "02-events-pagination",
    ]


def test_unknown_strategy_and_missing_reference_are_errors(tmp_path):
    with pytest.raises(BdevError, match="unknown change strategy"):
        make_change_strategy("best-of-n")
    with pytest.raises(BdevError, match="reference solutions"):
        make_change_strategy("reference", reference_dir=tmp_path / "nowhere")


def test_constrained_loop_skips_a_model_without_the_switch(tmp_path):
    (task,) = load_changes(CHANGES, "05-*")
    outcome = PlainChangeLoop(constrained=True).change(task, ScriptedModel.from_turns([]), tmp_path)
    assert outcome.skipped and "grammar-constrained" in outcome.notes


def test_constrained_loop_turns_the_switch_on_for_the_run(tmp_path):
    seen: list[bool] = []

    class Switchable(ScriptedModel):
        constrained = False

        def complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(self.constrained)
            return super().complete(*args, **kwargs)

    model = Switchable.from_turns([{"content": "done"}])
    (task,) = load_changes(CHANGES, "05-*")
    outcome = PlainChangeLoop(constrained=True).change(task, model, tmp_path)
    assert not outcome.skipped and seen == [True]
    assert model.constrained is False

    # The plain loop turns the grammar off, whatever the model's default.
    seen.clear()
    model = Switchable.from_turns([{"content": "done"}])
    model.constrained = True
    PlainChangeLoop().change(task, model, tmp_path)
    assert seen == [False] and model.constrained is True


def fixed_billing_edit() -> dict:
    code = (REFERENCE / "05-invoice-discount-bug" / "billing.py").read_text()
    return {
        "tool_calls": [{"name": "Write", "arguments": {"file_path": "billing.py", "content": code}}]
    }


@pytest.mark.slow
def test_plain_loop_applies_a_scripted_fix_and_never_sees_hidden(tmp_path):
    no_such_tool = {"tool_calls": [{"name": "Fix", "arguments": {}}]}
    turns = [no_such_tool, fixed_billing_edit(), {"content": "fixed the discount"}]
    model = ScriptedModel.from_turns(turns)
    report = evaluate_changes(load_changes(CHANGES, "05-*"), [PlainChangeLoop()], model, tmp_path)
    (run,) = report.runs
    assert run.sec_passed, run.why()
    assert run.build.steps == 3 and run.build.tokens_in > 0
    assert (run.build.replies, run.build.malformed) == (3, 1)  # counted from its transcript
    service = tmp_path / "plain-loop" / "05-invoice-discount-bug" / "service"
    assert (service / "billing.py").read_text() == (
        REFERENCE / "05-invoice-discount-bug" / "billing.py"
    ).read_text()
    assert not list(service.rglob("test_functional.py")) and not list(service.rglob("hidden"))
    assert "steps" in report.markdown()


@pytest.mark.slow
def test_program_led_goes_through_dispatch_with_the_injected_model(tmp_path):
    fixed = (REFERENCE / "07-crm-search-sqli" / "app.py").read_text()
    model = ScriptedModel.from_turns([{"content": f"```python\n{fixed}```"}])
    strategy = ProgramLedChange(gates=False)
    (run,) = evaluate_changes(load_changes(CHANGES, "07-*"), [strategy], model, tmp_path).runs
    assert "route workflow" in run.build.notes and "backend-developer" in run.build.notes
    assert run.build.steps == 1 and run.build.tokens_in > 0
    assert (run.build.replies, run.build.malformed) == (1, 0)
    assert run.sec_passed, run.why()


@pytest.mark.slow
def test_unchanged_services_fail_and_references_pass(tmp_path):
    tasks = load_changes(CHANGES)
    report = evaluate_changes(
        tasks, [Unchanged(), ChangeReference(REFERENCE)], None, tmp_path, options=EvalOptions()
    )
    by = {(r.scenario, r.strategy): r for r in report.runs}
    problems = []
    for task in tasks:
        before, after = by[(task.slug, "unchanged")], by[(task.slug, "reference")]
        if not before.started:
            problems.append(f"{task.slug} unchanged: {before.why()}")
        elif before.sec_passed:
            problems.append(f"{task.slug}: the unchanged service passes every hidden test")
        if not after.sec_passed:
            problems.append(f"{task.slug} reference: {after.why()}")
    assert not problems, "\n".join(problems)
