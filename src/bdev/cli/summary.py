"""What a finished run looks like to the user: the JSON result, the closing status line,
the readiness table, and the spec-first build summary (shared by `run` and `new`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bdev.runtime.loop import RunResult
from bdev.workflow.backend import WorkflowResult

if TYPE_CHECKING:  # the spec-first pipeline is imported only by runs that build
    from bdev.specfirst.pipeline import BuildReport


def run_json(
    session_id: str | None, result: RunResult, wf: WorkflowResult | None
) -> dict[str, Any]:
    completed = result.status.value == "completed"
    out: dict[str, Any] = {
        # Claude Code's result object first (what its tooling reads), then bdev's fields.
        "type": "result",
        "subtype": "success"
        if completed
        else (
            "error_max_turns" if result.status.value == "max_steps" else "error_during_execution"
        ),
        "is_error": not completed,
        "result": result.final,
        "num_turns": result.steps,
        "duration_ms": round(result.duration_s * 1000),
        "total_cost_usd": float(result.cost or 0.0),
        "session_id": session_id,
        "status": result.status.value,
        "final": result.final,
        "detail": result.detail,
        "steps": result.steps,
        "usage": result.usage.to_dict(),
        "cost": result.cost,
        "duration_s": round(result.duration_s, 3),
    }
    if wf is not None:
        out["readiness"] = wf.status
        out["report"] = str(wf.report_dir) if wf.report_dir else None
        out["gates"] = [g.to_dict() for g in wf.gates]
    return out


def run_status_line(err: Console, session_id: str | None, result: RunResult) -> None:
    u = result.usage
    cost = f" · ${result.cost:.4f}" if result.cost is not None else ""
    status = result.status.value + (f": {result.detail}" if result.detail else "")
    err.print(
        f"[dim]session {session_id} · {status} · {result.steps} steps · "
        f"{u.input_tokens:,} in / {u.output_tokens:,} out tokens{cost} · "
        f"{result.duration_s:.1f} s[/]"
    )


def readiness(out: Console, err: Console, wf: WorkflowResult) -> None:
    table = Table("gate", "result", "evidence", title=f"readiness: {wf.status}")
    for g in wf.gates:
        table.add_row(g.name, "[green]pass[/]" if g.passed else "[red]FAIL[/]", g.evidence)
    out.print(table)
    out.print(wf.notification, markup=False)
    if wf.report_dir:
        err.print(f"[dim]report: {wf.report_dir / 'delivery.md'}[/]")


def build_summary(console: Console, report: BuildReport) -> None:
    """A spec-first build: what was generated, what the model wrote, what still fails."""
    slots = report.operations_total - len(report.implemented_by_skeleton)
    console.print(
        f"[bold]{report.title}[/]: {report.operations_total} operations generated "
        f"({len(report.implemented_by_skeleton)} working, {slots} slots left for the model)",
        highlight=False,
    )
    console.print(
        f"{report.operations_total} operations: "
        f"{len(report.implemented_by_skeleton)} generated, "
        f"{len(report.implemented_by_model)} written by the model, "
        f"{len(report.failing_verification)} failing verification, "
        f"{len(report.not_implemented)} not implemented",
        highlight=False,
    )
    for slot in report.slots:
        state = (
            "failing verification"
            if slot.operation_id in report.failing_verification
            else slot.status
        )
        console.print(
            f"  {slot.operation_id}: {state} ({slot.attempts} attempts, "
            f"{slot.input_tokens}+{slot.output_tokens} tokens, {slot.seconds:.1f} s)",
            highlight=False,
        )
    for op_id, why in report.made_public.items():
        console.print(f"public: {op_id} needs no credential ({escape(why)})", highlight=False)
    for line in report.unmet_constraints:
        console.print(f"[yellow]constraint not met:[/] {escape(line)}", highlight=False)
    if report.audit:
        a = report.audit
        console.print(
            f"audit: {a['status']}; tests {a['tests_passed']} passed, {a['tests_failed']} failed;"
            f" security grade {a['security_grade']}",
            highlight=False,
        )
    console.print(
        f"{report.input_tokens}+{report.output_tokens} tokens, {report.wall_s:.0f} s; "
        f"report: {report.report_path}",
        highlight=False,
    )
