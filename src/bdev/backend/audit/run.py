"""`run_audit`: every step in order, each one's result kept whatever happens later.

    environment -> tests -> services -> migrations -> startup -> conformance -> probes
    -> load -> security

A step that cannot run records status "error" with the reason; the steps that need a
running service are "skipped" when it did not start, and those that run the service's
code are "skipped" when its environment could not be built. Throwaway servers and the
service itself live in context managers, so they are stopped on every way out.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bdev.backend.audit import environment, external
from bdev.backend.audit.datastate import sqlite_kept
from bdev.backend.audit.load import load_scenario, run_load
from bdev.backend.audit.migrations import run_migrations
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.procs import free_port, port_in_use
from bdev.backend.audit.report import AuditReport, StartInfo
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.scorecard import build_scorecard
from bdev.backend.audit.services import SUPPORTED, throwaway_services
from bdev.backend.audit.startup import (
    Service,
    StartupError,
    running_service,
    start_plan,
    startup_result,
)
from bdev.backend.audit.testrun import run_tests
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError

Progress = Callable[[str], None]


def run_audit(
    path: Path,
    options: AuditOptions,
    progress: Progress | None = None,
    *,
    facts: BackendFacts | None = None,
) -> AuditReport:
    """Measure the backend at `path`. `facts` skips the analysis (tests, callers that have
    them already). Raises BdevError only when the audit cannot run at all."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise BdevError(f"{path}: not a directory")
    facts = facts or _analyze(root)
    _require_backend(root, facts, options)
    if options.port is not None and port_in_use(options.port):
        raise BdevError(f"--port {options.port}: the port is already in use; pick another")
    if options.scenario is not None and "load" not in options.skip:
        load_scenario(options.scenario)  # a broken scenario file is the user's to fix first

    audit = _Audit(root, facts, options, progress or (lambda _msg: None))
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.monotonic()
    # The tests, probes and load write to the service's data: the user's database is
    # left as it was, and the next round or audit starts from the same data.
    with tempfile.TemporaryDirectory(prefix="bdev-audit-") as tmp, sqlite_kept(root):
        audit.run(Path(tmp))
    score = build_scorecard(audit.steps, facts, root, options.targets)
    return AuditReport(
        **dict(score),
        root=str(root),
        started_at=started_at,
        duration_s=round(time.monotonic() - start, 3),
        steps=audit.steps,
        facts=facts,
        openapi=audit.openapi,
        start=_start_info(facts, options, audit.steps),
    )


def _start_info(
    facts: BackendFacts, options: AuditOptions, steps: list[StepResult]
) -> StartInfo | None:
    """The command the start-up step ran, else the one it would have run."""
    try:
        plan = start_plan(facts, options.cmd)
    except StartupError:
        return None
    ran = next((s for s in steps if s.name == "startup" and s.data.get("command")), None)
    command = str(ran.data["command"]) if ran else plan.text
    return StartInfo(command=command, source=plan.source, port_note=plan.port_note)


def _analyze(root: Path) -> BackendFacts:
    try:
        from bdev.backend.analyze import analyze
    except ImportError as e:
        raise BdevError(f"cannot analyse {root}: bdev.backend.analyze is unavailable ({e})") from e
    return analyze(root)


def _require_backend(root: Path, facts: BackendFacts, options: AuditOptions) -> None:
    if facts.language or facts.endpoints or facts.entry_point or options.cmd:
        return
    raise BdevError(
        f"{root}: does not look like a backend service (no source code, entry point or"
        " endpoints found); point at the service's root directory"
    )


def _not_started(steps: list[StepResult]) -> str:
    """Why the runtime steps measured nothing: the start-up step's own first line."""
    startup = next((s for s in steps if s.name == "startup"), None)
    said = (startup.summary.splitlines() or [""])[0] if startup else ""
    return "not checked: the service did not start" + (f" ({said})" if said else "")


def needed_services(facts: BackendFacts) -> list[str]:
    wanted = {*facts.services, *(d for d in facts.data.databases if d in SUPPORTED)}
    return sorted(wanted)


