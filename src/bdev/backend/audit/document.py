"""The report as Markdown or HTML (a jinja2 template), and writing it to a file."""

from __future__ import annotations

from pathlib import Path

import jinja2

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.security_report import findings_html, findings_markdown
from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic

_MARK = {"pass": "✅ pass", "fail": "❌ fail", "not checked": "➖ not checked"}


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _pct(value: float | None, scale: float = 1.0) -> str:
    return "n/a" if value is None else f"{scale * value:.1f}%"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ceiling(ceiling: dict | None) -> str:
    if not ceiling:
        return "its ceiling could not be measured"
    return (
        f"its ceiling against a trivial server: p95 {_ms(ceiling.get('p95_ms'))} ms"
        f" at {ceiling.get('rps', 0):.0f} req/s"
    )


def render_markdown(report: AuditReport) -> str:
    t, lat, sec = report.tests, report.latency_ms, report.security
    out = [
        f"# Audit of `{report.root}`",
        "",
        f"Started {report.started_at}, took {report.duration_s:.1f} s.",
        "",
        f"Start command: {_start_line(report)}",
        "",
        "## Scorecard",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| endpoints | {report.endpoints} |",
        f"| tests passed / failed / errors | {t.passed} / {t.failed} / {t.errors} |",
        f"| line coverage | {_pct(t.coverage_percent)} |",
        f"| latency p50 / p95 / p99 (ms, worst endpoint) | {_ms(lat.p50)} / {_ms(lat.p95)} /"
        f" {_ms(lat.p99)} |",
        f"| error rate under load | {_pct(report.error_rate, 100)} |",
        f"| security grade | {sec.label or sec.grade or 'not graded'} |",
        "",
        "## Production checklist",
        "",
        "| check | status | evidence |",
        "| --- | --- | --- |",
    ]
    out += [f"| {c.name} | {_MARK[c.status]} | {_cell(c.evidence)} |" for c in report.checklist]
    if lat.per_endpoint:
        out += [
            "",
            "## Latency per endpoint",
            "",
            f"Generator: {lat.generator}; {_ceiling(lat.ceiling)}.",
            "",
            "| endpoint | requests | req/s | p50 | p95 | p99 | errors | bound by |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        out += [
            f"| {r['target']} | {r['requests']} | {r['rps']:.0f} | {_ms(r['p50_ms'])} |"
            f" {_ms(r['p95_ms'])} | {_ms(r['p99_ms'])} | {r['non_2xx_3xx'] + r['socket_errors']} |"
            f" {r['bound_by']} |"
            for r in lat.per_endpoint
        ]
    out += findings_markdown(report)
    reached = traffic_reached(report)
    if reached:
        out += ["", "## Traffic reached", "", "| step | endpoint | responses |"]
        out += ["| --- | --- | --- |"]
        out += [f"| {step} | {_cell(ep)} | {_cell(codes)} |" for step, ep, codes in reached]
    out += ["", "## Steps", "", "| step | status | time (s) | summary |"]
    out += ["| --- | --- | ---: | --- |"]
    out += [
        f"| {s.name} | {s.status} | {s.duration_s:.1f} | {_cell(s.summary)} |" for s in report.steps
    ]
    failed_env = _failed_environment(report)
    if failed_env:
        out += ["", "## Environment", "", failed_env[0], "", "```text", failed_env[1], "```"]
    return "\n".join(out) + "\n"


def traffic_reached(report: AuditReport) -> list[tuple[str, str, str]]:
    """(step, endpoint, status counts) for every endpoint the load and the probes sent
    requests to: what the verdicts rest on."""
    rows: list[tuple[str, str, str]] = []
    for name in ("load", "probes"):
        step = report.step(name)
        reached = step.data.get("reached") if step is not None else None
        if isinstance(reached, dict):
            rows += [(name, ep, str(codes)) for ep, codes in reached.items()]
    return rows


def _start_line(report: AuditReport) -> str:
    start = report.start
    if start is None:
        return "none found (pass one with --cmd)"
    note = f"; {start.port_note}" if start.port_note else ""
    return f"`{start.command}` (from {start.source}{note})"


