"""One verification round of a generated service, each failure routed to its operation.

    spec-derived tests (pytest, JUnit XML) -> start the service -> schemathesis
    conformance on the written slots -> the audit's security probes

A failure is routed by what names its operation: the test id (`[operation_id]`), the
conformance report's "METHOD /path", a probe finding's "METHOD /path?..." or
"file.py:LINE" inside the operation's function. What names no written slot (mechanical
operations, the app as a whole) is kept as unrouted: it is measured, not re-filled.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from bdev.backend.audit.conformance import run_conformance
from bdev.backend.audit.probes import run_probes
from bdev.backend.audit.procs import free_port
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.startup import StartupError, running_service
from bdev.backend.facts import BackendFacts
from bdev.sandbox import confine
from bdev.specfirst.codegen.options import Options, setting_kind
from bdev.specfirst.codegen.testgen import tests_dir
from bdev.specfirst.plan import Operation, ServicePlan

Source = Literal["tests", "conformance", "probes"]
EVIDENCE_CHARS = 500
TEST_TIMEOUT_S = 300.0
# The secrets a verification run gives the service (never a real deployment's).
VERIFY_SECRET = "bdev-verify-secret-key-0123456789abcdef"
VERIFY_API_KEYS = "bdev-verify-api-key"


class Failure(BaseModel):
    operation_id: str | None  # None: names no written slot
    source: Source
    check: str
    evidence: str = ""


class VerifyRound(BaseModel):
    round: int
    steps: dict[str, str] = Field(default_factory=dict)  # step -> one-line summary
    failures: list[Failure] = Field(default_factory=list)

    def routed(self) -> dict[str, list[Failure]]:
        out: dict[str, list[Failure]] = {}
        for f in self.failures:
            if f.operation_id:
                out.setdefault(f.operation_id, []).append(f)
        return out


def verify(
    plan: ServicePlan,
    out: Path,
    written: list[str],
    *,
    round_number: int = 1,
    facts: BackendFacts | None = None,
    checks: tuple[Source, ...] = ("tests", "conformance", "probes"),
    progress: Callable[[str], None] | None = None,
    options: Options | None = None,
) -> VerifyRound:
    """Run the checks on the service in `out`; `written` names the slots the model wrote.
    `options` are the ones it was generated with (where its tests and settings live)."""
    options = options or Options()
    note = progress or (lambda _text: None)
    result = VerifyRound(round=round_number)
    router = Router(plan, out, written)
    if "tests" in checks:
        note(f"verify round {round_number}: spec-derived tests")
        summary, failures = run_spec_tests(out, router, tests_dir(options))
        result.steps["tests"], result.failures = summary, failures
        note(f"verify round {round_number}: tests: {summary}")
    live = [c for c in checks if c != "tests"]
    if not live:
        return result
    if facts is None:
        from bdev.backend.analyze import analyze

        facts = analyze(out)
    with tempfile.TemporaryDirectory(prefix="bdev-verify-") as tmp:
        try:
            with service_running(out, facts, Path(tmp), options) as base_url:
                if "conformance" in live and written:
                    note(f"verify round {round_number}: conformance of {', '.join(written)}")
                    step = run_conformance(base_url, router.document())
                    result.steps["conformance"] = step.summary
                    result.failures += router.conformance(step)
                if "probes" in live:
                    note(f"verify round {round_number}: security probes")
                    step = run_probes(base_url, facts, plan.document)
                    result.steps["probes"] = step.summary
                    result.failures += router.probes(step)
            # A 500 the live checks caused: the service's own traceback says why, which
            # the request that caused it does not.
            log = Path(tmp) / "service.log"
            with_tracebacks(result.failures, log.read_text(errors="replace"), out)
        except StartupError as e:
            result.steps["startup"] = str(e)[:EVIDENCE_CHARS]
            result.failures.append(
                Failure(operation_id=None, source="tests", check="startup", evidence=str(e))
            )
    note(f"verify round {round_number}: {len(result.routed())} operation(s) to re-fill")
    return result


def verification_env(workdir: Path, options: Options) -> dict[str, str]:
    """The settings a generated service needs, under the names it was generated to read,
    and the task's own settings as a deployment would give them (a folder exists)."""
    env = {
        options.secret_env: VERIFY_SECRET,
        "APP_API_KEYS": VERIFY_API_KEYS,
        options.database_env: f"sqlite:///{workdir / 'service.db'}",
    }
    settings = workdir / "settings"
    for name in options.settings:
        kind = setting_kind(name)
        if kind == "folder":
            (settings / name.lower()).mkdir(parents=True, exist_ok=True)
            env[name] = str(settings / name.lower())
        elif kind == "file":
            settings.mkdir(parents=True, exist_ok=True)
            env[name] = str(settings / f"{name.lower()}.data")
        elif kind == "token":
            env[name] = f"verify-{name.lower().replace('_', '-')}-{VERIFY_SECRET[-8:]}"
    return env


