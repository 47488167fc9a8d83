"""Filling one slot with the model: prompt, answer, splice, checks, retries.

For each slot: a short prompt (`fill.prompt`), one answer, the body spliced into the
slot (`fill.code`) and checked at once (`fill.check`: forbidden constructs and request
data reaching a sink, compile, ruff F/E9/B/S, an import of the module). Problems go back
to the model in a fresh prompt, up to `max_retries` times. A slot that never passes
keeps its 501 body and is reported as not implemented.

    filler = SlotFiller(plan, out, model)
    reports = [filler.fill(slot) for slot in slots_for(plan)]
"""

from __future__ import annotations

import ast
import re
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from bdev.fsutil import write_text_atomic
from bdev.llm.base import Message, Model, ModelError, opens_reply, retry_sampling
from bdev.prompts import render
from bdev.specfirst.codegen.routes import sends_attachment
from bdev.specfirst.codegen.slots import PROVIDED_NAMES, Slot
from bdev.specfirst.constraints import read_constraints
from bdev.specfirst.fill.arguments import guard_options
from bdev.specfirst.fill.catches import non_exceptions_caught
from bdev.specfirst.fill.check import forbidden, import_problem, request_sources, ruff_problems
from bdev.specfirst.fill.code import (
    CodeError,
    Route,
    body_from,
    extract_code,
    function_named,
    function_source,
    indent_first_line,
    require_statements,
    splice,
)
from bdev.specfirst.fill.counters import lost_updates, read_changes_data
from bdev.specfirst.fill.effects import (
    attachment_missing,
    commands_not_run,
    exit_status_unread,
    named_commands,
    removes_what_it_saved,
)
from bdev.specfirst.fill.fields import unknown_body_fields
from bdev.specfirst.fill.filenames import refuses_every_file_name
from bdev.specfirst.fill.imports import clean_imports, import_for, module_scope, skeleton_exports
from bdev.specfirst.fill.mentions import (
    constant_fields,
    flag_fields,
    stored_fields,
    stored_fields_of,
    unshown_fields,
    unused_named_fields,
)
from bdev.specfirst.fill.order import reversed_order
from bdev.specfirst.fill.prompt import messages_for, own_sentences, related, shown
from bdev.specfirst.fill.repair import inputs_of, repair
from bdev.specfirst.fill.samples import command_samples
from bdev.specfirst.fill.settings import unnamed_settings
from bdev.specfirst.fill.statuses import undocumented_errors
from bdev.specfirst.fill.tables import (
    Fields,
    fields_written,
    folders_written,
    lookups_by_field,
    merge_fields,
    tables_used,
    unfilled_reads,
    unstored_fields,
)
from bdev.specfirst.plan import Operation, ServicePlan

_UNDEFINED = re.compile(r"Undefined name `([A-Za-z_][A-Za-z0-9_]*)`")
MAX_PROBLEMS = 5  # per retry message: a small model fixes a few things at a time
_ANSWER_KEPT = 8000  # characters of an answer kept in the transcript (replies are capped)


class SlotReport(BaseModel):
    """How filling one slot went; `implemented` only when a body passed every check."""

    operation_id: str
    status: Literal["implemented", "not implemented"] = "not implemented"
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    problems: list[str] = Field(default_factory=list)  # of the last failed attempt
    refills: int = 0  # times verification sent it back


