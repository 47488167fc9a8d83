"""The program-led implementation round: bdev plans, the model fills one checked slot.

A 1.5B model given tools and a whole task wanders: it rewrites the same file, appends
junk to it, or claims work it never did. Here the program takes every decision a small
model gets wrong and leaves it one narrow job per step:

1. locate (`locate`): which file the request is about, and which slots in it;
2. change, one slot at a time, the smallest that fits: for each existing route the
   request names, the handler function; for a route it names that does not exist yet,
   new code added to the module; otherwise the whole file. The model sees the request,
   the file, the service's failing tests (`failing`), the standard remedy for the
   weakness the request names (`remedies`) and any feedback from the last readiness
   check, and answers with the slot's code only; bdev splices it in (`splice`), puts the
   request's rules on it (`guards`, `rechecks`), fixes the slips it knows (`orderby`,
   `columns`), and checks the file at once (it parses; ruff finds no undefined names;
   it imports; the service's own tests pass: `suitecheck`) and sends problems back, a
   few times at most, before writing it atomically;
3. tests and verify are the backend workflow's (`backend.run_backend_workflow`): bdev
   writes the API tests, the audit measures, failing gates come back here as feedback.

It answers the same two calls as `Runner` (`start`, `resume`), so the workflow drives it
exactly as it drives the free loop, and it keeps the same session transcript.
"""

from __future__ import annotations

import ast
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bdev import __version__
from bdev.agents.definition import AgentDefinition
from bdev.backend.facts import BackendFacts
from bdev.backend.openapi import route_shape
from bdev.fsutil import write_text_atomic
from bdev.llm.base import Message, Model, ModelError, Usage, model_setting, retry_sampling
from bdev.prompts import render
from bdev.runtime.events import Emitter, EventType, FormatError
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.runtime.session import Transcript, find_session, new_session_id, sessions_dir
from bdev.specfirst.fill.check import ruff_problems
from bdev.specfirst.fill.code import CodeError, extract_code
from bdev.workflow.bindings import drop_unused_values, miscounted_values
from bdev.workflow.callers import caller_idiom
from bdev.workflow.columns import alias_columns, response_fields
from bdev.workflow.effects import dropped_effects
from bdev.workflow.emptysums import zero_sums
from bdev.workflow.failing import failing_sources
from bdev.workflow.guards import GUARDED, folded, guard, reading_hint
from bdev.workflow.helpers import dropped_helpers
from bdev.workflow.locate import Slot, Target, locate, next_round_slots, shape
from bdev.workflow.migration import earlier_migrations, write_migration
from bdev.workflow.named import names_for
from bdev.workflow.newroutes import missing_routes, own_names
from bdev.workflow.orderby import reorder
from bdev.workflow.rechecks import drop_rechecks
from bdev.workflow.remedies import closes_injection, remedies_for, unremedied
from bdev.workflow.routeargs import unfilled_arguments
from bdev.workflow.splice import add_code, module_name, not_taken, replace_function
from bdev.workflow.sqlcheck import unknown_columns
from bdev.workflow.sqlparams import parameterize
from bdev.workflow.stated import Stated, read_stated
from bdev.workflow.suitecheck import Outcome, Service, find_service

MAX_ATTEMPTS = 3  # answers per change step: one, plus two with the problems shown
MAX_PROBLEMS = 5  # per retry: a small model fixes a few things at a time
MAX_FILE_TOKENS = 3072  # the output cap for a whole-file answer (of an 8k context)
_UNCHANGED = "That leaves the file as it was: nothing changed. Make the requested change."


