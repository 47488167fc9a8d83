"""The security part of the audit report: findings worst first, each with its evidence,
every tool that saw it, why it has its severity, and the `curl` that reproduces it; and
which advisory database the dependencies were checked against (and its date)."""

from __future__ import annotations

import json
from typing import Any

import jinja2

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import Finding

_EXCERPT = 600


def dependency_line(report: AuditReport) -> str:
    step = report.step("security")
    info = step.data.get("pip_audit") if step is not None else None
    if not isinstance(info, dict):
        return "Dependencies: not checked (the static security step did not run)."
    status = info.get("status", "not checked")
    text = f"Dependencies: {status}"
    if info.get("checker"):
        text += f", by {info['checker']}"
    db = info.get("database")
    if db:
        text += f"; advisory database dated {db['date']} ({db['records']} advisories)"
    if status == "not checked" and info.get("reason"):
        text += f": {info['reason']}"
    files = info.get("files") or []
    if files:
        text += f". Manifests read: {', '.join(files)}"
    return text + "."


def findings_markdown(report: AuditReport) -> list[str]:
    findings = report.security.findings
    out = ["", "## Security findings", "", dependency_line(report)]
    if not findings:
        return [*out, "", "No findings."]
    out += ["", "| # | severity | CWE | title | location | found by |"]
    out += ["| ---: | --- | --- | --- | --- | --- |"]
    out += [
        f"| {i} | {f.severity} | {f.cwe} | {_cell(f.title)} | {_cell(f.location)} |"
        f" {_cell(', '.join(f.sources) or f.tool)} |"
        for i, f in enumerate(findings, 1)
    ]
    out += ["", "### Evidence"]
    for i, f in enumerate(findings, 1):
        out += ["", f"#### {i}. {f.severity}: {f.cwe} {f.title}", ""]
        out += [f"- {label}: {value}" for label, value in _facts(f)]
        snippet = f.evidence.get("snippet")
        if snippet:
            out += ["", "```text", str(snippet), "```"]
        if f.response is not None and (f.response.excerpt or f.response.error):
            head = f"Response {f.response.status}" if f.response.status else "No response"
            out += ["", f"{head}:", "", "```text", _answer(f), "```"]
        if f.curl:
            out += ["", "Reproduce:", "", "```sh", f.curl, "```"]
    return out


_HTML = """<h2>Security findings</h2>
<p>{{ deps }}</p>
{% if findings %}<table><tr><th>#</th><th>severity</th><th>CWE</th><th>title</th>
<th>location</th><th>found by</th></tr>
{% for f in findings %}<tr><td>{{ loop.index }}</td><td>{{ f.severity }}</td><td>{{ f.cwe }}</td>
<td>{{ f.title }}</td><td>{{ f.location }}</td><td>{{ f.sources|join(", ") or f.tool }}</td>
</tr>{% endfor %}</table>
{% for f in findings %}<h3>{{ loop.index }}. {{ f.severity }}: {{ f.cwe }} {{ f.title }}</h3>
<ul>{% for label, value in facts(f) %}<li>{{ label }}: {{ value }}</li>{% endfor %}</ul>
{% if f.evidence.snippet %}<pre>{{ f.evidence.snippet }}</pre>{% endif %}
{% if f.response and (f.response.excerpt or f.response.error) %}<p>Response
{{ f.response.status or "none" }}:</p><pre>{{ answer(f) }}</pre>{% endif %}
{% if f.curl %}<p>Reproduce:</p><pre>{{ f.curl }}</pre>{% endif %}
{% endfor %}{% else %}<p>No findings.</p>{% endif %}
"""
_env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)


def findings_html(report: AuditReport) -> str:
    """HTML already escaped by its template: insert it with `|safe`."""
    return _env.from_string(_HTML).render(
        deps=dependency_line(report),
        findings=report.security.findings,
        facts=_facts,
        answer=_answer,
    )


def _facts(f: Finding) -> list[tuple[str, str]]:
    rows = [("location", f.location)]
    if f.also_at:
        rows.append(("also at", ", ".join(f.also_at)))
    rows.append(("found by", ", ".join(f.sources) or f.tool))
    if f.severity_reason:
        rows.append(("severity", f"{f.severity}: {f.severity_reason}"))
    extra = {k: v for k, v in f.evidence.items() if k not in _SHOWN}
    if extra:
        rows.append(("evidence", _short(json.dumps(extra, default=str))))
    return rows


_SHOWN = {"snippet", "request", "response", "file", "line", "related"}


def _answer(f: Finding) -> str:
    r = f.response
    if r is None:
        return ""
    if r.error:
        return r.error
    headers = "".join(f"{k}: {v}\n" for k, v in r.headers.items())
    return _short(headers + ("\n" if headers else "") + r.excerpt)


def _short(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + " …"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