class SlotFiller:
    def __init__(
        self,
        plan: ServicePlan,
        out: Path,
        model: Model,
        *,
        single_file: bool = False,
        max_retries: int = 2,
        progress: Callable[[str], None] | None = None,
        allows: Callable[[str], bool] | None = None,
        record: Callable[..., object] | None = None,
    ) -> None:
        """`allows`: whether the task allows a package (None: it names no list).
        `record(kind, **data)` gets a "slot_attempt" event per answer: its code and the
        problems found, so a rejected slot can be read afterwards."""
        self.plan, self.out, self.model = plan, out, model
        self.record = record or (lambda _kind, **_data: None)
        self.allows = allows
        self.single_file = single_file
        self.max_retries = max_retries
        self.progress = progress or (lambda _text: None)
        self.module = "app" if single_file else "app.handlers"
        self.exports = skeleton_exports(out, single_file)
        # When the skeleton itself does not import (a package missing here), the import
        # check would blame every body for it: it is then left out.
        self.check_import = import_problem(out, self.module) is None
        # Every variable the task names (settings, the database, secrets) may be read.
        self.settings = frozenset(v.name for v in read_constraints(plan.describe or "").env)
        self._samples: dict[str, list[str]] = {}  # what each operation's commands print
        self._only_heuristics = False  # the last `_try` was refused by `_unmet` alone

    def fill(
        self, slot: Slot, *, evidence: str | None = None, report: SlotReport | None = None
    ) -> SlotReport:
        """Fill `slot` (again, with `evidence` of what failed); the file is left with the
        new body when it passed the checks, else as it was."""
        report = report or SlotReport(operation_id=slot.operation_id)
        path = self.out / slot.file
        base = path.read_text(encoding="utf-8")
        op = self.plan.operation(slot.operation_id)
        previous = function_source(base, slot) if evidence else None
        written = self._written_related(base, slot)
        folder = self._only_in_folder(base, op)
        if op.operation_id not in self._samples:
            own = own_sentences(self.plan.describe or "", op)
            self._samples[op.operation_id] = command_samples(own, op)
        messages = messages_for(
            self.plan, op, slot, previous=previous, evidence=evidence, written=written,
            folder=folder, samples=self._samples[op.operation_id],
        )  # fmt: skip
        started = time.monotonic()
        opening = messages
        # Opened with the function's own first line, a small model writes the body
        # instead of a page of imports (which it can repeat to the token cap) or a
        # whole app around it.
        start = f"```python\n{slot.signature.strip()}\n" if opens_reply(self.model) else ""
        heuristic: tuple[int, str] | None = None  # (problems, answer)
        for attempt in range(1, self.max_retries + 2):
            report.attempts += 1
            asked = [*messages, Message("assistant", start)] if start else messages
            try:
                with retry_sampling(self.model, attempt):
                    answer = self.model.complete(asked, [])
            except ModelError as e:
                report.problems = [f"the model could not answer: {e}"]
                break
            report.input_tokens += answer.usage.input_tokens
            report.output_tokens += answer.usage.output_tokens
            text = start + (indent_first_line(answer.content) if start else answer.content)
            last = attempt == self.max_retries + 1
            problems = self._try(slot, path, base, text)
            fewer = heuristic is None or len(problems) <= heuristic[0]
            if problems and self._only_heuristics and fewer:
                # Refused by the heuristics alone: the one that missed least (the latest
                # of equals) is what the last attempt keeps.
                heuristic = (len(problems), text)
            if problems and last and heuristic is not None:
                # A body that misses a heuristic still beats a 501 (see `_try`).
                if heuristic[1] != text:
                    self.progress(f"fill {slot.operation_id}: kept an earlier answer")
                text = heuristic[1]
                problems = self._try(slot, path, base, text, last=True)
            if not problems and previous is not None and _same_code(path, slot, previous):
                # Sampled alike, a re-fill can give back the very body that failed: that
                # is no fix, so it goes back, and the next attempt samples warmer.
                write_text_atomic(path, base)
                problems = [_UNCHANGED]
            self.record(
                "slot_attempt",
                operation_id=slot.operation_id,
                attempt=attempt,
                answer=text[:_ANSWER_KEPT],
                problems=problems,
            )
            self.progress(
                f"fill {slot.operation_id}: attempt {attempt} "
                + ("ok" if not problems else f"rejected ({problems[0][:100]})")
            )
            if not problems:
                report.status, report.problems = "implemented", []
                break
            report.problems = problems
            # A fresh conversation with the rejection noted: shown its own answer, a small
            # model tends to send it back unchanged.
            messages = [*opening[:-1], _with_rejection(opening[-1], problems[:MAX_PROBLEMS])]
        report.seconds = round(report.seconds + time.monotonic() - started, 3)
        return report

    def _written_related(self, base: str, slot: Slot) -> list[str]:
        """The handlers already written (by the skeleton or the model) for the same data,
        at most two: how they store it is how this one must read it."""
        op = self.plan.operation(slot.operation_id)
        out: list[str] = []
        for other in self.plan.operations:
            if len(out) == 2 or not related(self.plan, op, other):
                continue
            source = function_named(base, other.operation_id)
            if source is not None and "raise NotImplementedError" not in source:
                out.append(shown(source))
        return out

    def _only_in_folder(self, base: str, op: Operation) -> str | None:
        """The setting of the folder a read's data is in, when every writer is written,
        saves files there and no handler, written or generated, touches the store: the
        read is then shown the folder and not the store, which a small model reaches for
        first."""
        if op.method != "get":
            return None
        folders: set[str] = set()
        for other in self.plan.operations:
            if other.operation_id == op.operation_id:
                continue
            source = function_named(base, other.operation_id) or ""
            if any(tables_used(source)) or "store." in source:
                return None
            if other.method != "get" and "raise NotImplementedError" in source:
                return None
            folders |= folders_written(source)
        return sorted(folders)[0] if len(folders) == 1 else None

    def _unfilled_reads(self, base: str, op: Operation, code: str) -> list[str]:
        """Reads of a table nothing writes, once every operation that could write one
        has its handler (before that, the writer may simply not be written yet)."""
        written = set(self.plan.resources)
        folders: set[str] = set()
        fields: Fields = {}  # the skeleton's handlers are read too (their rows: unknown)
        for other in self.plan.operations:
            if other.operation_id == op.operation_id:
                continue
            source = function_named(base, other.operation_id) or ""
            if other.method != "get" and "raise NotImplementedError" in source:
                return []
            written |= tables_used(source)[1]
            folders |= folders_written(source)
            fields = merge_fields(fields, fields_written(source))
        id_fields = {t: r.id_field for t, r in self.plan.resources.items()}
        unfilled = unfilled_reads(code, written, folders)
        holds = {t: set(f) for t, f in fields.items() if f}
        for other in self.plan.operations:  # what the skeleton's creates keep, at least
            if other.resource and other.kind in ("create", "register", "issue_key"):
                holds.setdefault(other.resource, set()).update(stored_fields_of(self.plan, other))
        return (
            unfilled
            + unstored_fields(code, fields, id_fields)
            + lookups_by_field(code, holds, id_fields)
        )

    def _copied(self, base: str, op: Operation, body: list[str]) -> list[str]:
        """A body that is another operation's handler word for word: shown the handlers
        for the same data, a small model copies the writer into the reader."""
        mine = _statements("\n".join(body))
        for other in self.plan.operations:
            if other.operation_id == op.operation_id or mine is None:
                continue
            source = function_named(base, other.operation_id)
            if source is None or _statements(source, function=True) != mine:
                continue
            return [
                f"this is the code of {other.operation_id} ({other.method.upper()} "
                f"{other.path}) again; {op.operation_id} ({op.method.upper()} {op.path}) "
                f"is a different operation: {op.summary or 'see its requirements'}"
            ]
        return []

    def _try(
        self, slot: Slot, path: Path, base: str, answer: str, *, last: bool = False
    ) -> list[str]:
        """Splice the answer's body in and check it; [] when it was accepted (and written).
        On the `last` attempt the checks of the task's requirements (`_unmet`) no longer
        refuse: they are heuristics, and a body that misses one still beats a 501; what
        they found goes to the progress line."""
        self._only_heuristics = False
        op = self.plan.operation(slot.operation_id)
        try:
            scope = module_scope(base)
            skeleton = frozenset(scope - {slot.operation_id}) | PROVIDED_NAMES
            body = body_from(extract_code(answer), slot.operation_id, skeleton, route_of(op))
        except CodeError as e:
            return [str(e)]
        folder = self._only_in_folder(base, op)
        body, repaired = repair(body, inputs=inputs_of(self.plan, slot.operation_id), folder=folder)
        body, guarded = guard_options(body, request_sources(slot.signature))
        repaired += guarded
        if repaired:
            self.progress(f"fill {slot.operation_id}: rewrote {'; '.join(repaired)}")
        body, problems = clean_imports(body, scope | set(self.exports), self.allows)
        try:  # after the rewrites: dropped imports may have been all there was
            require_statements(body)
        except CodeError as e:
            return [str(e)]
        code = "\n".join(body)
        problems += forbidden(code, request_sources(slot.signature), operation=slot.operation_id)
        problems += unnamed_settings(code, self.settings)
        problems += undocumented_errors(code, op, self.plan.describe or "")
        problems += unknown_body_fields(code, self.plan, op)
        problems += non_exceptions_caught(code)
        unmet = self._unmet(base, op, body, code)
        if problems:
            return problems + unmet
        if unmet and last:
            self.progress(f"fill {slot.operation_id}: kept despite: {'; '.join(unmet)[:300]}")
        problems = self._splice_and_lint(slot, path, base, body)
        if not problems and self.check_import:
            failed = import_problem(self.out, self.module)
            problems = [f"importing the module failed: {failed}"] if failed else []
        if unmet and not last:
            # Refused on the heuristics; whether it is otherwise sound decides whether it
            # may stand in for a last answer that is not (see `fill`).
            self._only_heuristics = not problems
            problems = unmet + problems
        if problems:
            write_text_atomic(path, base)
        return problems

    def _unmet(self, base: str, op: Operation, body: list[str], code: str) -> list[str]:
        """What the body misses of the task's requirements and the other handlers: read
        from words and neighbours, so heuristics (see `_try`)."""
        own = own_sentences(self.plan.describe or "", op)
        unmet = self._copied(base, op, body)
        unmet += commands_not_run(code, named_commands(own))
        # The route already sends a download the spec calls an attachment as one.
        if op.method == "get" and not sends_attachment(op):
            unmet += attachment_missing(code, own)
        fields = stored_fields(self.plan, op)
        unmet += unused_named_fields(code, op, own, fields, flag_fields(self.plan))
        unmet += unshown_fields(code, op, own, fields) + constant_fields(code, op, fields)
        unmet += removes_what_it_saved(code)
        unmet += exit_status_unread(code, "404" in op.responses)
        unmet += lost_updates(code) + read_changes_data(code, op.method, own, op.path)
        unmet += reversed_order(code, own)
        unmet += refuses_every_file_name(code)
        return unmet + self._unfilled_reads(base, op, code)

    def _splice_and_lint(self, slot: Slot, path: Path, base: str, body: list[str]) -> list[str]:
        """Write the spliced file and lint the body; each pass may add imports for names
        the body forgot. Returns the problems left (the caller restores the file)."""
        for _ in range(3):
            try:
                source, first, last = splice(base, slot, body)
                compile(source, str(path), "exec")
            except CodeError as e:
                return [str(e)]
            except SyntaxError as e:
                return [f"line {(e.lineno or 0) - first}: SyntaxError: {e.msg}"]
            write_text_atomic(path, source)
            found = ruff_problems(path, first, last) or []
            missing = [m.group(1) for _, msg, _ in found if (m := _UNDEFINED.search(msg))]
            lines = (
                import_for(n, source, self.exports, self.allows) for n in dict.fromkeys(missing)
            )
            imports = [line for line in lines if line]
            if not imports:
                return [f"line {row - first}: {code} {msg}" for code, msg, row in found]
            body = [*imports, *body]
        return ["the body still uses undefined names after adding their imports"]


