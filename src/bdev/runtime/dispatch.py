"""One typed run request in, one path chosen, one `Outcome` out.

    outcome = start(RunRequest(task="add a DELETE /items/{id} route", workspace=Path("svc")))

The path, decided here and nowhere else:
1. `resume`: the session continues in the plain loop.
2. spec-first: the task carries an OpenAPI document (and no agent was named): bdev
   writes the service's skeleton and the model fills one operation at a time. On a
   small model, a new service asked for in prose (an empty workspace, a task naming two
   or more operations as `METHOD /path`) goes this way too, from a document derived from the
   words first: the free loop does not get a new service built on a 1.5B model.
3. backend workflow: `workflow=backend`, or `auto` with an agent that suits it by what
   its definition declares (`bdev.agents.capabilities.suits_backend_workflow`).
4. the plain loop otherwise.

The agent is the one named, else the router's choice. Nothing here prints: callers watch
through the request's callbacks (event sinks, notices, permission questions) and
render the outcome.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bdev import __version__, sandbox, trust
from bdev.agents.capabilities import Capability, can_build, suits_backend_workflow
from bdev.agents.definition import AgentDefinition
from bdev.agents.registry import AgentRegistry
from bdev.agents.router import choose_agent
from bdev.config import Config, load_config, project_config_path, user_config_path, with_more
from bdev.errors import BdevError
from bdev.llm.base import Model
from bdev.llm.resolve import is_small, model_from_config
from bdev.mcp.hub import open_hub
from bdev.runtime import hooks
from bdev.runtime.events import Emitter, EventSink, EventType
from bdev.runtime.limits import EXIT_CODES, RunStatus
from bdev.runtime.loop import AskPermission, RunResult
from bdev.runtime.runner import Runner, model_spec_for
from bdev.runtime.session import (
    SessionRecord,
    Transcript,
    find_session,
    load_session,
    new_session_id,
    sessions_dir,
)
from bdev.workflow.backend import (
    NOT_READY_EXIT,
    WorkflowOptions,
    WorkflowResult,
    run_backend_workflow,
)
from bdev.workflow.delivery import Readiness
from bdev.workflow.document import DocumentRun, DocumentTask

if TYPE_CHECKING:
    from bdev.specfirst.pipeline import BuildReport
    from bdev.specfirst.taskspec import SpecTask


class WorkflowMode(StrEnum):
    AUTO = "auto"  # the backend workflow when the agent suits it; program-led on a small model
    BACKEND = "backend"  # the backend workflow, rounds by the agent loop
    GUIDED = "guided"  # the backend workflow, rounds program-led (workflow.guided)
    NONE = "none"  # the plain loop, and no spec-first either


class Route(StrEnum):
    SPEC_FIRST = "spec-first"
    DOCUMENT = "document"
    WORKFLOW = "workflow"
    LOOP = "loop"


NoticeKind = Literal["agent", "session", "spec-first", "build", "audit", "sandbox", "trust"]


@dataclass(frozen=True)
class Notice:
    """A line of progress for whoever watches: `agent` (which agent and why), `session`
    (what a resume restored), `spec-first` (what is built where), `build` (spec-first
    steps), `audit`, `sandbox` (it is off, or a project tried to loosen it), `trust` (an
    untrusted project's config keys were ignored)."""

    kind: NoticeKind
    text: str


@dataclass(frozen=True)
class Overrides:
    """Settings for this run only; None or empty leaves the configured value."""

    max_steps: int | None = None
    max_seconds: float | None = None
    max_tokens: int | None = None
    permission_mode: str | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    base_url: str | None = None  # for the provider of the request's model
    api_key: str | None = None
    sandbox: bool | None = None  # False: --no-sandbox


@dataclass(frozen=True)
class RunRequest:
    task: str | None  # None only with `resume`
    workspace: Path
    agent: str | None = None  # a name or a definition file; None: the router chooses
    agents_dir: Path | None = None
    model: str | None = None  # a model spec; None: the configured one
    resume: str | None = None  # a session id (or a unique prefix) to continue
    overrides: Overrides = field(default_factory=Overrides)
    workflow: WorkflowMode = WorkflowMode.AUTO
    gates: bool = True  # False: no readiness phase, no spec-first verification or audit
    rounds: int | None = None  # implementation rounds of the backend workflow
    # How the caller watches the run.
    sinks: Sequence[EventSink] = ()
    progress: Callable[[Notice], None] | None = None
    ask: AskPermission | None = None
    interactive: bool = False
    # Asked once, in an interactive run, when the project's untrusted config sets keys
    # that need trust (bdev.trust): (config file, keys) -> trust it now?
    ask_trust: Callable[[Path, list[str]], bool] | None = None
    # Builds the model for a spec instead of the configured provider (an evaluation or a
    # test hands in a model it already holds); None: `model_from_config`.
    model_factory: Callable[[str], Model] | None = None
    # `--mcp-config` values: JSON files or JSON text of MCP servers (bdev.mcp.hub).
    mcp_config: tuple[str, ...] = ()
    # A Markdown document to write (a team's design task): on a small model program-led
    # (workflow.document: bdev lays out the sections, the model writes each), else the
    # loop with `task`.
    document: DocumentTask | None = None


@dataclass
class Outcome:
    route: Route
    exit_code: int
    session_id: str | None = None
    run: RunResult | None = None
    workflow: WorkflowResult | None = None
    build: BuildReport | None = None  # the spec-first report
    agent: str | None = None
    readiness: Readiness | None = None  # None: the plain loop measures nothing


def resolve_workspace(workspace: Path | None) -> Path:
    path = (workspace or Path.cwd()).expanduser()
    if not path.exists():
        raise BdevError(f"workspace {path} does not exist")
    if not path.is_dir():
        raise BdevError(f"workspace {path} is not a directory")
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise BdevError(f"workspace {path} is not readable and writable by you")
    return path.resolve()


def start(request: RunRequest) -> Outcome:
    """Run `request` down the one path that fits it (see the module docstring)."""
    with contextlib.ExitStack() as cleanup:  # the run's MCP servers stop with it
        return _start(request, cleanup)


def _start(request: RunRequest, cleanup: contextlib.ExitStack) -> Outcome:
    if not request.task and not request.resume:
        raise BdevError("give a TASK, or --resume ID to continue a session")
    if request.agents_dir is not None and not request.agents_dir.is_dir():
        raise BdevError(f"--agents-dir {request.agents_dir} is not a directory")
    workspace = resolve_workspace(request.workspace)
    resumed = load_session(find_session(workspace, request.resume)) if request.resume else None
    if resumed is not None:
        # The session keeps its permission mode and agent unless a flag says otherwise.
        _announce_resume(request, resumed)
        mode = request.overrides.permission_mode or resumed.start.get("permission_mode")
        request = replace(request, overrides=replace(request.overrides, permission_mode=mode))
    config = _config(request, workspace)
    _use_sandbox(request, config, workspace)
    registry = AgentRegistry(project_root=workspace, agents_dir=request.agents_dir)
    settings_hooks, hook_notes, trusted = _settings_hooks(request, workspace)
    runner = Runner(
        workspace=workspace,
        config=config,
        registry=registry,
        sinks=list(request.sinks),
        ask=request.ask,
        interactive=request.interactive,
        model_override=request.model,
        model_factory=request.model_factory,
        hooks=settings_hooks,
        hook_notes=hook_notes,
        project_trusted=trusted,
        mcp=cleanup.enter_context(
            open_hub(
                workspace,
                request.mcp_config,
                config_dir=user_config_path().parent,
                ask=request.ask_trust if request.interactive else None,
                notify=_notify(request, "trust"),
            )
        ),
    )
    task = request.task or ""
    if resumed is not None:
        if resumed.start.get("route") == Route.SPEC_FIRST:
            return _resume_spec_first(request, resumed, workspace, config)
        if resumed.start.get("route") == Route.DOCUMENT and request.document is not None:
            # A document's sections are a few short calls: one cut off is written anew.
            definition = registry.get(str(resumed.start.get("agent") or request.agent))
            session_id, result = DocumentRun(runner, request.document).start(
                str(resumed.start.get("task") or ""), definition
            )
            code = EXIT_CODES[result.status]
            return Outcome(Route.DOCUMENT, code, session_id, result, agent=definition.name)
        replacement = registry.get(request.agent) if request.agent else None
        session_id, result = runner.resume(resumed.id, request.task, replacement)
        return Outcome(Route.LOOP, EXIT_CODES[result.status], session_id, result)

    if not request.agent and request.workflow is not WorkflowMode.NONE:
        from bdev.specfirst.taskspec import detect_spec_task

        spec_task = detect_spec_task(task, workspace)
        if spec_task is None and _new_service_in_prose(request, task, workspace, config):
            from bdev.specfirst.taskspec import prose_task

            spec_task = prose_task(task)
        if spec_task is not None:
            return _spec_first(request, spec_task, workspace, config)

    definition = _agent(request, registry)
    if request.document is not None and is_small(_model_spec(runner, definition), config):
        session_id, result = DocumentRun(runner, request.document).start(task, definition)
        code = EXIT_CODES[result.status]
        return Outcome(Route.DOCUMENT, code, session_id, result, agent=definition.name)
    if not _uses_workflow(request.workflow, definition):
        session_id, result = runner.start(task, definition)
        return Outcome(
            Route.LOOP, EXIT_CODES[result.status], session_id, result, agent=definition.name
        )

    options = WorkflowOptions.from_config(config, run_gates=request.gates)
    note = _notify(request, "audit")
    guided = request.workflow is WorkflowMode.GUIDED or (
        request.workflow is WorkflowMode.AUTO and is_small(_model_spec(runner, definition), config)
    )
    wf = run_backend_workflow(runner, task, definition, options, progress=note, guided=guided)
    code = _workflow_exit(wf.run.status, wf.status)
    return Outcome(
        Route.WORKFLOW,
        code,
        wf.session_id,
        wf.run,
        workflow=wf,
        agent=definition.name,
        readiness=wf.status,
    )


def _announce_resume(request: RunRequest, record: SessionRecord) -> None:
    note = _notify(request, "session")
    own = record.start.get("agent")
    agent = f"{request.agent} (instead of the session's {own})" if request.agent else own
    flag = request.overrides.permission_mode
    mode, source = (
        (flag, "from the flag") if flag else (record.start.get("permission_mode"), "the session's")
    )
    note(f"resuming {record.id}: agent {agent}, permission mode {mode} ({source})")
    if record.damaged_line is not None:
        note(
            f"{record.path.name}: line {record.damaged_line} is damaged; resuming from the "
            "last event before it"
        )


def _workflow_exit(run: RunStatus, readiness: Readiness) -> int:
    """A workflow's exit code is its verdict (0 ready, 9 not ready; how the agent's
    loop ended is in the delivery report), unless the model could not be reached or
    the user stopped the run; without gates it is the loop's own code."""
    if run in (RunStatus.MODEL_ERROR, RunStatus.INTERRUPTED):
        return EXIT_CODES[run]
    if readiness is Readiness.READY:
        return 0
    if readiness is Readiness.NOT_READY:
        return NOT_READY_EXIT
    return EXIT_CODES[run]


def _config(request: RunRequest, workspace: Path) -> Config:
    o = request.overrides
    flags: dict[str, Any] = {
        "gates.max_rounds": request.rounds,
        "limits.max_steps": o.max_steps,
        "limits.max_seconds": o.max_seconds,
        "limits.max_tokens": o.max_tokens,
        "permissions.mode": o.permission_mode,
        "sandbox.enabled": o.sandbox,
    }
    provider = (request.model or "").split(":", 1)[0]
    if provider in ("openai", "anthropic"):  # the endpoint flags name no provider
        flags[f"{provider}.base_url"] = o.base_url
        flags[f"{provider}.api_key"] = o.api_key
    config = _trusted_config(request, workspace, flags)
    if o.allow:
        config = with_more(config, "permissions.allow", list(o.allow), "flag")
    if o.deny:
        config = with_more(config, "permissions.deny", list(o.deny), "flag")
    return config


def _trusted_config(request: RunRequest, workspace: Path, flags: dict[str, Any]) -> Config:
    """The configuration, without what an untrusted project config may not set
    (bdev.trust): an interactive run asks once whether to trust it, any other says which
    settings it ignored."""
    config = load_config(workspace, flags)
    ignored = config.ignored_project_keys
    if not ignored:
        return config
    project = project_config_path(workspace)
    ask = request.ask_trust if request.interactive else None
    if ask is not None and ask(project, ignored):
        trust.trust(workspace, project, user_config_path().parent)
        return load_config(workspace, flags)
    _notify(request, "trust")(
        f"{project} is not trusted, so these settings in it are ignored: "
        f"{', '.join(ignored)} (trust it with `bdev config trust {workspace}`)"
    )
    return config


def _settings_hooks(
    request: RunRequest, workspace: Path
) -> tuple[list[hooks.HookCommand], list[str], bool]:
    """The user's hooks (always) and the project's (only when trusted: they are commands
    the repository ships), what was left out, and whether the project is trusted."""
    config_dir = user_config_path().parent
    found = hooks.load_settings(hooks.user_settings_path())
    settings = hooks.project_settings_path(workspace)
    shipped = hooks.load_settings(settings)
    trusted = trust.state(workspace, settings, config_dir) == "trusted"
    notes: list[str] = []
    if shipped and not trusted:
        ask = request.ask_trust if request.interactive else None
        if ask is not None and ask(settings, ["hooks"]):
            trust.trust(workspace, settings, config_dir)
            trusted = True
        else:
            notes.append(
                f"{settings} is not trusted, so its hooks do not run "
                f"(trust it with `bdev config trust {workspace}`)"
            )
            _notify(request, "trust")(notes[-1])
    if trusted:
        found += shipped
    project = project_config_path(workspace)
    return found, notes, trusted or trust.state(workspace, project, config_dir) == "trusted"


def _use_sandbox(request: RunRequest, config: Config, workspace: Path) -> None:
    """Sandbox this run's Bash and audited code as configured; refuse to start when the
    sandbox is on and bubblewrap cannot run (bdev.sandbox)."""
    note = _notify(request, "sandbox")
    for text in sandbox.apply(config, workspace):
        note(text)


def _agent(request: RunRequest, registry: AgentRegistry) -> AgentDefinition:
    if request.agent:
        return registry.get(request.agent)
    choice = choose_agent(request.task or "", registry.all())
    _notify(request, "agent")(f"{choice.agent.name} ({choice.reason})")
    return choice.agent


def _model_spec(runner: Runner, definition: AgentDefinition) -> str:
    return runner.model_override or model_spec_for(definition, runner.config, runner.config.model)


def _uses_workflow(mode: WorkflowMode, definition: AgentDefinition) -> bool:
    if mode is WorkflowMode.NONE:
        return False
    if mode is WorkflowMode.AUTO:
        return suits_backend_workflow(definition)
    if not can_build(definition.capabilities):
        missing = "Write or Edit" if Capability.WRITE not in definition.capabilities else "Bash"
        raise BdevError(
            f"--workflow {mode.value} needs an agent that can change files and run commands; "
            f"{definition.name} has no {missing} tool"
        )
    return True


def _new_service_in_prose(request: RunRequest, task: str, workspace: Path, config: Config) -> bool:
    """A small model, a workspace with nothing in it yet, and a task that names two or
    more operations the service must have. One route is within the loop's reach (the
    README's first command ends ready that way, where the generated service's own
    hardening code would keep line coverage under the gate); a service of several is not
    (no greenfield scenario passed in the loop on the embedded model)."""
    from bdev.specfirst.operations import find_operations

    if not is_small(request.model or config.model, config):
        return False
    if any(not p.name.startswith(".") for p in workspace.iterdir()):
        return False
    return len(find_operations(task)) >= 2


def _spec_first(
    request: RunRequest,
    spec_task: SpecTask,
    workspace: Path,
    config: Config,
    resumed: SessionRecord | None = None,
) -> Outcome:
    """Build the service the task's document describes, in a session of its own: every
    step goes to the transcript (and the request's sinks) as it happens, so a killed
    build can be inspected and resumed (`resumed`: the session it continues)."""
    from bdev.specfirst.pipeline import build_service

    if resumed is None:
        busy = [
            p for p in workspace.iterdir() if not p.name.startswith(".") and p != spec_task.spec
        ]
        out = workspace / "service" if busy else workspace
        session_id = new_session_id()
    else:
        out, session_id = Path(resumed.start["out"]), resumed.id
    model_spec = request.model or (resumed.start["model"] if resumed else config.model)
    make_model = request.model_factory or (lambda spec: model_from_config(spec, config))
    model = make_model(model_spec)
    transcript = Transcript(sessions_dir(workspace) / f"{session_id}.jsonl")
    emit = Emitter(transcript, *request.sinks)
    try:
        done = _written_slots(resumed) if resumed else None
        if resumed is None:
            emit(
                EventType.SESSION_START,
                session_id=session_id,
                version=__version__,
                route=Route.SPEC_FIRST.value,
                agent="bdev-new",
                model=model_spec,
                task=request.task,
                workspace=str(workspace),
                out=str(out),
                framework=spec_task.framework,
            )
        else:
            emit(
                EventType.RESUME,
                session_id=session_id,
                model=model_spec,
                written=sorted(done or ()),
            )
        announce = _notify(request, "spec-first")
        verb = "resuming the build of" if resumed else "building"
        spec = spec_task.spec
        if spec is None:
            announce(
                "a new service asked for in prose; deriving its OpenAPI document from the "
                f"operations the task names, with {model_spec}"
            )
            spec = _derived_spec(spec_task.describe, model, out, emit, announce)
        source = (
            "the derived document" if spec_task.spec is None else "an OpenAPI document in the task"
        )
        announce(
            f"{source}; {verb} a {spec_task.framework} service in "
            f"{out} with {model_spec} (session {session_id})"
        )
        report = build_service(
            spec,
            out,
            describe=spec_task.describe,
            model=model,
            framework=spec_task.framework,
            single_file=spec_task.single_file,
            constraints=spec_task.constraints,
            verify_service=request.gates,
            audit=request.gates,
            gates=config.gates,
            force=out == workspace,
            progress=_notify(request, "build"),
            record=lambda kind, **data: emit(EventType(kind), **data),
            resume=done,
        )
        # An operation left at 501, or failing verification, is never called done.
        incomplete = bool(report.not_implemented or report.failing_verification)
        if incomplete:
            readiness = Readiness.NOT_READY
        else:
            status = report.audit["status"] if report.audit else Readiness.NOT_CHECKED
            readiness = Readiness(status)
        code = NOT_READY_EXIT if readiness is Readiness.NOT_READY else 0
        emit(
            EventType.END,
            status="completed",
            readiness=readiness.value,
            exit_code=code,
            usage={"input_tokens": report.input_tokens, "output_tokens": report.output_tokens},
            wall_s=report.wall_s,
            detail=_build_line(report),
            build=report.model_dump(),
        )
    finally:
        transcript.close()
    return Outcome(Route.SPEC_FIRST, code, session_id, build=report, readiness=readiness)


def _derived_spec(
    describe: str, model: Model, out: Path, emit: Emitter, announce: Callable[[str], None]
) -> Path:
    """Derive the document and keep it in the service (`.bdev/openapi.json`), where a
    resumed build finds it; what was assumed or dropped is said."""
    import json

    from bdev.fsutil import write_text_atomic
    from bdev.specfirst.prose import DERIVED_FILE, derive_spec

    derived = derive_spec(
        describe, model, record=lambda kind, **data: emit(EventType(kind), **data)
    )
    for path, item in derived.doc["paths"].items():
        announce(f"operation {', '.join(m.upper() for m in item)} {path}")
    for line in derived.notes:
        announce(line)
    for label in derived.failed:
        announce(f"{label}: no usable answer; it is built without fields")
    target = out / DERIVED_FILE
    write_text_atomic(target, json.dumps(derived.doc, indent=2) + "\n")
    return target


def _build_line(report: BuildReport) -> str:
    return (
        f"{report.title}: {report.operations_total} operations, "
        f"{len(report.implemented_by_skeleton)} generated, "
        f"{len(report.implemented_by_model)} written by the model, "
        f"{len(report.failing_verification)} failing verification, "
        f"{len(report.not_implemented)} not implemented"
    )


def _resume_spec_first(
    request: RunRequest, record: SessionRecord, workspace: Path, config: Config
) -> Outcome:
    from bdev.specfirst.taskspec import detect_spec_task

    if record.end is not None:
        raise BdevError(
            f"session {record.id} already completed: its build is in {record.start.get('out')}"
        )
    from bdev.specfirst.prose import DERIVED_FILE

    spec_task = detect_spec_task(str(record.start.get("task") or ""), workspace)
    derived = Path(str(record.start.get("out"))) / DERIVED_FILE
    if spec_task is None and derived.is_file():  # a prose task's document, kept on derivation
        from bdev.specfirst.taskspec import prose_task

        spec_task = prose_task(str(record.start.get("task") or ""))
        spec_task.spec = derived
    if spec_task is None:
        raise BdevError(f"session {record.id}: its task no longer holds an OpenAPI document")
    return _spec_first(request, spec_task, workspace, config, resumed=record)


def _written_slots(record: SessionRecord) -> frozenset[str]:
    """The operations whose last slot event says written: their bodies are in the file."""
    last: dict[str, str] = {}
    for event in record.events:
        if event.get("type") == EventType.SLOT:
            last[str(event.get("operation_id"))] = str(event.get("status"))
    return frozenset(op for op, status in last.items() if status == "implemented")


def _notify(request: RunRequest, kind: NoticeKind) -> Callable[[str], None]:
    progress = request.progress
    return (lambda text: progress(Notice(kind, text))) if progress else (lambda _text: None)