def service_env(workdir: Path, options: Options) -> dict[str, str]:
    return {**os.environ, **verification_env(workdir, options)}


def start_command(facts: BackendFacts, workdir: Path, options: Options) -> str:
    """The analysed start command with the verification secrets in front (via `env`),
    as a `--cmd` string for the audit, which starts services with its own environment."""
    command = list(facts.entry_point.command) if facts.entry_point else []
    if not command:
        raise StartupError("the generated service has no start command")
    if command[0] in ("python", "python3"):
        command[0] = sys.executable
    env = [f"{k}={v}" for k, v in verification_env(workdir, options).items()]
    return shlex.join(["env", *env, *command])


@contextlib.contextmanager
def service_running(
    out: Path, facts: BackendFacts, workdir: Path, options: Options
) -> Iterator[str]:
    with running_service(
        out,
        facts,
        port=free_port(),
        cmd=None,
        env=service_env(workdir, options),
        log=workdir / "service.log",
        timeout_s=30.0,
    ) as service:
        yield service.base_url


def run_spec_tests(out: Path, router: Router, tests: str = "tests") -> tuple[str, list[Failure]]:
    """The generated tests (in `tests`, relative to `out`) under pytest; failures read
    from the JUnit report."""
    with tempfile.TemporaryDirectory(prefix="bdev-verify-tests-") as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", "-o", "junit_logging=all", tests,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        # The generated code runs sandboxed: the service's folder and the report's writable.
        run = confine(cmd, cwd=out, env=env, writable=[Path(tmp)])
        try:
            subprocess.run(
                run.argv, cwd=out, env=run.env, capture_output=True, timeout=TEST_TIMEOUT_S,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            failure = Failure(operation_id=None, source="tests", check="timeout")
            return f"did not finish in {TEST_TIMEOUT_S:g} s", [failure]
        try:
            suite = ET.parse(junit).getroot()
        except (OSError, ET.ParseError):
            failure = Failure(operation_id=None, source="tests", check="run")
            return "pytest wrote no report", [failure]
    total, failures = 0, []
    for case in suite.iter("testcase"):
        total += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        name = case.get("name", "")
        log = " ".join((case.findtext("system-err") or "", case.findtext("system-out") or ""))
        evidence = (problem.get("message") or problem.text or "").strip()
        if "Traceback" in log:  # the service's own traceback of a 500 is the best clue
            evidence += "\nservice traceback: " + condense(log[log.rfind("Traceback") :], out)
        failures.append(
            Failure(
                operation_id=router.by_test(name),
                source="tests",
                check=name,
                evidence=_cut(evidence),
            )
        )
    return f"{total - len(failures)}/{total} passed", failures


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def with_tracebacks(failures: list[Failure], log: str, out: Path) -> None:
    """Add to each routed live-check failure that shows a server error the last
    traceback in the service's log that passes through its handler."""
    blocks = []
    for block in log.split("Traceback (most recent call last)")[1:]:
        lines = block.splitlines()
        end = next((i for i, line in enumerate(lines) if _EXCEPTION_LINE.match(line)), None)
        if end is not None:
            blocks.append("Traceback\n" + "\n".join(lines[: end + 1]))
    for failure in failures:
        if failure.source == "tests" or not failure.operation_id:
            continue
        if "500" not in failure.evidence and "Server error" not in failure.evidence:
            continue
        mine = [b for b in blocks if f"in {failure.operation_id}\n" in b + "\n"]
        if mine and "service traceback" not in failure.evidence:
            # First: the evidence is cut to EVIDENCE_CHARS, and a request is long.
            failure.evidence = _cut(
                f"service traceback: {condense(mine[-1], out)}\n{failure.evidence}"
            )


def condense(traceback: str, out: Path) -> str:
    """A traceback cut to the frames in the service's own code and the exception line:
    the framework's frames would fill a small model's prompt and tell it nothing."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    kept, keep_next = [], False
    for line in lines[1:-1]:
        if line.lstrip().startswith("File "):
            keep_next = str(out) in line or '"app' in line
            if keep_next:
                kept.append(line.strip().replace(str(out) + "/", ""))
        elif keep_next:
            kept.append("    " + line.strip())
            keep_next = False
    tail = lines[-1].strip() if lines else ""
    # The last line may be pytest's log prefix; the exception is the last "Name: ..." line.
    for line in reversed(lines):
        if re.match(r"\s*[A-Za-z_.]+(Error|Exception)\b", line):
            tail = line.strip()
            break
    return "\n".join([*kept[-6:], tail])


class Router:
    """Which written slot a failure belongs to."""

    def __init__(self, plan: ServicePlan, out: Path, written: list[str]) -> None:
        self.plan, self.out = plan, out
        self.written = [plan.operation(w) for w in written]
        self.lines = _function_lines(out, {o.operation_id for o in self.written})

    def by_test(self, name: str) -> str | None:
        match = re.search(r"\[(.+)\]$", name)
        if not match:
            return None
        case = match.group(1)
        # Longest first: "get_item" must not claim "get_item_history-limit-out-of-bounds".
        for op in sorted(self.written, key=lambda o: -len(o.operation_id)):
            if case == op.operation_id or case.startswith(op.operation_id + "-"):
                return op.operation_id
        return None

    def by_request(self, method: str, path: str) -> str | None:
        path = path.split("?", 1)[0]
        base = self.plan.base_path
        if base and path.startswith(base):
            path = path[len(base) :] or "/"
        for op in self.written:
            if op.method.upper() == method.upper() and _path_matches(op, path):
                return op.operation_id
        return None

    def by_location(self, location: str) -> str | None:
        match = re.match(r"([A-Z]+) (/\S*)", location)
        if match:
            return self.by_request(match.group(1), match.group(2))
        match = re.match(r"(.+?):(\d+)", location)
        if match:
            file, line = match.group(1), int(match.group(2))
            for op_id, (path, first, last) in self.lines.items():
                if file.endswith(path) and first <= line <= last:
                    return op_id
        return None

    def document(self) -> dict[str, Any]:
        """The spec cut down to the written slots, served where the service serves it."""
        doc = dict(self.plan.document)
        paths: dict[str, Any] = {}
        for op in self.written:
            item = (self.plan.document.get("paths") or {}).get(op.path, {})
            kept = paths.setdefault(op.path, {k: v for k, v in item.items() if k == "parameters"})
            kept[op.method] = item.get(op.method, {})
        doc["paths"] = paths
        doc["servers"] = [{"url": self.plan.base_path}] if self.plan.base_path else []
        return doc

    def conformance(self, step: StepResult) -> list[Failure]:
        out = []
        for f in step.data.get("failures", []):
            method, _, path = str(f.get("operation", "")).partition(" ")
            owner = self.by_request(method, path) if _body_can_fix(f) else None
            out.append(
                Failure(
                    operation_id=owner,
                    source="conformance",
                    check=str(f.get("check", "")),
                    evidence=_cut(str(f.get("example", ""))),
                )
            )
        if step.status == "error":
            out.append(Failure(operation_id=None, source="conformance", check=step.summary))
        return out

    def probes(self, step: StepResult) -> list[Failure]:
        return [
            Failure(
                operation_id=self.by_location(f.location),
                source="probes",
                check=f"{f.cwe} {f.title}",
                evidence=_cut(f"{f.location}: {f.evidence}"),
            )
            for f in step.findings
        ]


def _body_can_fix(failure: dict[str, Any]) -> bool:
    """Whether a conformance failure is the handler body's doing. An undocumented 4xx is
    the skeleton's request validation (or a spec without its error responses): sending
    it to the model would only make it chase something it cannot change."""
    check, example = str(failure.get("check", "")), str(failure.get("example", ""))
    received = re.search(r"Received: (\d{3})", example)
    return not ("Undocumented status code" in check and received and received.group(1) < "500")


def _path_matches(op: Operation, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op.path))
    return re.fullmatch(pattern, path) is not None


def _function_lines(out: Path, names: set[str]) -> dict[str, tuple[str, int, int]]:
    """{operation_id: (file, first line, last line)} of the written functions."""
    found: dict[str, tuple[str, int, int]] = {}
    for relative in ("app/handlers.py", "app.py"):
        try:
            tree = ast.parse((out / relative).read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                found[node.name] = (relative, node.lineno, node.end_lineno or node.lineno)
    return found


def _cut(text: str) -> str:
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 3] + "..."
