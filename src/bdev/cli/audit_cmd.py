"""`bdev audit PATH`: progress on stderr while it runs, then a scorecard (or one JSON
object with --json). The work is in bdev.backend.audit.run.

Exit codes: 0 when the audit ran (whatever it found), 1 when the tests or the service
could not be run at all (the report still holds everything else), 2 for bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bdev import sandbox
from bdev.backend.audit.document import write_report
from bdev.backend.audit.load import bound_note
from bdev.backend.audit.options import STEPS, AuditOptions, parse_skip
from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.run import run_audit
from bdev.backend.audit.sarif import check_target as check_sarif_target
from bdev.backend.audit.sarif import write_sarif

if TYPE_CHECKING:
    from bdev.config import Config

_STYLE = {
    "ok": "green",
    "failed": "red",
    "error": "bold red",
    "skipped": "dim",
    "pass": "green",
    "fail": "red",
    "not checked": "dim",
}
# Steps without which the audit is incomplete rather than merely unfavourable.
_CORE_STEPS = ("environment", "tests", "startup")


def audit(
    path: Annotated[Path, typer.Argument(help="The service's root directory.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the report to FILE.md or FILE.html.")
    ] = None,
    sarif: Annotated[
        Path | None,
        typer.Option("--sarif", help="Also write the security findings to FILE as SARIF 2.1.0."),
    ] = None,
    cmd: Annotated[
        str | None, typer.Option("--cmd", help="Start command; {port} is replaced by the port.")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port for the service (default: a free one).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Open connections during load [audit].")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Seconds of load per endpoint [audit].")
    ] = None,
    skip: Annotated[
        str | None,
        typer.Option("--skip", help=f"Comma-separated steps to skip: {', '.join(STEPS)}."),
    ] = None,
    test_timeout: Annotated[
        float | None, typer.Option(help="Seconds before the test suite is stopped [audit].")
    ] = None,
    startup_timeout: Annotated[
        float | None, typer.Option(help="Seconds to wait for the service to answer HTTP [audit].")
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON file: `requests:` to load instead of GET endpoints."),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="Run the service's tests, migrations and server with this interpreter, as it"
            " is (default: a cached virtualenv built from its dependency files).",
        ),
    ] = None,
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox",
            help="Run the service's tests, migrations and server unconfined (not in bubblewrap).",
        ),
    ] = False,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help="Probe as this user: 'Header-Name: value', 'bearer:TOKEN',"
            ' \'login:POST /login {"username": "a", "password": "b"}\' (JSON or a=b&c=d'
            " form; the token field or the cookies of the answer are used) or '@recipe.yaml'"
            " (method, path, json/form, token: field.path or cookie: NAME, register: a request"
            " sent first). See docs/audit.md.",
        ),
    ] = None,
    auth2: Annotated[
        str | None,
        typer.Option(
            "--auth2",
            help="A second user (same syntax as --auth): checks that it cannot read, change or"
            " delete objects the first user created (IDOR).",
        ),
    ] = None,
) -> None:
    """Measure a backend service: tests, coverage, start-up, conformance, load, security."""
    from bdev.config import load_config

    # Flags override the user's and the service's configuration ([audit], [gates]).
    flags = {
        "audit.concurrency": concurrency,
        "audit.duration_s": duration,
        "audit.test_timeout_s": test_timeout,
        "audit.startup_timeout_s": startup_timeout,
        "sandbox.enabled": False if no_sandbox else None,
    }
    config = load_config(path.resolve(), flags)
    options = AuditOptions.from_config(
        config,
        cmd=cmd,
        port=port,
        skip=parse_skip(skip),
        scenario=scenario,
        python=python or _relative_to(path, config.audit.python),
        auth=auth,
        auth2=auth2,
    )
    if sarif is not None:
        check_sarif_target(sarif)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    _use_sandbox(config, path.resolve(), err)
    with err.status("analysing…") as status:

        def progress(message: str) -> None:
            step, _, rest = message.partition(": ")
            if rest == "running":
                status.update(f"{step}…")
                return
            if rest.endswith("…"):  # long work under way: say what, keep the spinner
                status.update(f"{step}: {rest}")
            state = rest.split(" ", 1)[0]
            err.print(Text.assemble((f"{step:<12}", "bold"), (rest, _STYLE.get(state, ""))))

        result = run_audit(path, options, progress)

    if report is not None:
        write_report(result, report)
        err.print(f"report written to {report}")
    if sarif is not None:
        write_sarif(result, sarif)
        err.print(f"SARIF written to {sarif}")
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        Console(highlight=False, soft_wrap=True).print(scorecard_table(result))
    broken = [s for name in _CORE_STEPS if (s := result.step(name)) and s.status == "error"]
    for step in broken:
        err.print(f"[bold red]error:[/] {step.name}: {step.summary.splitlines()[0]}")
    if broken:
        raise typer.Exit(1)


def _use_sandbox(config: Config, root: Path, err: Console) -> None:
    """Confine the audited code as configured; refuse when that cannot be done."""
    for note in sandbox.apply(config, root):
        err.print(Text.assemble(("sandbox: ", "yellow"), note))


def _relative_to(path: Path, value: str | None) -> str | None:
    """`[audit] python` from a configuration file: a relative path is taken from the
    service's directory."""
    if value and "/" in value and not Path(value).is_absolute():
        return str(path.resolve() / value)
    return value


def _num(value: float | int | None, fmt: str = "{}") -> str:
    return "n/a" if value is None else fmt.format(value)


def scorecard_table(report: AuditReport) -> Table:
    t, lat = report.tests, report.latency_ms
    table = Table("measure", "value", title=f"Audit of {report.root}", title_justify="left")
    table.add_row("start command", Text(report.start.line() if report.start else "none found"))
    env = report.step("environment")
    if env is not None and env.status != "skipped":
        table.add_row("environment", Text(env.summary, _STYLE.get(env.status, "")))
    table.add_row("endpoints", str(report.endpoints))
    table.add_row(
        "tests", f"{_num(t.passed)} passed, {_num(t.failed)} failed, {_num(t.errors)} errors"
    )
    table.add_row("line coverage", _num(t.coverage_percent, "{:.1f}%"))
    latency = " / ".join(_num(v, "{:.1f}") for v in (lat.p50, lat.p95, lat.p99))
    if lat.endpoint:
        latency += f" ms  ({lat.endpoint}, {lat.generator}{bound_note(lat.bound_by)})"
    table.add_row("p50 / p95 / p99", latency)
    rate = None if report.error_rate is None else 100 * report.error_rate
    table.add_row("error rate", _num(rate, "{:.2f}%"))
    sec = report.security
    table.add_row("security grade", sec.label or sec.grade or "not graded")
    for item in report.checklist:
        table.add_row(
            Text(item.name),
            Text.assemble((item.status, _STYLE[item.status]), f"  {item.evidence}"),
        )
    return table
