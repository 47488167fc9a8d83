"""bdev writes the API tests a small model would not: `tests/test_api_generated.py`.

After an implementation round, when the audit found no tests, or none that names a new
or changed endpoint, the workflow writes the module from the served OpenAPI document and
the route analysis (`backend/testgen`), lets the model fill only the expectations the
request states (`testslots`), and audits again: the figures stay the audit's.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bdev.backend.audit.report import AuditReport
from bdev.backend.facts import BackendFacts, Endpoint
from bdev.backend.openapi import route_shape
from bdev.backend.testgen import (
    GENERATED,
    AppTarget,
    Operation,
    Slot,
    app_target,
    is_ours,
    operations,
    render_module,
    write_module,
)
from bdev.backend.testgen.operations import add_signed_in_checks, sign_in
from bdev.llm.base import Model
from bdev.workflow.changes import IGNORED_DIRS, Changes
from bdev.workflow.owneronly import owner_only_checks
from bdev.workflow.stated import read_stated
from bdev.workflow.stated_tests import stated_slots
from bdev.workflow.testslots import ask, failing_tests, mentioned, named

_TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")


@dataclass
class GeneratedTests:
    path: str
    changed: bool  # the file's text differs from what was there: the audit must rerun
    target: AppTarget
    ops: list[Operation]
    slots: list[Slot] = field(default_factory=list)  # the model's lines, checked or not yet
    notes: list[str] = field(default_factory=list)  # about the request's expectations
    checked: list[str] = field(default_factory=list)  # the last check's word on each slot
    # The request's expectations whose test failed ("`assert ...` (GET /x): why"): told
    # to a program-led round, since the code may be what is wrong, and dropped at the end.
    failed: list[str] = field(default_factory=list)

    @property
    def tests(self) -> int:
        return sum(len(op.checks) for op in self.ops) + len(self.slots)

    def summary(self) -> str:
        text = (
            f"bdev wrote {self.path}: {self.tests} tests of {len(self.ops)} operations from "
            "the service's OpenAPI document and route analysis"
        )
        if self.notes or self.checked:
            text += " (" + "; ".join(self.notes + self.checked) + ")"
        return text + "."


def needs_tests(
    workspace: Path,
    report: AuditReport,
    before: BackendFacts | None,
    changes: Changes,
    *,
    program_led: bool = False,
) -> bool:
    """No test ran, or a new or changed endpoint is named by no test file but ours; and
    always when our module exists already, to keep it in step with the code.
    `program_led`: the round wrote no tests of its own, so any new or changed endpoint
    gets them (the service's old tests do not test what the request adds)."""
    facts = report.facts
    if facts is None or app_target(facts) is None:
        return False
    if (workspace / GENERATED).is_file() and is_ours(workspace / GENERATED):
        return True
    if not report.tests.passed:
        return True
    touched = _new_or_changed(facts, before, changes)
    if program_led:
        return bool(touched)
    texts = _test_texts(workspace)
    return any(not _named(e, texts) for e in touched)


def _new_or_changed(
    facts: BackendFacts, before: BackendFacts | None, changes: Changes
) -> list[Endpoint]:
    old = {(e.method, route_shape(e.path)) for e in (before.endpoints if before else [])}
    touched = {*changes.added, *changes.modified}
    return [
        e
        for e in facts.endpoints
        if (e.method, route_shape(e.path)) not in old
        or (e.location is not None and e.location.file in touched)
    ]


def _named(endpoint: Endpoint, texts: list[str]) -> bool:
    static = re.split(r"[{<]", endpoint.path, maxsplit=1)[0].rstrip("/") or "/"
    return any(f"'{static}" in t or f'"{static}' in t for t in texts)


def _test_texts(workspace: Path) -> list[str]:
    texts = []
    for dirpath, dirnames, filenames in os.walk(workspace):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            if _TEST_FILE.match(name) and path != workspace / GENERATED:
                try:
                    texts.append(path.read_text(encoding="utf-8", errors="replace"))
                except OSError:
                    continue
    return texts


def document(report: AuditReport) -> dict[str, Any] | None:
    """The OpenAPI document the service served, else the one in its tree."""
    if report.openapi is not None:
        return report.openapi
    facts = report.facts
    if facts is None or not facts.openapi_document:
        return None
    try:
        doc = yaml.safe_load((Path(facts.root) / facts.openapi_document).read_text())
    except (OSError, yaml.YAMLError):
        return None
    return doc if isinstance(doc, dict) else None


def generate_tests(
    workspace: Path,
    task: str,
    report: AuditReport,
    model: Model | None,
    reuse: list[Slot] | None = None,
) -> GeneratedTests | None:
    """Write the module, with the model's lines for the operations the request names (not
    checked yet: see `check_slots`); None when nothing could be written. `reuse`: the
    lines of an earlier round, kept for the operations that still exist instead of
    asking again (the expectations stay the same from round to round)."""
    facts = report.facts
    target = app_target(facts) if facts is not None else None
    if facts is None or target is None:
        return None
    ops = operations(facts, document(report))
    if not ops:
        return None
    signed = _signed_in_checks(task, ops)
    owners = owner_only_checks(task, ops, {op.name for op in named(task, ops)})
    path = workspace / GENERATED
    old = path.read_text(encoding="utf-8") if path.is_file() and is_ours(path) else None
    slots: list[Slot] = []
    notes: list[str] = []
    if reuse is not None:
        slots = [s for s in reuse if s.operation in {op.name for op in ops}]
    else:
        slots, notes = _stated_slots(task, ops)
        if model is not None:
            asked, asked_notes = _asked_slots(task, ops, model)
            slots, notes = slots + asked, notes + asked_notes
    notes += [note for note in (signed, owners) if note]
    if write_module(workspace, render_module(target, ops, slots)) is None:
        return None  # someone else's file has that name: leave it
    changed = path.read_text(encoding="utf-8") != old
    return GeneratedTests(GENERATED, changed, target, ops, slots, notes)


# Where the request speaks of roles, a new user may rightly be refused: no test says a
# signed-in request succeeds.
_ROLES = re.compile(
    r"\b(admin\w*|staff|agents?|moderators?|superusers?|roles?|permissions?|privileg\w*)\b",
    re.I,
)


def _signed_in_checks(task: str, ops: list[Operation]) -> str:
    """Success tests signed in as a new user for the operations behind a login that the
    request names (a token-protected endpoint it adds or changes), when the service's
    API shows how a new user signs in; a note on them, or ""."""
    signer = sign_in(ops)
    if signer is None or _ROLES.search(task):
        return ""
    added = add_signed_in_checks(ops, {op.name for op in named(task, ops)}, signer)
    if not added:
        return ""
    steps = [r for r in (signer.register, signer.login) if r is not None]
    how = ", then ".join(f"{r.method} {r.path}" for r in steps)
    return f"{added} tests signed in as a new user ({how})"


def check_slots(
    workspace: Path, generated: GeneratedTests, report: AuditReport, *, keep_failing: bool = False
) -> bool:
    """Run the slots' tests with the service's interpreter (`report`'s, which has what the
    module imports); drop the failing ones, unless `keep_failing` (a round of a
    program-led run follows, and they are its checks). True when the file changed."""
    if not generated.slots:
        return False
    kept = _checked(workspace, generated, _python(report), keep_failing)
    if keep_failing or len(kept) == len(generated.slots):
        return False
    generated.slots = kept
    write_module(workspace, render_module(generated.target, generated.ops, kept))
    return True


def drop_unreachable(workspace: Path, generated: GeneratedTests, python: str) -> None:
    """Before the change: bdev's tests that a valid request succeeds are run on the code
    as it is, and one failing there is dropped. It rests on a request bdev made up (a
    body read from the code, a value of its own), not on what the request asks for."""
    accepted = [
        s for s in generated.slots if s.source == "request" and s.name.endswith("_is_accepted")
    ]
    failed = failing_tests(workspace, python, [s.test_name for s in accepted]) if accepted else {}
    if not failed:
        return
    dropped = [s for s in accepted if s.test_name in failed]
    generated.slots = [s for s in generated.slots if s not in dropped]
    generated.notes.append(
        f"{len(dropped)} tests of valid requests dropped: they fail before the change, so "
        "bdev's request is what is wrong (" + ", ".join(s.test_name for s in dropped) + ")"
    )
    write_module(workspace, render_module(generated.target, generated.ops, generated.slots))


def _python(report: AuditReport) -> str:
    """The service's interpreter, as the audit's tests step used it."""
    step = report.step("tests")
    python = step.data.get("python") if step is not None else None
    return python if isinstance(python, str) and python else sys.executable


def _label(ops: list[Operation], name: str) -> str:
    op = next(o for o in ops if o.name == name)
    return f"{op.method} {op.path}"


def _stated_slots(task: str, ops: list[Operation]) -> tuple[list[Slot], list[str]]:
    """bdev's own tests of the parameter rules the request states (`stated`)."""
    stated = read_stated(task, route_shape=route_shape)
    slots = [slot for op in ops for slot in stated_slots(stated, op, ops)]
    if not slots:
        return [], []
    rules = "; ".join(stated.checklist())
    return slots, [f"{len(slots)} tests of the rules the request states ({rules})"]


def _asked_slots(task: str, ops: list[Operation], model: Model) -> tuple[list[Slot], list[str]]:
    """A slot per line the model wrote for each operation the request names."""
    slots: list[Slot] = []
    notes: list[str] = []
    for op in mentioned(task, ops):
        lines, why = ask(task, op, model)
        if not lines:
            notes.append(f"{op.method} {op.path}: no expectation from the request, {why}")
        slots += [Slot(op.name, [line], n) for n, line in enumerate(lines, 1)]
    return slots, notes


def _checked(
    workspace: Path, generated: GeneratedTests, python: str, keep_failing: bool
) -> list[Slot]:
    """The slots whose test passes against the service; a note for each, kept or not."""
    failed = failing_tests(workspace, python, [s.test_name for s in generated.slots])
    kept = []
    generated.checked, generated.failed = [], []
    for slot in generated.slots:
        why = "pytest could not run it" if failed is None else failed.get(slot.test_name)
        label = _label(generated.ops, slot.operation)
        shown = slot.about or "; ".join(slot.lines)
        if not why:
            kept.append(slot)
            generated.checked.append(f"{label}: checks `{shown}` from the request")
            continue
        generated.failed.append(
            f"{slot.about} ({label}; its test {slot.test_name} fails)"
            if slot.about
            else f"`{shown}` ({label}): {why}"
        )
        verdict = "kept for the next round" if keep_failing else "dropped"
        generated.checked.append(f"{label}: {verdict} `{shown}`, its test failed: {why}")
    return kept