def _failed_environment(report: AuditReport) -> tuple[str, str] | None:
    """When the service's dependencies would not install: the summary and the installer's
    own last lines, which are what the reader needs to fix it."""
    step = report.step("environment")
    if step is None or step.status != "error" or not step.data.get("installer_output_tail"):
        return None
    return step.summary, str(step.data["installer_output_tail"])


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audit of {{ r.root }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
.pass { color: #176b2c; } .fail { color: #b3261e; } .not-checked { color: #777; }
</style></head><body>
<h1>Audit of <code>{{ r.root }}</code></h1>
<p>Started {{ r.started_at }}, took {{ "%.1f"|format(r.duration_s) }} s.</p>
<p>Start command: {% if r.start %}<code>{{ r.start.command }}</code> (from {{ r.start.source
}}{% if r.start.port_note %}; {{ r.start.port_note }}{% endif %}){% else %}none found{% endif %}</p>
<h2>Scorecard</h2>
<table>
<tr><th>endpoints</th><td>{{ r.endpoints }}</td></tr>
<tr><th>tests passed / failed / errors</th>
<td>{{ r.tests.passed }} / {{ r.tests.failed }} / {{ r.tests.errors }}</td></tr>
<tr><th>line coverage</th><td>{{ pct(r.tests.coverage_percent) }}</td></tr>
<tr><th>latency p50 / p95 / p99 (ms, worst endpoint)</th>
<td>{{ ms(r.latency_ms.p50) }} / {{ ms(r.latency_ms.p95) }} / {{ ms(r.latency_ms.p99) }}</td></tr>
<tr><th>error rate under load</th><td>{{ pct(r.error_rate, 100) }}</td></tr>
<tr><th>security grade</th><td>{{ r.security.label or r.security.grade or "not graded" }}</td></tr>
</table>
<h2>Production checklist</h2>
<table><tr><th>check</th><th>status</th><th>evidence</th></tr>
{% for c in r.checklist %}<tr><td>{{ c.name }}</td>
<td class="{{ c.status|replace(' ', '-') }}">{{ c.status }}</td><td>{{ c.evidence }}</td></tr>
{% endfor %}</table>
{% if r.latency_ms.per_endpoint %}<h2>Latency per endpoint</h2>
<p>Generator: {{ r.latency_ms.generator }}; {{ ceiling(r.latency_ms.ceiling) }}.</p>
<table><tr><th>endpoint</th><th>requests</th><th>req/s</th><th>p50</th><th>p95</th><th>p99</th>
<th>errors</th><th>bound by</th></tr>
{% for e in r.latency_ms.per_endpoint %}<tr><td>{{ e.target }}</td><td>{{ e.requests }}</td>
<td>{{ "%.0f"|format(e.rps) }}</td><td>{{ ms(e.p50_ms) }}</td><td>{{ ms(e.p95_ms) }}</td>
<td>{{ ms(e.p99_ms) }}</td><td>{{ e.non_2xx_3xx + e.socket_errors }}</td><td>{{ e.bound_by }}</td>
</tr>{% endfor %}</table>{% endif %}
{{ security|safe }}
{% if reached %}<h2>Traffic reached</h2>
<table><tr><th>step</th><th>endpoint</th><th>responses</th></tr>
{% for step, ep, codes in reached %}<tr><td>{{ step }}</td><td>{{ ep }}</td><td>{{ codes }}</td>
</tr>{% endfor %}</table>{% endif %}
<h2>Steps</h2>
<table><tr><th>step</th><th>status</th><th>time (s)</th><th>summary</th></tr>
{% for s in r.steps %}<tr><td>{{ s.name }}</td><td>{{ s.status }}</td>
<td>{{ "%.1f"|format(s.duration_s) }}</td><td>{{ s.summary }}</td></tr>{% endfor %}
</table>
{% if env %}<h2>Environment</h2><p>{{ env[0] }}</p><pre>{{ env[1] }}</pre>{% endif %}
</body></html>
"""

_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(report: AuditReport) -> str:
    return _env.from_string(_HTML).render(
        r=report,
        ms=_ms,
        pct=_pct,
        ceiling=_ceiling,
        env=_failed_environment(report),
        reached=traffic_reached(report),
        security=findings_html(report),
    )


def write_report(report: AuditReport, path: Path) -> None:
    """Write .md or .html by the file's suffix, atomically (temp file, then rename)."""
    suffix = path.suffix.lower()
    if suffix == ".md":
        text = render_markdown(report)
    elif suffix in (".html", ".htm"):
        text = render_html(report)
    else:
        raise BdevError(f"--report {path}: unknown format {suffix!r}; use .md or .html")
    path = path.resolve()
    if not path.parent.is_dir():
        raise BdevError(f"--report {path}: directory {path.parent} does not exist")
    write_text_atomic(path, text)
