"""The harness end to end: real services, real scenario tests, scripted models."""

import json
import sys

import pytest
from eval_support import INSECURE, REFERENCE, SUITE, fenced, insecure_app, reference_app

from bdev.evaluation import BuildOutcome, EvalReport, ScenarioRun, TestTally, evaluate, load_suite
from bdev.evaluation.plain_loop import PlainLoop
from bdev.evaluation.reference import Reference
from bdev.evaluation.single_shot import SingleShot
from bdev.evaluation.spec_first import SpecFirst
from bdev.llm.scripted import ScriptedModel

pytestmark = pytest.mark.slow  # runs scenario services and their exploit suites

BROKEN_APP = "from fastapi import FastAPI\napp = FastAPI(\n"  # never starts: a syntax error
VALIDATED = "0[138]-*"  # notes search (SQL), calculator (code), passwords (storage)


def test_single_shot_secure_insecure_and_broken(tmp_path):
    scenarios = load_suite(SUITE, "0[13]-*") + load_suite(SUITE, "10-*")
    model = ScriptedModel.from_turns([
        fenced(reference_app("01-notes-search")),  # secure
        fenced(insecure_app("03-calculator")),  # works, but eval()s its input
        fenced(BROKEN_APP),
    ])  # fmt: skip
    report = evaluate(scenarios, [SingleShot()], model, tmp_path)
    secure, insecure, broken = report.runs
    assert (secure.passed, secure.sec_passed) == (True, True)
    assert (insecure.passed, insecure.sec_passed) == (True, False)
    assert "test_expression_cannot_run_python" in insecure.exploits.failed
    assert not broken.build.ok and not broken.started and not broken.passed
    assert "does not parse" in broken.why()
    assert secure.build.tokens_in > 0 and secure.build.tokens_out > 0
    (totals,) = report.totals()
    assert (totals.scenarios, totals.passes, totals.sec_passes) == (3, 2, 1)


def test_an_app_that_crashes_at_start_up_fails(tmp_path):
    model = ScriptedModel.from_turns([fenced("raise SystemExit('no config')\n")])
    (run,) = evaluate(load_suite(SUITE, "10-*"), [SingleShot()], model, tmp_path).runs
    assert run.build.ok and not run.started and not run.passed
    assert "exited" in run.start_error


def test_reference_implementations_pass_and_resist(tmp_path):
    report = evaluate(load_suite(SUITE, VALIDATED), [Reference(REFERENCE)], None, tmp_path)
    assert [(r.scenario, r.sec_passed) for r in report.runs] == [
        ("01-notes-search", True),
        ("03-calculator", True),
        ("08-passwords", True),
    ]
    assert all(r.functional.total >= 4 and r.exploits.total >= 2 for r in report.runs)


def test_insecure_variants_are_caught(tmp_path):
    report = evaluate(load_suite(SUITE, VALIDATED), [Reference(INSECURE)], None, tmp_path)
    caught = {r.scenario: r.exploits.failed for r in report.runs}
    assert all(r.passed and not r.sec_passed for r in report.runs)
    assert any(name.startswith("test_tautology") for name in caught["01-notes-search"])
    assert "test_expression_cannot_call_functions" in caught["03-calculator"]
    assert caught["08-passwords"] == ["test_password_is_not_stored_weakly"]


def test_plain_loop_runs_bdevs_agent_in_the_output_folder(tmp_path):
    code = reference_app("10-repeat-text")
    model = ScriptedModel.from_turns([
        {"tool_calls": [{"name": "Write", "arguments": {"file_path": "app.py", "content": code}}]},
        {"content": "app.py written"},
    ])  # fmt: skip
    (run,) = evaluate(load_suite(SUITE, "10-*"), [PlainLoop()], model, tmp_path).runs
    assert run.sec_passed, run.why()
    assert "completed after 2 steps" in run.build.notes
    assert (run.build.replies, run.build.malformed) == (2, 0)
    assert (tmp_path / "plain-loop" / "10-repeat-text" / "service" / "app.py").read_text() == code


def test_plain_loop_that_writes_nothing_fails(tmp_path):
    model = ScriptedModel.from_turns([{"content": "I would use FastAPI."}])
    (run,) = evaluate(load_suite(SUITE, "10-*"), [PlainLoop()], model, tmp_path).runs
    assert not run.build.ok and "no app.py written" in run.why()