@dataclass
class GuidedRun:
    """Runs the change step in place of the agent loop; see the module docstring."""

    runner: Runner
    target: Target | None = None
    facts: BackendFacts | None = None
    progress: Callable[[str], None] | None = None
    _definition: AgentDefinition | None = field(default=None, repr=False)
    _task: str = field(default="", repr=False)
    _steps: int = field(default=0, repr=False)  # model calls so far, over every round
    _usage: Usage = field(default_factory=Usage, repr=False)  # of the current round
    _model_error: str = field(default="", repr=False)
    _stated: Stated = field(default_factory=Stated, repr=False)  # the request's own rules
    _fields: list[str] = field(default_factory=list, repr=False)  # the response it spells out
    _service: Service | Literal[False] | None = field(default=None, repr=False)
    _outcome: Outcome | None = field(default=None, repr=False)  # the suite's, if still current
    # The slots an answer of this run was written into (by their file and name).
    _answered: set[tuple[str, str]] = field(default_factory=set, repr=False)
    # The top-level functions of each file as this run first saw it: any other is the
    # run's own, which a later round's answer may rewrite (by file).
    _found: dict[str, set[str]] = field(default_factory=dict, repr=False)

    @property
    def workspace(self) -> Path:
        return self.runner.workspace

    def start(
        self,
        task: str,
        definition: AgentDefinition,
        *,
        on_start: Callable[[Emitter], str] | None = None,
    ) -> tuple[str, RunResult]:
        self._definition = definition
        self._task = task
        self._stated = read_stated(task, route_shape=route_shape)
        self._fields = response_fields(task)
        session_id = new_session_id()
        transcript = Transcript(sessions_dir(self.workspace) / f"{session_id}.jsonl")
        emit = Emitter(transcript, *self.runner.sinks)
        try:
            model = self.runner.model_for(definition)
            emit(
                EventType.SESSION_START,
                session_id=session_id,
                version=__version__,
                agent=definition.name,
                agent_path=str(definition.path) if definition.path else None,
                agent_source=definition.source,
                model=model.name,
                task=task,
                workspace=str(self.workspace),
                permission_mode=self.runner.config.permissions.mode,
                tools=["Write"],
                route="program-led",
            )
            if on_start is not None:
                on_start(emit)  # the context exchange; this route reads the facts itself
            if self.target is None:
                service = self._service_code()
                before = service.run() if service is not None and service.has_tests else None
                self._outcome = before  # the first slot's "before": nothing changed since
                failing = sorted(before.failed) if before is not None else []
                self.target = locate(task, self.workspace, self.facts, failing)
            emit(EventType.PHASE, name="locate", file=self.target.path, reason=self.target.reason)
            return session_id, self._change(model, emit, feedback="")
        finally:
            transcript.close()

    def resume(self, session_id: str, instruction: str | None = None) -> tuple[str, RunResult]:
        assert self._definition is not None, "resume follows start"
        transcript = Transcript(find_session(self.workspace, session_id))
        emit = Emitter(transcript, *self.runner.sinks)
        try:
            model = self.runner.model_for(self._definition)
            if self.target is not None:
                self.target.slots = next_round_slots(self._task, self.workspace, self.target)
                emit(EventType.PHASE, name="locate", file=self.target.path, reason="next round")
            return session_id, self._change(model, emit, feedback=instruction or "")
        finally:
            transcript.close()

    # -- the change step -----------------------------------------------------------

    def _change(self, model: Model, emit: Emitter, feedback: str) -> RunResult:
        """Fill every slot of the target in turn; the first that never passes ends it."""
        assert self.target is not None
        started = time.monotonic()
        self._usage = Usage()
        self._guard(emit)
        for slot in self.target.slots:
            problems = self._fill(model, emit, slot, feedback)
            if problems is None:
                detail = self._model_error
                return self._end(emit, RunStatus.MODEL_ERROR, started, detail)
            if problems:
                detail = f"{_slot_name(slot)}: no answer passed the checks: {'; '.join(problems)}"
                return self._end(emit, RunStatus.FORMAT_ERRORS, started, detail)
        done = ", ".join(_slot_name(s) for s in self.target.slots)
        final = f"bdev wrote the model's code into {self.target.path} ({done})"
        return self._end(emit, RunStatus.COMPLETED, started, "", final)

    def _fill(self, model: Model, emit: Emitter, slot: Slot, feedback: str) -> list[str] | None:
        """Ask for one slot until it passes; [] when written, the last problems when it
        never passed, None when the model could not be reached."""
        assert self.target is not None
        path = self.workspace / (slot.file or self.target.path)
        key = (str(path), _slot_name(slot))
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        found = self._found.setdefault(str(path), _function_names(current))
        added = _function_names(current) - found - {slot.function}
        ours = sorted(added & _called_by(current, slot.function))  # the helpers it calls
        if self.progress:
            self.progress(f"change: {self.target.path}, {_slot_name(slot)} ({self.target.reason})")
        service = self._service_code() if slot.kind != "migration" else None
        suite = service if service is not None and service.has_tests else None
        before = (self._outcome or suite.run()) if suite is not None else None
        prompt = render(
            "guided_change",
            task=self._task,
            file=slot.file or self.target.path,
            current=folded(current) if current is not None else None,
            earlier=earlier_migrations(path) if slot.kind == "migration" else [],
            kind=slot.kind,
            route=slot.route,
            function=slot.function,
            ours=ours if slot.kind == "function" else [],
            feedback=feedback,
            failing=failing_sources(self.workspace, before.failed) if before else [],
            useful=[*names_for(self._task, current), *remedies_for(self._task, current)],
            caller=_caller_hint(current) if slot.kind == "append" else None,
            rules=self._stated.checklist(),
            guarded=reading_hint(self._stated, self._framework())
            if self._framework() in GUARDED
            else "",
        )
        messages = [Message("system", render("guided_system")), Message("user", prompt)]
        for message in messages:
            emit(EventType.MESSAGE, message=message.to_dict())
        self._outcome = None
        best: _Candidate | None = None
        problems: list[str] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._steps += 1
            t0 = time.monotonic()
            try:
                with (
                    model_setting(model, "max_tokens", _room_for(slot, current)),
                    # A later round starts warmer: greedy, a small model answers the new
                    # feedback with the very code the last round wrote.
                    retry_sampling(model, attempt + (1 if feedback else 0)),
                ):
                    response = model.complete(messages, [])
            except ModelError as e:
                self._model_error = str(e)
                return None
            self._usage = self._usage + response.usage
            emit(
                EventType.MODEL_CALL,
                step=self._steps,
                model=response.model or model.name,
                usage=response.usage.to_dict(),
                finish_reason=response.finish_reason,
                max_output_tokens=response.max_output_tokens,
                duration_s=round(time.monotonic() - t0, 3),
            )
            answer = Message("assistant", response.content)
            emit(EventType.MESSAGE, message=answer.to_dict())
            left_out: list[str] = []
            if slot.kind == "migration":
                problems = write_migration(path, response.content)
            else:
                new, problems, left_out = _candidate(path, slot, response.content, current, ours)
                if not problems:  # the request's rules stay bdev's, whatever the answer
                    new = reorder(guard(new, self._stated, self._framework()).text)
                    written = _written(slot, new, current, ours)
                    new = drop_rechecks(new, written)
                    new = alias_columns(new, written, self._fields)
                    if closes_injection(self._task):
                        new = parameterize(new, written)
                    new = drop_unused_values(new, written)
                    new = zero_sums(new, written, self._task)
                    if current is not None and new.strip() == current.strip():
                        problems = [_UNCHANGED]
                    else:
                        problems = [
                            *unremedied(self._task, new, written),
                            *dropped_helpers(self._task, current, new, written),
                            *dropped_effects(self._task, current, new, written),
                            *unknown_columns(new, written, self.workspace),
                            *miscounted_values(new, written),
                            *unfilled_arguments(new, written),
                        ][:MAX_PROBLEMS]
                if not problems and service is not None:
                    problems = self._imports(service, path, new, current)
            if not problems and suite is not None and before is not None:
                candidate = self._try(suite, before, path, new, current, emit)
                problems = candidate.problems
                best = candidate if best is None or candidate.score < best.score else best
            elif not problems and slot.kind != "migration":
                write_text_atomic(path, new)
            if not problems:
                self._answered.add(key)
                return []
            if left_out:  # the feedback is about the code that ran, not the whole answer
                problems = [*problems, _left_out_note(slot, left_out)]
            kind = FormatError.REJECTED.value
            emit(EventType.FORMAT_ERROR, step=self._steps, kind=kind, errors=problems)
            # A fresh prompt, not the rejected answer plus a complaint: with its own answer
            # in the context a small model copies it back, however it is sampled.
            retry = render("guided_retry", problems=problems, kind=slot.kind)
            messages = [messages[0], Message("user", f"{prompt}\n\n{retry}")]
            emit(EventType.MESSAGE, message=messages[1].to_dict())
        # Once an answer of this run is in the slot, the code as it is was the run's best
        # so far: an answer that fails as many tests gains nothing, and the service must
        # never end worse than a round left it. (Until then the code is as the request
        # found it, and an answer breaking nothing is a step towards the request.)
        if (
            key in self._answered
            and best is not None
            and before is not None
            and current is not None
            and best.score >= (0, len(before.failed))
        ):
            emit(EventType.CHECK, step=self._steps, kept=None, failing=sorted(before.failed))
            return [
                f"no answer did better than the code as it is ({len(before.failed)} tests "
                "failing); the file is left as it was",
                *best.problems[:1],
            ]
        if best is not None and best.score[0] > 0:
            # Every answer broke a test that passed before: none is a step forward.
            emit(EventType.CHECK, step=self._steps, kept=None, failing=best.failing)
            return [
                "every answer broke tests that passed before; the file is left as it was",
                *best.problems[:1],
            ]
        if best is not None:
            # No answer left every test passing: keep the one that left the fewest failing
            # and broke none (the audit and the next round take it from there).
            write_text_atomic(path, best.text)
            emit(EventType.CHECK, step=self._steps, kept=best.attempt, failing=best.failing)
            self._answered.add(key)
            return []
        return problems

    def _framework(self) -> str | None:
        return self.facts.framework if self.facts is not None else None

    def _guard(self, emit: Emitter) -> None:
        """Put the request's rules on the handlers that exist already (`guards`), so the
        model sees them in the code it changes and writes only the logic; left out when
        the module would no longer import with them."""
        assert self.target is not None
        path = self.workspace / self.target.path
        if not path.is_file() or self._framework() not in GUARDED:
            return
        current = path.read_text(encoding="utf-8")
        guarded = guard(current, self._stated, self._framework())
        if not guarded.routes or guarded.text == current:
            return
        service = self._service_code()
        if service is not None and self._imports(service, path, guarded.text, current):
            return
        write_text_atomic(path, guarded.text)
        self._outcome = None  # the suite's last verdict was on the code without them
        emit(EventType.PHASE, name="rules", file=self.target.path, routes=guarded.routes)

    def _service_code(self) -> Service | None:
        """The service's interpreter and tests, found once per run."""
        if self._service is None:
            self._service = find_service(self.workspace) or False
        return self._service or None

    def _imports(self, service: Service, path: Path, text: str, current: str | None) -> list[str]:
        """[] when the module imports with `text` in it (or it was already broken, or
        it cannot be told); the file is as it was afterwards."""
        file = path.relative_to(self.workspace).as_posix()
        was = service.import_error(file) if current is not None else None
        write_text_atomic(path, text)
        try:
            error = service.import_error(file)
        finally:
            _put_back(path, current)
        if error is None or (was is not None and error == was):
            return []
        return [f"With your code in it, `{file}` fails when it is imported: {error}"]

    def _try(
        self,
        suite: Service,
        before: Outcome,
        path: Path,
        text: str,
        current: str | None,
        emit: Emitter,
    ) -> _Candidate:
        """Run the suite with `text` in place; the file is put back unless every test
        passes."""
        write_text_atomic(path, text)
        after = suite.run()
        if after is None:
            failing = {"the test suite": "pytest could not run it (it timed out or crashed)"}
            broken = failing
            problems = ["With your code in place the service's tests could not run at all."]
        else:
            failing, broken = after.failed, after.regressions(before)
            problems = [
                f"Test {t} passed before your change and fails with it:\n{why}"
                for t, why in broken.items()
            ] + [f"Test {t} fails:\n{why}" for t, why in failing.items() if t not in broken]
        emit(
            EventType.CHECK,
            step=self._steps,
            passed=after.passed if after is not None else 0,
            failing=sorted(failing),
        )
        if problems:
            _put_back(path, current)
        score = (len(broken), len(failing))
        return _Candidate(text, problems[:MAX_PROBLEMS], score, self._steps, sorted(failing))

    def _end(
        self,
        emit: Emitter,
        status: RunStatus,
        started: float,
        detail: str,
        final: str = "",
    ) -> RunResult:
        result = RunResult(
            status=status,
            final=final,
            steps=self._steps,
            usage=self._usage,
            duration_s=time.monotonic() - started,
            detail=detail,
        )
        emit(
            EventType.END,
            status=status.value,
            final=final,
            detail=detail,
            steps=self._steps,
            usage=self._usage.to_dict(),
            duration_s=round(result.duration_s, 3),
        )
        return result