def route_of(op: Operation) -> Route:
    """The operation's method, path and path parameters (handler names, in path order)."""
    by_name = {p.name: p.py_name for p in op.params if p.location == "path"}
    order = re.findall(r"\{([^}]+)\}", op.path)
    return Route(op.method, op.path, tuple(by_name[n] for n in order if n in by_name))


_UNCHANGED = (
    "This is the same code that failed the checks above: change the lines the failure "
    "points at (the traceback's last line names the error)."
)


def _statements(source: str, *, function: bool = False) -> str | None:
    """A body's statements (or a function's) as a comparable dump: docstrings, comments
    and layout aside."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    body = tree.body
    if function:
        if not (body and isinstance(body[0], ast.FunctionDef)):
            return None
        body = body[0].body
    statements = [
        s for s in body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]  # fmt: skip
    return ast.dump(ast.Module(statements, [])) if statements else None


def _same_code(path: Path, slot: Slot, previous: str) -> bool:
    """Whether the slot's function in `path` is `previous` again (comments and layout
    aside)."""
    try:
        now = function_source(path.read_text(encoding="utf-8"), slot)
        return ast.dump(ast.parse(now)) == ast.dump(ast.parse(previous))
    except (SyntaxError, StopIteration):
        return False


def _with_rejection(prompt: Message, problems: list[str]) -> Message:
    return Message("user", render("fill_rejected", prompt=prompt.content, problems=problems))