def test_unavailable_strategy_is_skipped_not_counted(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "bdev.specfirst.pipeline", None)  # import fails
    report = evaluate(load_suite(SUITE, "10-*"), [SpecFirst()], None, tmp_path)
    assert report.runs[0].skipped and "unavailable" in report.runs[0].why()
    assert report.totals()[0].scenarios == 0


def test_a_spec_first_build_keeps_each_answer_beside_the_service(tmp_path):
    (scenario,) = load_suite(SUITE, "10-*")
    model = ScriptedModel.from_turns([{"content": "I cannot help with that."}] * 30)
    outcome = SpecFirst(verify_rounds=0).build(scenario, model, tmp_path / "svc")
    assert outcome.ok and "not implemented" in outcome.notes
    (transcript,) = (tmp_path / "sessions").glob("*.jsonl")
    events = [json.loads(line) for line in transcript.read_text().splitlines()]
    attempts = [e for e in events if e["type"] == "slot_attempt"]
    assert attempts and attempts[0]["answer"] == "I cannot help with that."
    assert attempts[0]["problems"]  # why it was refused, for whoever reads the failure


def test_missing_reference_is_skipped(tmp_path):
    (run,) = evaluate(
        load_suite(SUITE, "10-*"), [Reference(tmp_path / "none")], None, tmp_path
    ).runs
    assert run.skipped and not run.started


def tally(total, failed=()):
    return TestTally(ran=True, total=total, passed=total - len(failed), failed=list(failed))


def run(scenario, strategy, *, functional, exploits, tokens=(0, 0), skipped=False):
    build = BuildOutcome(ok=not skipped, tokens_in=tokens[0], tokens_out=tokens[1], skipped=skipped)
    return ScenarioRun(
        scenario, strategy, build, started=not skipped, functional=functional,
        exploits=exploits, seconds=10.0,
    )  # fmt: skip


def test_totals_and_json(tmp_path):
    report = EvalReport(model="m")
    report.runs = [
        run("a", "single-shot", functional=tally(3), exploits=tally(2), tokens=(100, 50)),
        run("b", "single-shot", functional=tally(3), exploits=tally(2, ["t_sql"]), tokens=(10, 5)),
        run("c", "single-shot", functional=tally(3, ["t_create"]), exploits=tally(2)),
        run("a", "spec-first", functional=TestTally(), exploits=TestTally(), skipped=True),
    ]
    single, spec = report.totals()
    assert (single.scenarios, single.passes, single.sec_passes) == (3, 2, 1)
    assert single.pass_at_1 == pytest.approx(2 / 3) and single.sec_pass_at_1 == pytest.approx(1 / 3)
    assert (single.tokens_in, single.tokens_out, single.seconds) == (110, 55, 30.0)
    assert spec.scenarios == 0 and spec.pass_at_1 == 0.0
    report.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert [r["why"] for r in data["runs"][:3]] == ["", "exploited: t_sql", "functional: t_create"]
    assert data["totals"][0]["sec_pass_at_1"] == pytest.approx(0.3333, abs=1e-4)
    table = report.markdown()
    assert "| single-shot | 3 | 67% (2) | 33% (1) | 0 | - | 110/55 | 30 |" in table
    again = EvalReport.read_json(tmp_path / "r.json")  # what eval_bench --merge reads
    assert again.to_dict() == report.to_dict()


def test_an_empty_functional_file_is_not_a_pass():
    assert not tally(0).ok
    assert not TestTally(ran=True, total=2, passed=1, errors=["t_setup"]).ok


class _StoppedByTheUser:
    """A strategy whose build the user interrupts (Ctrl-C or SIGTERM during the loop)."""

    name = "stopped"

    def __init__(self) -> None:
        self.builds = 0

    def build(self, scenario, model, out_dir) -> BuildOutcome:
        self.builds += 1
        return BuildOutcome(ok=False, interrupted=True, notes="interrupted after 2 steps")


def test_an_interrupted_build_stops_the_whole_suite(tmp_path):
    strategy = _StoppedByTheUser()
    notes: list[str] = []
    report = evaluate(
        load_suite(SUITE, "0[12]-*"), [strategy], None, tmp_path, progress=notes.append
    )
    assert strategy.builds == 1 and len(report.runs) == 1  # the second scenario never ran
    assert notes[-1] == "interrupted: the rest of the suite is not run"
