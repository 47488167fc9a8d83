"""`build_service`: spec in, measured service out.

    skeleton (no model) -> the model fills each slot -> verification rounds that send
    each failure back to its operation -> the audit scorecard and the delivery report

Every count in the `BuildReport` comes from a check that ran: an operation is
"implemented by the model" only when its body passed the checks and the last
verification round found nothing against it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.report import AuditReport
from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.llm.base import Model
from bdev.specfirst.build import build_plan
from bdev.specfirst.codegen.options import Options
from bdev.specfirst.codegen.pysource import ruff_tidy
from bdev.specfirst.codegen.schemas import SchemaCode
from bdev.specfirst.codegen.slots import fill_order, slots_for
from bdev.specfirst.codegen.testgen import render_tests, tests_dir
from bdev.specfirst.constraints import TaskConstraints, describe_constraints
from bdev.specfirst.fill import SlotFiller, SlotReport
from bdev.specfirst.generate import PLAN_FILE, drop_unused_helpers, generate
from bdev.specfirst.loader import load_spec
from bdev.specfirst.plan import ServicePlan
from bdev.specfirst.verify import Source, VerifyRound, start_command, verify
from bdev.workflow.delivery import Readiness, build_delivery, reports_dir, write_delivery
from bdev.workflow.gates import GateConfig, evaluate

Progress = Callable[[str], None]
# Structured events for the session transcript: record("slot", operation_id=..., ...).
# The kinds are "phase", "progress", "slot", "slot_attempt", "verify" and "delivery".
Record = Callable[..., object]
AGENT = "bdev-new"


class BuildReport(BaseModel):
    title: str
    out: str
    framework: str
    model: str | None = None
    # The task's constraints as understood, and those bdev could not meet (named, never
    # dropped); operations made public because they issue the credential they would need.
    constraints: list[str] = Field(default_factory=list)
    unmet_constraints: list[str] = Field(default_factory=list)
    made_public: dict[str, str] = Field(default_factory=dict)  # operation id -> why
    not_served: list[str] = Field(default_factory=list)  # webhooks, callbacks
    operations_total: int = 0
    implemented_by_skeleton: list[str] = Field(default_factory=list)
    implemented_by_model: list[str] = Field(default_factory=list)
    # Written and passing the checks, but the last verification round still failed them.
    failing_verification: list[str] = Field(default_factory=list)
    not_implemented: list[str] = Field(default_factory=list)  # answer 501
    # Generated helpers no filled code used, removed before the audit (`module.name`).
    removed_helpers: list[str] = Field(default_factory=list)
    slots: list[SlotReport] = Field(default_factory=list)
    verification: list[VerifyRound] = Field(default_factory=list)
    audit: dict[str, Any] | None = None  # scorecard summary and gates
    report_path: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    wall_s: float = 0.0


def build_service(
    spec: Path | dict[str, Any],
    out: Path,
    *,
    describe: str | None,
    model: Model | None,
    framework: Literal["fastapi", "flask"] = "fastapi",
    single_file: bool = False,
    allowed: frozenset[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    constraints: TaskConstraints | None = None,
    max_retries: int = 2,
    verify_rounds: int = 2,
    verify_service: bool = True,
    verify_checks: tuple[Source, ...] = ("tests", "conformance", "probes"),
    audit: bool = True,
    gates: GateConfig | None = None,
    force: bool = False,
    progress: Progress | None = None,
    record: Record | None = None,
    resume: frozenset[str] | None = None,
) -> BuildReport:
    """Generate the service for `spec` into `out`; `model=None` writes the skeleton only.
    `verify_rounds` bounds the re-fills after verification (0: verify once, no re-fill).
    `resume` continues a killed build: its skeleton is in `out` already, and the slots it
    names were written and checked then (their bodies are in the file)."""
    log = record or (lambda _kind, **_data: None)

    def note(text: str) -> None:
        if progress:
            progress(text)
        log("progress", text=text)

    started = time.monotonic()
    doc = spec if isinstance(spec, dict) else load_spec(spec)
    source = "the task's OpenAPI document" if isinstance(spec, dict) else str(spec)
    plan = build_plan(doc, source, describe=describe)
    options = Options(framework, single_file, allowed, host, port)
    unmet: list[str] = []
    if constraints is not None:
        options, unmet = honour(constraints, options)
        for line in describe_constraints(constraints, framework):
            note(f"constraint: {line}")
        for line in unmet:
            note(f"constraint not met: {line}")
        understood = describe_constraints(constraints, framework)
        log("phase", phase="constraints", understood=understood, unmet=unmet)
    single_file = options.single_file
    if resume is None:
        generate(plan, options, out, force=force)
    elif not (out / PLAN_FILE).is_file():
        raise BdevError(f"{out}: no skeleton to resume (no {PLAN_FILE})")
    slots = slots_for(plan, single_file=single_file)
    slot_ids = [s.operation_id for s in slots]
    report = BuildReport(
        title=plan.title,
        out=str(out),
        framework=framework,
        model=model.name if model else None,
        operations_total=len(plan.operations),
        implemented_by_skeleton=[o.operation_id for o in plan.operations if o.kind],
        constraints=describe_constraints(constraints, framework) if constraints else [],
        unmet_constraints=unmet,
        made_public=dict(plan.made_public),
        not_served=list(plan.not_served),
    )
    for op_id, why in plan.made_public.items():
        note(f"public: {op_id} needs no credential ({why})")
    for part in plan.not_served:
        note(f"not served: {part}")
    note(f"skeleton: {len(plan.operations)} operations, {len(slots)} slots for the model")
    log(
        "phase",
        phase="skeleton",
        operations=len(plan.operations),
        by_skeleton=report.implemented_by_skeleton,
        slots=slot_ids,
        resumed=sorted(resume or ()),
    )

    written: list[str] = []
    if model is not None and slots:
        filler = SlotFiller(
            plan,
            out,
            model,
            single_file=single_file,
            max_retries=max_retries,
            progress=note,
            allows=options.allows if options.allowed is not None else None,
            record=log,
        )
        reports: dict[str, SlotReport] = {}
        for number, slot in enumerate(fill_order(plan, slots), 1):
            if slot.operation_id in (resume or ()):
                reports[slot.operation_id] = SlotReport(
                    operation_id=slot.operation_id, status="implemented"
                )
                continue
            note(f"slot {number}/{len(slots)}: {slot.operation_id}")
            reports[slot.operation_id] = filler.fill(slot)
            log("slot", **reports[slot.operation_id].model_dump())
        report.slots = list(reports.values())
        written = [i for i, r in reports.items() if r.status == "implemented"]
        refresh_tests(plan, options, out, written)
        failing: set[str] = set()
        if verify_service and written:
            by_id = {s.operation_id: s for s in slots}
            for number in range(1, verify_rounds + 2):
                result = verify(
                    plan,
                    out,
                    written,
                    round_number=number,
                    checks=verify_checks,
                    progress=note,
                    options=options,
                )
                report.verification.append(result)
                log("verify", **result.model_dump())
                routed = result.routed()
                failing = set(routed)
                if not routed or number > verify_rounds:
                    break
                for op_id, failures in routed.items():
                    evidence = "\n".join(
                        f"- {f.source}: {f.check}: {f.evidence}" for f in failures[:4]
                    )
                    reports[op_id].refills += 1
                    filler.fill(by_id[op_id], evidence=evidence, report=reports[op_id])
                    log("slot", **reports[op_id].model_dump())
        report.implemented_by_model = [i for i in written if i not in failing]
        report.failing_verification = [i for i in written if i in failing]
        report.removed_helpers = drop_unused_helpers(out, single_file)
        if report.removed_helpers:
            note(f"dropped {len(report.removed_helpers)} generated helpers no code uses")
            log("phase", phase="trimmed", removed=report.removed_helpers)
        ruff_tidy([out / slots[0].file], out)
    report.not_implemented = [i for i in slot_ids if i not in written]
    report.input_tokens = sum(s.input_tokens for s in report.slots)
    report.output_tokens = sum(s.output_tokens for s in report.slots)

    build_id = "build-" + dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    if audit:
        note("audit: measuring the service")
        directory = _audit_and_deliver(out, build_id, report, gates or GateConfig(), note, options)
    else:
        directory = out / ".bdev" / "reports" / build_id
    report.wall_s = round(time.monotonic() - started, 3)
    report.report_path = str(directory)
    write_text_atomic(directory / "build.json", report.model_dump_json(indent=2) + "\n")
    status = report.audit["status"] if report.audit else None
    log("delivery", status=status, report_path=report.report_path, audit=report.audit)
    return report


# How a generated service may be started; any other start command the task states is
# named as not met.
_STARTS = re.compile(
    r"^(?:python3?\s+app\.py|uvicorn\s+app:app\b.*|flask\s+(?:--app\s+app\s+)?run\b.*)$"
)


def honour(found: TaskConstraints, options: Options) -> tuple[Options, list[str]]:
    """`options` with what the task requires applied, and what bdev cannot meet.
    A constraint that would leave no service at all (its framework not allowed) is
    refused with a BdevError rather than listed."""
    unmet: list[str] = []
    allowed = found.allowed_with_dependencies()
    if allowed is not None and options.framework not in allowed:
        listed = ", ".join(sorted(found.packages or ())) or "the standard library"
        raise BdevError(
            f"the task allows only {listed}; a {options.framework} service needs "
            f"{options.framework}, so it cannot be built within that list"
        )
    changes: dict[str, object] = {"single_file": options.single_file or found.single_file}
    if allowed is not None:
        changes["allowed"] = allowed
        changes["private_tests"] = True  # the tests import pytest, which is not on the list
    # "All code in one file" leaves no room for a tests/ folder, a README or a Dockerfile.
    if found.no_extra_files or found.single_file:
        changes["no_extra_files"] = True
    if found.host:
        changes["host"] = "127.0.0.1" if found.host == "localhost" else found.host
    if found.port:
        changes["port"] = found.port
    if secret := found.env_for("secret"):
        changes["secret_env"] = secret
    if database := found.env_for("database"):
        changes["database_env"] = database
    changes["settings"] = tuple(v.name for v in found.env if v.role == "setting")
    result = dataclasses.replace(options, **changes)  # type: ignore[arg-type]
    if found.file_name and found.file_name != "app.py":
        unmet.append(f"the one file is app.py, not {found.file_name}")
    if found.start and not _STARTS.match(found.start):
        unmet.append(f"the service starts with `python app.py`, not `{found.start}`")
    serves_itself = bool(found.start and found.start.startswith("python")) or bool(found.port)
    if result.framework == "fastapi" and serves_itself and not result.allows("uvicorn"):
        unmet.append(
            "`python app.py` cannot serve: uvicorn is not among the allowed packages "
            "(the app is an ASGI module for a server the deployment provides)"
        )
    return result, unmet


def refresh_tests(plan: ServicePlan, options: Options, out: Path, written: list[str]) -> None:
    """Rewrite the generated tests so written slots are expected to answer, not 501."""
    code = SchemaCode(plan.document, email_validator=options.allows("email-validator"))
    files = render_tests(plan, options, code, implemented=frozenset(written))
    for relative, text in files.items():
        write_text_atomic(out / relative, text)
    ruff_tidy([out / r for r in files if r.endswith(".py")], out)


def _audit_and_deliver(
    out: Path,
    build_id: str,
    report: BuildReport,
    gate_config: GateConfig,
    note: Progress,
    options: Options,
) -> Path:
    from bdev.backend.analyze import analyze
    from bdev.backend.audit.run import run_audit

    facts = analyze(out)
    with tempfile.TemporaryDirectory(prefix="bdev-build-audit-") as tmp:
        # The service needs its secrets; the audit starts it with bdev's environment.
        audit_options = AuditOptions(
            cmd=start_command(facts, Path(tmp), options),
            duration_s=2.0,
            concurrency=4,
            targets=gate_config,
            tests=(tests_dir(options),),
        )
        try:
            audited = run_audit(
                out, audit_options, lambda text: note(f"audit: {text}"), facts=facts
            )
        except BdevError as e:
            note(f"audit: could not run: {e}")
            return reports_dir(out, build_id)
    gates = evaluate(audited, gate_config)
    delivery = build_delivery(
        session_id=build_id,
        agent=AGENT,
        rounds=max(len(report.verification), 1),
        workspace=out,
        audit=audited,
        gates=gates,
        facts=facts,
        endpoints_before=0,
        notification_suffix=_operations(report),
        operations={
            "total": report.operations_total,
            "implemented_by_skeleton": report.implemented_by_skeleton,
            "implemented_by_model": report.implemented_by_model,
            "failing_verification": report.failing_verification,
            "not_implemented": report.not_implemented,
            "made_public": report.made_public,
            "unmet_constraints": report.unmet_constraints,
        },
    )
    report.audit = _summary(audited, gates, delivery.status)
    return write_delivery(out, delivery, audited)


def _operations(report: BuildReport) -> str:
    text = (
        f"Of {report.operations_total} operations, {len(report.implemented_by_skeleton)} were "
        f"generated and {len(report.implemented_by_model)} written by the model"
    )
    if report.failing_verification:
        text += f"; still failing verification: {', '.join(report.failing_verification)}"
    if report.not_implemented:
        text += f"; not implemented (501): {', '.join(report.not_implemented)}"
    if report.made_public:
        text += "; public though the document's global security covers them (they issue "
        text += f"the credential): {', '.join(report.made_public)}"
    if report.unmet_constraints:
        text += f"; constraints not met: {'; '.join(report.unmet_constraints)}"
    return text + "."


def _summary(audited: AuditReport, gates: list[Any], status: Readiness) -> dict[str, Any]:
    return {
        "status": status,
        "endpoints": audited.endpoints,
        "tests_passed": audited.tests.passed,
        "tests_failed": audited.tests.failed,
        "coverage_percent": audited.tests.coverage_percent,
        "p95_ms": audited.latency_ms.p95,
        "security_grade": audited.security.grade,
        "security_counts": audited.security.counts,
        "gates": {g.name: g.passed for g in gates},
    }
