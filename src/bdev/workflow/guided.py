"""The program-led implementation round: bdev plans, the model fills one checked slot.

A 1.5B model given tools and a whole task wanders: it rewrites the same file, appends
junk to it, or claims work it never did. Here the program takes every decision a small
model gets wrong and leaves it one narrow job per step:

1. locate: which file the request is about: a file it names, else the file that owns
   the routes it names (`bdev analyze`), else the service's entry module, else `app.py`
   for a new service;
2. change: the model gets the request, that file's current text and any feedback from
   the last readiness check, and answers with the file's complete new text; bdev checks
   it at once (it parses; ruff finds no undefined names or syntax errors) and sends the
   problems back, a few times at most, before writing it atomically;
3. tests and verify are the backend workflow's (`backend.run_backend_workflow`): bdev
   writes the API tests, the audit measures, failing gates come back here as feedback.

It answers the same two calls as `Runner` (`start`, `resume`), so the workflow drives it
exactly as it drives the free loop, and it keeps the same session transcript.
"""

from __future__ import annotations

import ast
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bdev import __version__
from bdev.agents.definition import AgentDefinition
from bdev.backend.facts import BackendFacts
from bdev.fsutil import write_text_atomic
from bdev.llm.base import Message, Model, ModelError, Usage
from bdev.prompts import render
from bdev.runtime.events import Emitter, EventType
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.runtime.session import Transcript, find_session, new_session_id, sessions_dir
from bdev.specfirst.fill.check import ruff_problems
from bdev.specfirst.fill.code import CodeError, extract_code

MAX_ATTEMPTS = 3  # answers per change step: one, plus two with the problems shown
MAX_PROBLEMS = 5  # per retry: a small model fixes a few things at a time
DEFAULT_FILE = "app.py"
# A file name the request spells out, e.g. "create app.py" or "fix app/routes.py".
_NAMED_FILE = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.py)\b")
_STATIC_SEGMENT = re.compile(r"/[A-Za-z][\w-]*")


@dataclass
class Target:
    """The file a change step rewrites, and why it was chosen (shown to the user)."""

    path: str
    reason: str


def locate(task: str, workspace: Path, facts: BackendFacts | None) -> Target:
    """The one file the request is about (see the module docstring for the order)."""
    named = [m.group(1) for m in _NAMED_FILE.finditer(task)]
    source_files = [n for n in named if not Path(n).name.startswith("test_")]
    if source_files:
        return Target(source_files[0], "named in the request")
    if facts is not None:
        owners = _route_owners(task, facts)
        if owners:
            return Target(owners[0], "owns the routes the request names")
        if facts.entry_point is not None and facts.entry_point.file:
            return Target(facts.entry_point.file, "the service's entry module")
    return Target(DEFAULT_FILE, "a new service's module")


def _route_owners(task: str, facts: BackendFacts) -> list[str]:
    """Files of the endpoints whose static path segments the request mentions, the
    most-mentioned first."""
    text = task.lower()
    scores: dict[str, int] = {}
    for endpoint in facts.endpoints:
        if endpoint.location is None:
            continue
        segments = _STATIC_SEGMENT.findall(endpoint.path.lower())
        hits = sum(1 for s in segments if s in text or s.lstrip("/") in text.split())
        if hits:
            file = endpoint.location.file
            scores[file] = scores.get(file, 0) + hits
    return sorted(scores, key=lambda f: -scores[f])


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
            self.target = self.target or locate(task, self.workspace, self.facts)
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
            return session_id, self._change(model, emit, feedback=instruction or "")
        finally:
            transcript.close()

    # -- the change step -----------------------------------------------------------

    def _change(self, model: Model, emit: Emitter, feedback: str) -> RunResult:
        assert self.target is not None
        started = time.monotonic()
        path = self.workspace / self.target.path
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if self.progress:
            self.progress(f"change: {self.target.path} ({self.target.reason})")
        messages = [
            Message("system", render("guided_system")),
            Message(
                "user",
                render(
                    "guided_change",
                    task=self._task,
                    file=self.target.path,
                    current=current,
                    feedback=feedback,
                ),
            ),
        ]
        for message in messages:
            emit(EventType.MESSAGE, message=message.to_dict())
        usage = Usage()
        steps = first = self._steps
        problems: list[str] = []
        while steps - first < MAX_ATTEMPTS:
            steps += 1
            t0 = time.monotonic()
            try:
                response = model.complete(messages, [])
            except ModelError as e:
                return self._end(emit, RunStatus.MODEL_ERROR, steps, usage, started, str(e))
            usage = usage + response.usage
            emit(
                EventType.MODEL_CALL,
                step=steps,
                model=response.model or model.name,
                usage=response.usage.to_dict(),
                finish_reason=response.finish_reason,
                max_output_tokens=response.max_output_tokens,
                duration_s=round(time.monotonic() - t0, 3),
            )
            answer = Message("assistant", response.content)
            emit(EventType.MESSAGE, message=answer.to_dict())
            problems = self._checked_write(path, response.content, current)
            if not problems:
                verb = "rewrote" if current is not None else "wrote"
                final = f"bdev {verb} {self.target.path} from the model's answer"
                return self._end(emit, RunStatus.COMPLETED, steps, usage, started, "", final)
            emit(EventType.FORMAT_ERROR, step=steps, errors=problems)
            retry = Message("user", render("guided_retry", problems=problems))
            emit(EventType.MESSAGE, message=retry.to_dict())
            messages += [answer, retry]
        detail = f"no answer passed the checks: {'; '.join(problems)}"
        return self._end(emit, RunStatus.FORMAT_ERRORS, steps, usage, started, detail)

    def _checked_write(self, path: Path, answer: str, current: str | None) -> list[str]:
        """Problems with the answer, or [] once the new text is written."""
        try:
            code = extract_code(answer)
        except CodeError as e:
            return [str(e)]
        if current is not None and code.strip() == current.strip():
            return ["That is the file as it was: nothing changed. Make the requested change."]
        try:
            ast.parse(code)
        except SyntaxError as e:
            if "```" not in answer:  # prose, most likely: say what was expected
                return ["Your answer held no ```python block with the file's text."]
            return [f"Line {e.lineno}: {e.msg}. Send the whole file again, fixed."]
        code = code if code.endswith("\n") else code + "\n"
        problems = _undefined_names(code, path.name)
        if problems:
            return problems[:MAX_PROBLEMS]
        write_text_atomic(path, code)
        return []

    def _end(
        self,
        emit: Emitter,
        status: RunStatus,
        steps: int,
        usage: Usage,
        started: float,
        detail: str,
        final: str = "",
    ) -> RunResult:
        self._steps = steps
        result = RunResult(
            status=status,
            final=final,
            steps=steps,
            usage=usage,
            duration_s=time.monotonic() - started,
            detail=detail,
        )
        emit(
            EventType.END,
            status=status.value,
            final=final,
            detail=detail,
            steps=steps,
            usage=usage.to_dict(),
            duration_s=round(result.duration_s, 3),
        )
        return result


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