class _Audit:
    def __init__(
        self, root: Path, facts: BackendFacts, options: AuditOptions, progress: Progress
    ) -> None:
        self.root, self.facts, self.options, self.progress = root, facts, options, progress
        self.steps: list[StepResult] = []
        self.env = dict(os.environ)
        self.throwaway_db: str | None = None  # DATABASE_URL of our own PostgreSQL, once up
        self.python = sys.executable  # the service's interpreter, once its environment is known
        self.no_env: str | None = None  # why the service's code cannot run, when it cannot
        self.openapi: dict | None = None  # the document the running service served

    def step(self, name: str, work: Callable[[], StepResult]) -> StepResult:
        """Run one step: honour --skip, time it, turn a crash into status "error"."""
        if not self.options.runs(name):
            return self.record(StepResult(name=name, status="skipped", summary="skipped (--skip)"))
        self.progress(f"{name}: running")
        start = time.monotonic()
        try:
            result = work()
        except (BdevError, StartupError, RuntimeError, OSError) as e:
            result = StepResult(name=name, status="error", summary=str(e))
        except Exception as e:  # keep what earlier steps measured, whatever breaks here
            result = StepResult(name=name, status="error", summary=f"{type(e).__name__}: {e}")
        if not result.duration_s:
            result.duration_s = round(time.monotonic() - start, 3)
        return self.record(result)

    def record(self, result: StepResult) -> StepResult:
        self.steps.append(result)
        self.progress(
            f"{result.name}: {result.status} ({result.duration_s:.1f} s) {result.summary}"
        )
        return result

    def skip(self, name: str, why: str) -> None:
        self.record(StepResult(name=name, status="skipped", summary=why))

    def run(self, workdir: Path) -> None:
        opts, facts, root = self.options, self.facts, self.root
        self._environment(workdir)
        self._routes(workdir)
        # The suite runs first and alone: tests bring their own data (SQLite, fixtures), and
        # tables they create would make the migration check below fail for the wrong reason.
        self.needs_env(
            "tests",
            lambda: run_tests(
                root, workdir, opts.test_timeout_s, dict(self.env), self.python, opts.tests
            ),
        )

        with contextlib.ExitStack() as servers:
            if self.no_env is None:
                self._services(servers)
            else:
                self.skip("services", "not needed: the service's code cannot run here")
            self.needs_env("migrations", lambda: self._migrations(workdir))
            with contextlib.ExitStack() as running:
                service = self._startup(running, workdir)
                if service is None:
                    why = _not_started(self.steps)
                    for name in ("conformance", "probes", "load"):
                        self.skip(name, why)
                else:
                    self._measure(service, workdir)
        # Static analysis needs no service: run it once the service no longer takes CPU.
        self.step("security", lambda: external.static_security(root, facts))

    def needs_env(self, name: str, work: Callable[[], StepResult]) -> StepResult:
        """A step that runs the service's code: not checked without its environment."""
        if self.no_env is not None and self.options.runs(name):
            why = (
                "not checked: environment: the service's environment could not be built"
                f" ({self.no_env})"
            )
            return self.record(StepResult(name=name, status="skipped", summary=why))
        return self.step(name, work)

    def _environment(self, workdir: Path) -> None:
        if not any(self.options.runs(s) for s in ("tests", "migrations", "startup")):
            self.skip("environment", "no step runs the service's code")
            return

        def prepare() -> StepResult:
            try:
                result, env = environment.prepare(
                    self.root,
                    workdir,
                    python=self.options.python,
                    timeout_s=self.options.env_timeout_s,
                    progress=self.progress,
                )
            except environment.EnvironmentFailure as e:
                return e.result
            self.python = env.python
            self.env.update(env.env)
            self.env.pop("PYTHONHOME", None)
            return result

        result = self.step("environment", prepare)
        if result.status == "error":  # the environment step has the details; name the culprit
            culprit = result.data.get("failing_requirement")
            self.no_env = f"{culprit} could not be installed" if culprit else "see environment"

    def _services(self, stack: contextlib.ExitStack) -> None:
        names = needed_services(self.facts)
        if not names:
            self.skip("services", "the service needs no external server")
            return
        ours = [n for n in names if n in SUPPORTED]
        others = f"; bdev cannot provide {', '.join(n for n in names if n not in SUPPORTED)}"
        others = others if len(ours) < len(names) else ""

        def start() -> StepResult:
            if not ours:
                return StepResult(name="services", status="error", summary=others.lstrip("; "))
            started = stack.enter_context(throwaway_services(ours))
            self.env.update(started.env)
            self.throwaway_db = started.env.get("DATABASE_URL")
            where = ", ".join(f"{n} on port {d['port']}" for n, d in started.details.items())
            return StepResult(
                name="services",
                status="ok",
                summary=f"started {where}{others}",
                data=started.details,
            )

        self.step("services", start)

    def _migrations(self, workdir: Path) -> StepResult:
        # Never a real database: without our throwaway PostgreSQL, a scratch SQLite file.
        scratch = f"sqlite:///{workdir / 'migrations.sqlite3'}"
        env = {**self.env, "DATABASE_URL": self.throwaway_db or scratch}
        return run_migrations(
            self.root, self.facts, workdir, env, self.options.migration_timeout_s, self.python
        )

    def _routes(self, workdir: Path) -> None:
        """Routes as the framework sees them, once the service's environment exists."""
        if self.no_env is not None or not self.options.runs("startup"):
            why = "the service's environment could not be built" if self.no_env else "--skip"
            self.facts.routes_note = f"read from the code: not introspected ({why})"
            return
        from bdev.backend.analyze import refresh_routes

        refresh_routes(self.root, self.facts, python=self.python, env=dict(self.env),
                       workdir=workdir)  # fmt: skip
        self.progress(f"routes: {self.facts.routes_method}: {self.facts.routes_note}")

    def _port(self) -> int:
        """--port, else the port the project's own command fixes, else a free one."""
        entry = self.facts.entry_point
        fixed = entry.fixed_port if entry is not None and not self.options.cmd else None
        return self.options.port or fixed or free_port()

    def _startup(self, stack: contextlib.ExitStack, workdir: Path) -> Service | None:
        holder: list[Service] = []

        def start() -> StepResult:
            t0 = time.monotonic()
            service = stack.enter_context(
                running_service(
                    self.root,
                    self.facts,
                    port=self._port(),
                    cmd=self.options.cmd,
                    env=self.env,
                    log=workdir / "service.log",
                    timeout_s=self.options.startup_timeout_s,
                    python=self.python,
                )
            )
            holder.append(service)
            return startup_result(service, time.monotonic() - t0)

        self.needs_env("startup", start)
        return holder[0] if holder else None

    def _measure(self, service: Service, workdir: Path) -> None:
        opts, facts, url = self.options, self.facts, service.base_url
        openapi = self.openapi = external.fetch_openapi(url, facts)
        self.step("conformance", lambda: external.conformance(url, openapi))
        self.step(
            "probes",
            lambda: external.probes(
                url,
                facts,
                openapi,
                auth=opts.auth_spec,
                auth2=opts.auth2_spec,
                marker_dir=service.log.parent,  # the sandbox binds it writable, same path
            ),
        )
        self.step(
            "load",
            lambda: run_load(
                url,
                facts,
                concurrency=opts.concurrency,
                duration_s=opts.duration_s,
                max_requests=opts.max_requests,
                workdir=workdir,
                scenario=opts.scenario,
            ),
        )
