"""A suite saved as it goes and resumed: only runs by the same model and code are kept."""

import json

import pytest
from eval_support import SUITE

from bdev import __version__
from bdev.evaluation import BuildOutcome, EvalReport, evaluate, harness, load_suite
from bdev.evaluation.results import DIRTY, RESULT, revision
from bdev.llm.scripted import ScriptedModel

TWO = "0[12]-*"
CLEAN = "0.1.0@0123456789ab"


class Counting:
    """A strategy that writes nothing (nothing to start, so no service runs) and counts
    what it was asked to build; the build of `interrupt` ends as a Ctrl-C would."""

    name = "counting"
    needs_model = False

    def __init__(self, *, interrupt: str = "") -> None:
        self.builds: list[str] = []
        self.interrupt = interrupt

    def build(self, scenario, model, out_dir) -> BuildOutcome:
        self.builds.append(scenario.slug)
        stopped = scenario.slug == self.interrupt
        return BuildOutcome(ok=False, notes="wrote nothing", steps=3, interrupted=stopped)


@pytest.fixture
def at(monkeypatch):
    """Pin the code revision the harness records (the test tree's own may be dirty)."""

    def pin(value: str) -> None:
        monkeypatch.setattr(harness, "revision", lambda: value)

    pin(CLEAN)
    return pin


def run(tmp_path, strategy, *, resume=False, model=None, notes=None):
    progress = notes.append if notes is not None else None
    scenarios = load_suite(SUITE, TWO)
    return evaluate(scenarios, [strategy], model, tmp_path, resume=resume, progress=progress)


def test_every_finished_run_is_saved_as_it_ends(tmp_path, at):
    report = run(tmp_path, Counting())
    first, second = (tmp_path / "counting" / r.scenario / RESULT for r in report.runs)
    record = json.loads(first.read_text())
    assert (record["model"], record["revision"], record["why"]) == (
        "none", CLEAN, "build failed: wrote nothing"
    )  # fmt: skip
    assert second.is_file()
    saved = EvalReport.read_json(tmp_path / "results.json")
    assert saved.revision == CLEAN and saved.to_dict() == report.to_dict()


def test_resume_keeps_runs_by_the_same_model_and_code(tmp_path, at):
    before = run(tmp_path, Counting())
    again, notes = Counting(), []
    after = run(tmp_path, again, resume=True, notes=notes)
    assert again.builds == []  # nothing was rebuilt
    assert after.to_dict()["runs"] == before.to_dict()["runs"]
    assert all("(kept from" in n for n in notes)


def test_without_resume_everything_runs_again(tmp_path, at):
    run(tmp_path, Counting())
    again = Counting()
    run(tmp_path, again)
    assert len(again.builds) == 2


def test_a_suite_stopped_part_way_is_finished_by_resume(tmp_path, at):
    first, second = (s.slug for s in load_suite(SUITE, TWO))
    stopped = Counting(interrupt=second)
    run(tmp_path, stopped)
    assert stopped.builds == [first, second]  # stopped in the second
    finish, notes = Counting(), []
    report = run(tmp_path, finish, resume=True, notes=notes)
    assert finish.builds == [second]  # the first is kept; the interrupted one is redone
    assert notes[0].startswith(f"[1/2] {first} / counting: ") and "(kept from" in notes[0]
    assert "the saved run was not kept, it did not finish" in notes[1]
    assert notes[2].startswith(f"[2/2] {second} / counting: fail in 0 s build failed")
    assert [r.build.interrupted for r in report.runs] == [False, False]


@pytest.mark.parametrize(
    ("later", "model", "why"),
    [
        ("0.1.0@ba9876543210", None, "made by bdev 0.1.0@0123456789ab"),
        (CLEAN, ScriptedModel.from_turns([]), "made with none"),
        (CLEAN + DIRTY, None, "made by bdev"),
    ],
)
def test_runs_by_other_code_or_another_model_are_redone(tmp_path, at, later, model, why):
    run(tmp_path, Counting())
    at(later)
    again, notes = Counting(), []
    run(tmp_path, again, resume=True, model=model, notes=notes)
    assert len(again.builds) == 2
    assert why in notes[0]


def test_uncommitted_code_keeps_nothing_even_from_itself(tmp_path, at):
    at(CLEAN + DIRTY)
    run(tmp_path, Counting())
    again, notes = Counting(), []
    run(tmp_path, again, resume=True, notes=notes)
    assert len(again.builds) == 2
    assert "bdev's source has uncommitted changes" in notes[0]


def test_an_unreadable_saved_run_is_named_and_redone(tmp_path, at):
    run(tmp_path, Counting())
    first = load_suite(SUITE, TWO)[0].slug
    saved = tmp_path / "counting" / first / RESULT
    saved.write_text('{"model": "none", "revi')  # cut off mid-write
    again, notes = Counting(), []
    run(tmp_path, again, resume=True, notes=notes)
    assert again.builds == [first]
    assert f"{saved} is unreadable" in notes[0]


def test_the_revision_names_this_version():
    assert revision().startswith(__version__)


class Seeded:
    """A model that states a seed, as the embedded one does."""

    name = "seeded"

    def __init__(self) -> None:
        self.seed = 1234

    def complete(self, messages, tools, *, on_text=None):
        raise AssertionError("the counting strategy never asks the model")


class SeedCounting(Counting):
    needs_model = True

    def __init__(self) -> None:
        super().__init__()
        self.seeds: list[int] = []

    def build(self, scenario, model, out_dir) -> BuildOutcome:
        self.seeds.append(model.seed)
        return super().build(scenario, model, out_dir)


def test_samples_run_the_suite_again_with_the_seed_moved_on(tmp_path, at):
    first, second = (s.slug for s in load_suite(SUITE, TWO))
    model, strategy, notes = Seeded(), SeedCounting(), []
    scenarios = load_suite(SUITE, TWO)
    report = evaluate(scenarios, [strategy], model, tmp_path, samples=2, progress=notes.append)
    # Whole samples first, so a suite stopped part way has complete ones.
    assert strategy.builds == [first, second, first, second]
    assert strategy.seeds == [1234, 1234, 1235, 1235] and model.seed == 1234
    assert [r.folder for r in report.runs] == [first, second, f"{first}@2", f"{second}@2"]
    assert notes[-1].startswith(f"[4/4] {second}@2 / counting: fail")
    saved = json.loads((tmp_path / "counting" / f"{second}@2" / RESULT).read_text())
    assert saved["sample"] == 2
    assert EvalReport.read_json(tmp_path / "results.json").to_dict() == report.to_dict()
    (total,) = report.totals()
    assert total.scenarios == 4  # runs: pass@1 is the mean over samples
    table = report.markdown()
    assert f"| {first}@2 | counting |" in table and "| strategy | runs |" in table
    # Resumed with a third sample: the first two are kept, only the new one runs.
    again = SeedCounting()
    report = evaluate(scenarios, [again], model, tmp_path, samples=3, resume=True)
    assert again.builds == [first, second] and again.seeds == [1236, 1236]
    assert [r.sample for r in report.runs] == [1, 1, 2, 2, 3, 3]