def _caller_hint(current: str | None) -> str | None:
    """How the file's routes take their caller, for a new route that needs one."""
    idiom = caller_idiom(current) if current is not None else None
    return idiom.hint() if idiom else None


def _put_back(path: Path, current: str | None) -> None:
    """The file as it was before a candidate was tried in place."""
    if current is None:
        path.unlink(missing_ok=True)
    else:
        write_text_atomic(path, current)


def _written(slot: Slot, new: str, current: str | None, ours: Sequence[str] = ()) -> set[str]:
    """The functions the model wrote in this slot: the one it was given (and those of
    `ours` it rewrote), or those its code added to the module or changed in it."""
    try:
        before = _function_sources(current) if current else {}
        after = _function_sources(new)
    except SyntaxError:
        return {slot.function} if slot.kind == "function" else set()
    changed = {name for name, source in after.items() if before.get(name) != source}
    if slot.kind == "function":
        return {slot.function} | (changed & set(ours))
    return changed


def _called_by(code: str | None, function: str) -> set[str]:
    """The names the module-level `function` of `code` uses (the helpers it calls)."""
    try:
        tree = ast.parse(code or "")
    except SyntaxError:
        return set()
    node = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == function
        ),
        None,
    )
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node else set()


def _function_names(code: str | None) -> set[str]:
    try:
        return set(_function_sources(code)) if code else set()
    except SyntaxError:
        return set()


