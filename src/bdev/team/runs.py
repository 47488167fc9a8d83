"""One agent run for the team: a normal bdev run through `runtime.dispatch`.

The handoff's text is the run's task, so it opens the run's transcript. The session id
is saved the moment the session starts, so that a run killed halfway can be resumed
(`RunRequest(resume=...)`) by the next `bdev team run`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bdev.agents.definition import AgentDefinition
from bdev.config import load_config
from bdev.llm.base import Model
from bdev.runtime.dispatch import Notice, Outcome, Overrides, RunRequest, WorkflowMode, start
from bdev.runtime.events import Emitter, Event, EventSink, EventType
from bdev.runtime.limits import RunStatus
from bdev.runtime.session import Transcript, find_session, load_session
from bdev.team.handoff import Handoff
from bdev.team.state import Attempt
from bdev.workflow.document import DocumentTask

# Agents never tick boxes themselves: bdev does, after checking the acceptance.
STATUS_DENY = ("Edit(odyssey/status/**)", "Edit(coordination/*/status.md)")


@dataclass(frozen=True)
class RunSettings:
    """What every run of a team shares (the `bdev run` flags that apply)."""

    model: str | None = None
    agents_dir: Path | None = None
    overrides: Overrides = field(default_factory=Overrides)
    gates: bool = True
    sinks: Sequence[EventSink] = ()
    progress: Callable[[Notice], None] | None = None
    model_factory: Callable[[str], Model] | None = None


def run_agent(
    settings: RunSettings,
    definition: AgentDefinition,
    handoff: Handoff,
    workspace: Path,
    *,
    workflow: WorkflowMode,
    on_session: Callable[[Attempt], None],
    resume: str | None = None,
    document: DocumentTask | None = None,
) -> tuple[Outcome, Attempt]:
    """Run (or resume) `definition` on `handoff` in `workspace`. `on_session` gets the
    attempt as soon as its session exists, and again when it has ended."""
    attempt = Attempt(agent=definition.name, session_id=resume, workspace=str(workspace))

    def started(event: Event) -> None:
        if event.type == EventType.SESSION_START and attempt.session_id is None:
            attempt.session_id = str(event.data.get("session_id"))
            on_session(attempt)

    overrides = settings.overrides
    request = RunRequest(
        task=None if resume else handoff.text(),
        workspace=workspace,
        agent=None if resume else _agent_ref(definition, workspace),
        agents_dir=settings.agents_dir,
        model=settings.model,
        resume=resume,
        overrides=replace(
            overrides,
            permission_mode=overrides.permission_mode or unattended_mode(workspace),
            deny=(*overrides.deny, *STATUS_DENY),
        ),
        workflow=workflow,
        gates=settings.gates,
        sinks=[started, *settings.sinks],
        progress=settings.progress,
        model_factory=settings.model_factory,
        document=document,
    )
    outcome = start(request)
    attempt.session_id = outcome.session_id or attempt.session_id
    run = outcome.run
    if run is not None and run.status is RunStatus.INTERRUPTED:
        on_session(attempt)  # left unfinished: the next team run resumes it
        raise KeyboardInterrupt
    attempt.exit_code = outcome.exit_code
    if run is not None:
        attempt.ended = f"{run.status.value}" + (f": {run.detail}" if run.detail else "")
    attempt.readiness = outcome.readiness.value if outcome.readiness else None
    report_dir = outcome.workflow.report_dir if outcome.workflow else None
    if report_dir is not None and (report_dir / "delivery.md").is_file():
        attempt.report = str(report_dir / "delivery.md")
    on_session(attempt)
    return outcome, attempt


def unattended_mode(workspace: Path) -> str:
    """The configured permission mode, except `default`: it asks before every edit, and
    nobody answers in a team run, so no agent could write its deliverable. Edits are
    allowed instead (acceptEdits: Bash still needs an allow rule)."""
    mode = load_config(workspace).permissions.mode
    return "acceptEdits" if mode == "default" else mode


def _agent_ref(definition: AgentDefinition, workspace: Path) -> str:
    """The name, when the run's registry finds the same definition by it; else its file
    (a project definition seen from a worktree that does not hold it)."""
    if definition.source in ("builtin", "user") or definition.path is None:
        return definition.name
    inside = workspace / ".claude" / "agents"
    if definition.path.is_relative_to(inside):
        return definition.name
    return str(definition.path)


def unfinished(workspace: Path, session_id: str | None) -> bool:
    """Whether that session started and never ended (its process was killed), or was
    stopped by the user (Ctrl-C, SIGTERM): either way it can be continued."""
    if not session_id:
        return False
    try:
        record = load_session(find_session(workspace, session_id))
    except Exception:
        return False
    return record.end is None or record.end.get("status") == RunStatus.INTERRUPTED.value


def record_handoff(workspace: Path, session_id: str | None, handoff: Handoff) -> None:
    """Add the handoff to a finished session's transcript (the handing agent's side)."""
    if not session_id:
        return
    transcript = Transcript(find_session(workspace, session_id))
    try:
        Emitter(transcript)(EventType.HANDOFF, direction="out", **handoff.to_dict())
    finally:
        transcript.close()


def missing_outputs(root: Path, writes: Sequence[str]) -> list[str]:
    """The files of `writes` that do not exist or are empty (a folder: holds no file)."""
    out = []
    for name in writes:
        path = root / name
        if path.is_dir():
            if not any(p.is_file() and p.stat().st_size for p in path.rglob("*")):
                out.append(name)
        elif not (path.is_file() and path.stat().st_size > 0):
            out.append(name)
    return out
