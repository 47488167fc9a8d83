"""Results of an evaluation: one record per (scenario, strategy), totals per strategy.

pass@1: every functional test passed (one build, one try); over several samples of each
scenario (`--samples`), the share of all runs that passed.
sec_pass@1: pass@1 and no exploit test showed its attack working.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bdev import __version__
from bdev.evaluation.base import BuildOutcome
from bdev.evaluation.measure import TestTally
from bdev.tools.fileio import write_text_atomic


@dataclass
class ScenarioRun:
    scenario: str
    strategy: str
    build: BuildOutcome
    started: bool = False
    start_error: str = ""
    functional: TestTally = field(default_factory=TestTally)
    exploits: TestTally = field(default_factory=TestTally)
    seconds: float = 0.0  # build + start + tests
    sample: int = 1  # which of `bdev eval --samples N` runs of this scenario (1..N)

    @property
    def folder(self) -> str:
        """Its folder under out/STRATEGY: the scenario's slug, `SLUG@K` for sample K > 1."""
        return sample_folder(self.scenario, self.sample)

    @property
    def skipped(self) -> bool:
        return self.build.skipped

    @property
    def passed(self) -> bool:
        return self.started and self.functional.ok

    @property
    def sec_passed(self) -> bool:
        return self.passed and self.exploits.ok

    @property
    def tokens(self) -> int:
        return self.build.tokens_in + self.build.tokens_out

    def why(self) -> str:
        """One line on what went wrong first ("" when it sec-passed)."""
        if self.skipped:
            return f"skipped: {self.build.notes}"
        if not self.build.ok:
            return f"build failed: {self.build.notes}"
        if not self.started:
            lines = [line.strip() for line in self.start_error.splitlines() if line.strip()]
            # The first line says how it ended; the log's last line usually says why.
            last = f" ... {lines[-1]}" if len(lines) > 1 else ""
            return f"did not start: {lines[0] if lines else ''}{last}"
        if not self.functional.ok:
            bad = self.functional.failed + self.functional.errors
            return f"functional: {', '.join(bad) or self.functional.detail}"
        if not self.exploits.ok:
            if self.exploits.failed:
                return f"exploited: {', '.join(self.exploits.failed)}"
            unchecked = ", ".join(self.exploits.errors) or self.exploits.detail
            return f"exploits not checked: {unchecked}"
        return ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioRun:
        """A run read back from results.json (the derived fields are recomputed)."""

        def tally(raw: dict[str, Any]) -> TestTally:
            return TestTally(**{k: v for k, v in raw.items() if k != "ok"})

        return cls(
            scenario=data["scenario"],
            strategy=data["strategy"],
            build=BuildOutcome(**data["build"]),
            started=data["started"],
            start_error=data["start_error"],
            functional=tally(data["functional"]),
            exploits=tally(data["exploits"]),
            seconds=data["seconds"],
            sample=int(data.get("sample", 1)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "pass": self.passed,
            "sec_pass": self.sec_passed,
            "skipped": self.skipped,
            "build": self.build.to_dict(),
            "started": self.started,
            "start_error": self.start_error,
            "functional": self.functional.to_dict(),
            "exploits": self.exploits.to_dict(),
            "seconds": round(self.seconds, 2),
            "sample": self.sample,
            "why": self.why(),
        }


@dataclass
class Totals:
    strategy: str
    scenarios: int = 0  # runs it made, skipped ones excluded (scenarios x samples)
    passes: int = 0
    sec_passes: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    steps: int = 0
    replies: int = 0
    malformed: int = 0
    seconds: float = 0.0

    @property
    def pass_at_1(self) -> float:
        return self.passes / self.scenarios if self.scenarios else 0.0

    @property
    def sec_pass_at_1(self) -> float:
        return self.sec_passes / self.scenarios if self.scenarios else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "scenarios": self.scenarios,
            "passes": self.passes,
            "sec_passes": self.sec_passes,
            "pass_at_1": round(self.pass_at_1, 4),
            "sec_pass_at_1": round(self.sec_pass_at_1, 4),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "steps": self.steps,
            "replies": self.replies,
            "malformed": self.malformed,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class EvalReport:
    model: str
    runs: list[ScenarioRun] = field(default_factory=list)
    revision: str = ""  # the bdev code that ran: see `revision()`

    def totals(self) -> list[Totals]:
        by_strategy: dict[str, Totals] = {}
        for run in self.runs:
            total = by_strategy.setdefault(run.strategy, Totals(run.strategy))
            if run.skipped:
                continue
            total.scenarios += 1
            total.passes += run.passed
            total.sec_passes += run.sec_passed
            total.tokens_in += run.build.tokens_in
            total.tokens_out += run.build.tokens_out
            total.steps += run.build.steps
            total.replies += run.build.replies
            total.malformed += run.build.malformed
            total.seconds += run.seconds
        return list(by_strategy.values())

    @property
    def counted(self) -> str:
        """What a total counts: with several samples, runs (scenarios x samples), and
        pass@1 is their mean."""
        return "runs" if any(r.sample > 1 for r in self.runs) else "scenarios"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "revision": self.revision,
            "runs": [r.to_dict() for r in self.runs],
            "totals": [t.to_dict() for t in self.totals()],
        }

    @classmethod
    def read_json(cls, path: Path) -> EvalReport:
        data = json.loads(path.read_text(encoding="utf-8"))
        runs = [ScenarioRun.from_dict(r) for r in data["runs"]]
        return cls(data["model"], runs, data.get("revision", ""))

    def write_json(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")

    def markdown(self) -> str:
        """The results as two Markdown tables: per scenario, then totals."""
        lines = [
            "| scenario | strategy | pass | sec_pass | steps | malformed/replies "
            "| tokens in/out | time (s) | why not |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.runs:
            mark = "skip" if r.skipped else ""
            lines.append(
                f"| {r.folder} | {r.strategy} | {mark or _yes(r.passed)} | "
                f"{mark or _yes(r.sec_passed)} | {r.build.steps} | "
                f"{replies_cell(r.build.malformed, r.build.replies)} | "
                f"{r.build.tokens_in}/{r.build.tokens_out} | "
                f"{r.seconds:.0f} | {_cell(r.why())} |"
            )
        lines += [
            "",
            f"| strategy | {self.counted} | pass@1 | sec_pass@1 | steps | malformed/replies "
            "| tokens in/out | time (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for t in self.totals():
            lines.append(
                f"| {t.strategy} | {t.scenarios} | {t.pass_at_1:.0%} ({t.passes}) | "
                f"{t.sec_pass_at_1:.0%} ({t.sec_passes}) | {t.steps} | "
                f"{replies_cell(t.malformed, t.replies)} | "
                f"{t.tokens_in}/{t.tokens_out} | "
                f"{t.seconds:.0f} |"
            )
        return "\n".join(lines) + "\n"


RESULT = "result.json"  # one run's record, beside its service


def sample_folder(slug: str, sample: int) -> str:
    """A run's folder name: the first sample keeps the slug, so one-sample suites (and
    results saved before samples) stay where they were."""
    return slug if sample == 1 else f"{slug}@{sample}"


def save_run(where: Path, run: ScenarioRun, report: EvalReport) -> None:
    """Keep one finished run beside its service, with the model and code that made it."""
    record = {"model": report.model, "revision": report.revision, **run.to_dict()}
    write_text_atomic(where / RESULT, json.dumps(record, indent=2) + "\n")


def kept_run(where: Path, report: EvalReport, sample: int = 1) -> tuple[ScenarioRun | None, str]:
    """The run saved in `where` if the same model and the same committed bdev code made it
    and it finished, else None and why not ("" when there is nothing saved to keep)."""
    try:
        record = json.loads((where / RESULT).read_text(encoding="utf-8"))
        run = ScenarioRun.from_dict(record)
    except OSError:
        return None, ""
    except (ValueError, KeyError, TypeError):
        return None, f"{where / RESULT} is unreadable"  # say, cut off while written
    if run.sample != sample:
        return None, f"it is sample {run.sample}, not {sample}"
    if record.get("model") != report.model:
        return None, f"made with {record.get('model')}"
    if record.get("revision") != report.revision:
        return None, f"made by bdev {record.get('revision') or '(unknown)'}"
    if report.revision.endswith(DIRTY):
        return None, "bdev's source has uncommitted changes"
    if run.skipped or run.build.interrupted:
        return None, "it did not finish"
    return run, ""


DIRTY = "+changes"


@cache
def revision() -> str:
    """bdev's version, and the commit of its source when it runs from a git checkout
    ("0.1.0@1a2b3c4d"), marked DIRTY when the package's own files differ from that commit:
    results from uncommitted code cannot be matched to a later run."""
    package = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return __version__  # an installed wheel: the version is all there is
    dirty = git("status", "--porcelain", "--", ".")
    return f"{__version__}@{commit}{DIRTY if dirty else ''}"


def replies_cell(malformed: int, replies: int) -> str:
    """`malformed/replies`, or "-" when no model replies were counted."""
    return f"{malformed}/{replies}" if replies else "-"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _cell(text: str, limit: int = 120) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