def _function_sources(code: str) -> dict[str, str]:
    return {
        node.name: ast.dump(node)
        for node in ast.parse(code).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _slot_name(slot: Slot) -> str:
    if slot.kind == "migration":
        return f"the new migration {slot.file}"
    if slot.kind == "function":
        return f"{slot.function}() for {slot.route}" if slot.route else f"{slot.function}()"
    if slot.kind == "append":
        return f"new code for {slot.route}"
    return "the whole file"


def _room_for(slot: Slot, current: str | None) -> Callable[[int], int]:
    """The output cap for a slot: the model's own, raised for a whole-file answer to
    what the file's text needs (about 3 characters a token) plus room to grow."""
    if slot.kind != "file" or current is None:
        return lambda cap: cap
    need = min(len(current) // 3 + 768, MAX_FILE_TOKENS)
    return lambda cap: max(cap, need)


def _candidate(
    path: Path, slot: Slot, answer: str, current: str | None, ours: Sequence[str] = ()
) -> tuple[str, list[str], list[str]]:
    """The file's new text with the answer spliced in, the problems found in it (it must
    compile, and ruff must find no undefined names), and the names the answer redefined
    that the splice left out; nothing is written. `ours`: the helpers an earlier round of
    this run added, which the answer may rewrite too (a helper refusing everyone is fixed
    there, not in the route that calls it)."""
    try:
        code = extract_code(answer)
    except CodeError as e:
        return "", [str(e)], []
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        if "```" not in answer:  # prose, most likely: say what was expected
            return "", ["Your answer held no ```python block with the code."], []
        return "", [f"Line {e.lineno}: {e.msg}. Send the whole answer again, fixed."], []
    if slot.kind == "append" and slot.route and current is not None:
        renamed = own_names(slot.route.split(", "), current, code, shape)
        if renamed != code:
            code, tree = renamed, ast.parse(renamed)
    if slot.kind == "file" or current is None:
        new = code
    elif slot.kind == "function":
        defined = {
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if slot.function not in defined:
            return (
                "",
                [f"Your answer must define the function `{slot.function}` (with its decorator)."],
                [],
            )
        new = replace_function(current, slot.function, tree, code, module_name(path))
        for helper in sorted(defined & set(ours) - {slot.function}):
            new = replace_function(new, helper, tree, code, module_name(path))
    else:
        new = add_code(current, tree, code, module_name(path))
    try:
        compile(new, str(path), "exec", dont_inherit=True)  # also what ast.parse lets by
    except SyntaxError as e:
        return (
            "",
            [f"The file does not compile with your code in it: line {e.lineno}: {e.msg}."],
            [],
        )
    new = new if new.endswith("\n") else new + "\n"
    missing = (
        missing_routes(slot.route.split(", "), current, new, shape)
        if slot.kind == "append" and slot.route
        else []
    )
    problems = [*missing, *_defined_twice(new, current), *_undefined_names(new, path.name)]
    kept = {slot.function, *ours} if slot.kind == "function" else set()
    left_out = not_taken(current, tree, kept) if slot.kind != "file" and current else []
    return new, problems[:MAX_PROBLEMS], left_out


def _left_out_note(slot: Slot, names: list[str]) -> str:
    """What the splice did not take, so that feedback about the file as it ran is not
    read as feedback about the whole answer."""
    listed = ", ".join(f"`{name}`" for name in names[:4])
    listed += f" and {len(names) - 4} more" if len(names) > 4 else ""
    taken = f"only `{slot.function}`" if slot.kind == "function" else "only new code"
    return (
        f"From your answer {taken} was used; your changes to {listed} were left out, and "
        "the file keeps its own. Do not rely on changing them."
    )


def _defined_twice(new: str, current: str | None) -> list[str]:
    """Functions and classes the new text defines twice at the top level (the second
    silently replaces the first), where the file as it was did not."""
    had = _top_level_defs(current) if current else {}
    return [
        f"line {lines[-1]}: `{name}` is defined twice (lines {', '.join(map(str, lines))}); "
        "define it once, with its decorator"
        for name, lines in _top_level_defs(new).items()
        if len(lines) > 1 and len(had.get(name, [])) < len(lines)
    ]


def _top_level_defs(code: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return found
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(node.lineno)
    return found


@dataclass
class _Candidate:
    """A change that passed the static checks, as the service's tests judged it."""

    text: str
    problems: list[str]
    score: tuple[int, int]  # (tests it broke, tests failing with it): lower is better
    attempt: int
    failing: list[str]


def _undefined_names(code: str, name: str) -> list[str]:
    """Ruff's verdict on the new text, checked in a scratch folder before the workspace
    is touched; only what makes a file wrong counts, not what makes it untidy."""
    with tempfile.TemporaryDirectory(prefix="bdev-change-") as scratch:
        candidate = Path(scratch) / name
        candidate.write_text(code, encoding="utf-8")
        found = ruff_problems(candidate, 1, code.count("\n") + 1) or []
    return [f"line {row}: {msg}" for code_, msg, row in found if _blocks(code_)]


def _blocks(code: str) -> bool:
    """Ruff findings that make a file wrong, not merely untidy: syntax errors and
    undefined names (F821, F822, F823)."""
    return code.startswith(("E9", "F82"))
