"""A Markdown document, program-led: bdev lays out its sections, the model writes each one.

Given "Backend architecture: service boundaries, API contracts, database schema and data
flow, integration, security, deployment" and the files to read, the 1.5B model in the
tool loop wrote the brief back out under a new title and stopped. So, as for code
(`guided`), the program takes the structure and the model gets narrow slots: one call
per section, with the inputs and only that section's subject in the prompt, no tools.
Each answer is checked before it stays (long enough, not a copy of the inputs, no
headings of its own) and asked again, sampled more widely, when it is not; a section no
answer passes is written as "not written", never left looking done. The document says
how it was made.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from bdev import __version__
from bdev.agents.definition import AgentDefinition
from bdev.fsutil import write_text_atomic
from bdev.llm.base import Message, Model, ModelError, Usage, model_setting, retry_sampling
from bdev.prompts import render
from bdev.runtime.events import Emitter, EventType, FormatError
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner
from bdev.runtime.session import Transcript, new_session_id, sessions_dir

MAX_ATTEMPTS = 3  # answers per section
MIN_WORDS = 25  # a section shorter than this says nothing specific
INPUT_CHARS = 2400  # of each file to read, in the prompt (an 8k context holds a few)
COPIED = 0.6  # share of an answer's lines found verbatim in the inputs: a copy
MAX_LINES = 15  # points (non-empty lines) kept of one section
# The output cap per section: fifteen points fit; at 1,024 the embedded model's answers
# that reached the cap were loops, and took a minute each on 2 cores.
SECTION_TOKENS = 512


@dataclass(frozen=True)
class DocumentTask:
    """What to write: the file, its title (the task's), its sections, and what to read."""

    path: str
    title: str
    sections: tuple[str, ...]
    reads: tuple[str, ...] = ()

    @classmethod
    def from_title(cls, path: str, title: str, reads: tuple[str, ...] = ()) -> DocumentTask:
        """Sections from the task's own words: "Backend architecture: a, b and c, d" has
        the sections after the colon; a title without a list is one section."""
        head, _, listed = title.partition(":")
        parts = [p.strip(" .") for p in re.split(r",\s*", listed)] if listed else []
        parts = [p for p in parts if p]
        return cls(path, head.strip() or title, tuple(parts) or (title.strip(),), reads)


@dataclass
class DocumentRun:
    """Writes one document; answers `start` like `Runner`, with its own transcript."""

    runner: Runner
    document: DocumentTask
    _usage: Usage = field(default_factory=Usage, repr=False)
    _steps: int = 0

    def start(self, task: str, definition: AgentDefinition) -> tuple[str, RunResult]:
        workspace = self.runner.workspace
        session_id = new_session_id()
        transcript = Transcript(sessions_dir(workspace) / f"{session_id}.jsonl")
        emit = Emitter(transcript, *self.runner.sinks)
        started = time.monotonic()
        try:
            model = self.runner.model_for(definition)
            emit(
                EventType.SESSION_START, session_id=session_id, version=__version__,
                agent=definition.name, model=model.name, task=task,
                workspace=str(workspace), tools=["Write"], route="document",
                permission_mode=self.runner.config.permissions.mode,
            )  # fmt: skip
            inputs = self._inputs()
            written: list[tuple[str, str | None]] = []
            for section in self.document.sections:
                emit(EventType.PHASE, name="section", section=section, file=self.document.path)
                try:
                    written.append((section, self._section(model, emit, section, inputs)))
                except ModelError as e:
                    return session_id, self._end(emit, RunStatus.MODEL_ERROR, started, str(e))
            text = self._assemble(definition, written)
            write_text_atomic(workspace / self.document.path, text)
            done = sum(1 for _, body in written if body)
            final = (
                f"bdev wrote {self.document.path}: {done} of {len(written)} sections by "
                f"{definition.name}"
            )
            return session_id, self._end(emit, RunStatus.COMPLETED, started, "", final)
        finally:
            transcript.close()

    def _inputs(self) -> str:
        parts = []
        for rel in self.document.reads:
            path = self.runner.workspace / rel
            try:
                text = path.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                continue
            if len(text) > INPUT_CHARS:
                text = text[:INPUT_CHARS] + "\n[... the rest left out]"
            parts.append(f"`{rel}`:\n{text}")
        return "\n\n".join(parts)

    def _section(self, model: Model, emit: Emitter, section: str, inputs: str) -> str | None:
        """The section's text, or None when no answer passed the checks."""
        prompt = render(
            "document_section", title=self.document.title, section=section,
            sections=self.document.sections, inputs=inputs,
        )  # fmt: skip
        messages = [Message("system", render("document_system")), Message("user", prompt)]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._steps += 1
            with (
                model_setting(model, "max_tokens", lambda cap: min(cap, SECTION_TOKENS)),
                retry_sampling(model, attempt),
            ):
                response = model.complete(messages, [])
            self._usage = self._usage + response.usage
            emit(
                EventType.MODEL_CALL, step=self._steps, model=response.model or model.name,
                usage=response.usage.to_dict(), finish_reason=response.finish_reason,
                max_output_tokens=response.max_output_tokens,
            )  # fmt: skip
            emit(EventType.MESSAGE, message=Message("assistant", response.content).to_dict())
            body, problem = checked(response.content, inputs)
            if not problem:
                return body
            emit(
                EventType.FORMAT_ERROR, step=self._steps, kind=FormatError.REJECTED.value,
                errors=[f"{section}: {problem}"],
            )  # fmt: skip
        return None

    def _assemble(self, definition: AgentDefinition, written: list[tuple[str, str | None]]) -> str:
        reads = ", ".join(f"`{r}`" for r in self.document.reads) or "the task alone"
        lines = [
            f"# {self.document.title}",
            "",
            f"_Written by {definition.name} from {reads}. bdev laid out the sections from the "
            "task; the model wrote each one._",
        ]
        for section, body in written:
            heading = section[:1].upper() + section[1:]
            lines += [
                "",
                f"## {heading}",
                "",
                body or "_Not written: no answer passed bdev's checks._",
            ]
        return "\n".join(lines) + "\n"

    def _end(
        self, emit: Emitter, status: RunStatus, started: float, detail: str, final: str = ""
    ) -> RunResult:
        result = RunResult(
            status=status, final=final, steps=self._steps, usage=self._usage,
            duration_s=time.monotonic() - started, detail=detail,
        )  # fmt: skip
        emit(
            EventType.END, status=status.value, final=final, detail=detail, steps=self._steps,
            usage=self._usage.to_dict(), duration_s=round(result.duration_s, 3),
        )  # fmt: skip
        return result


def checked(answer: str, inputs: str) -> tuple[str, str]:
    """The answer as a section body (fences and headings taken off), and what is wrong
    with it ("" when nothing is)."""
    text = re.sub(r"^```\w*\n|\n```\s*$", "", answer.strip())
    lines = [line for line in text.splitlines() if not re.match(r"\s*#{1,6}\s", line)]
    # A small model falls into loops ("- Notifications: ..." twenty times): a line said
    # once is enough, and a section is at most MAX_LINES points.
    seen: set[str] = set()
    kept: list[str] = []
    for line in lines:
        key = line.strip().lower()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    content_lines = [i for i, line in enumerate(kept) if line.strip()]
    if len(content_lines) > MAX_LINES:
        kept = kept[: content_lines[MAX_LINES]]
    lines = kept
    body = "\n".join(lines).strip()
    content = [line.strip() for line in lines if len(line.strip()) > 20]
    copied = [line for line in content if line.lstrip("-* ") in inputs]
    if content and len(copied) / len(content) >= COPIED:
        return body, "it repeats the documents it was given instead of saying something new"
    words = len(body.split())
    if words < MIN_WORDS:
        return body, f"{words} words: too short to say anything specific"
    return body, ""
