"""Putting a run together: definition + model + tools + policy + transcript -> Agent.

`Runner` starts new sessions, resumes killed ones, and gives every agent a `Task`
tool that runs other definitions as sub-agents with their own fresh context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev import __version__
from bdev.agents.definition import AgentDefinition
from bdev.agents.registry import AgentRegistry
from bdev.config import Config
from bdev.errors import BdevError
from bdev.llm.base import Message, Model
from bdev.llm.resolve import ALIASES, model_from_config
from bdev.runtime.events import Emitter, EventSink, EventType
from bdev.runtime.limits import Limits, RunStatus
from bdev.runtime.loop import Agent, AskPermission, RunResult
from bdev.runtime.profile import offered_tools, profile_for
from bdev.runtime.prompt import system_prompt
from bdev.runtime.session import (
    Transcript,
    find_session,
    load_session,
    new_session_id,
    sessions_dir,
)
from bdev.tools.base import ToolContext
from bdev.tools.policy import PermissionMode, Policy
from bdev.tools.registry import build_tools

MAX_DEPTH = 3  # sub-agents may start sub-agents, but not without end


def model_spec_for(definition: AgentDefinition, config: Config, session_model: str) -> str:
    """Which model runs a definition: its own `model:` when it names a concrete model,
    an alias (`sonnet`, `opus`, `haiku`) mapped through config, else the session model
    (`inherit`, absent, or an alias nobody configured)."""
    wanted = (definition.model or "").strip()
    if not wanted or wanted == "inherit":
        return session_model
    if wanted in ALIASES:
        return config.alias(wanted) or session_model
    return wanted


@dataclass
class Runner:
    workspace: Path
    config: Config
    registry: AgentRegistry
    sinks: list[EventSink] = field(default_factory=list)
    ask: AskPermission | None = None
    interactive: bool = False
    model_override: str | None = None
    # Builds the model for a spec; None: `model_from_config` with this runner's config.
    model_factory: Callable[[str], Model] | None = None
    _models: dict[str, Model] = field(default_factory=dict)

    # -- public ----------------------------------------------------------------

    def start(
        self,
        task: str,
        definition: AgentDefinition,
        *,
        on_start: Callable[[Emitter], str] | None = None,
    ) -> tuple[str, RunResult]:
        """Run `definition` on `task` in a new session. `on_start`, when given, is called
        right after the session starts (to record events such as a context exchange) and
        returns text appended to the task for the model."""
        session_id = new_session_id()
        transcript = Transcript(sessions_dir(self.workspace) / f"{session_id}.jsonl")
        emit = Emitter(transcript, *self.sinks)
        try:
            spec = self.model_override or model_spec_for(definition, self.config, self.config.model)
            agent = self._agent(definition, spec, emit, depth=0)
            prompt = system_prompt(definition, self.workspace, list(agent.tools), agent.profile)
            emit(
                EventType.SESSION_START,
                session_id=session_id,
                version=__version__,
                agent=definition.name,
                agent_path=str(definition.path) if definition.path else None,
                agent_source=definition.source,
                model=spec,
                task=task,
                workspace=str(self.workspace),
                permission_mode=self.config.permissions.mode,
                tools=list(agent.tools),
                profile=agent.profile,
                max_steps=agent.limits.max_steps,
            )
            extra = on_start(emit) if on_start else ""
            messages: list[Message] = []
            agent.append(messages, Message("system", prompt))
            agent.append(messages, Message("user", f"{task}\n\n{extra}" if extra else task))
            return session_id, agent.run(messages)
        finally:
            transcript.close()

    def resume(self, session_id: str, instruction: str | None = None) -> tuple[str, RunResult]:
        path = find_session(self.workspace, session_id)
        record = load_session(path)
        start = record.start
        # A run stopped by a limit or a model error continues as it is; a completed one
        # needs something new to do.
        if record.end is not None and record.end.get("status") == "completed" and not instruction:
            raise BdevError(
                f"session {record.id} already completed; "
                'give a new instruction to continue it: bdev run --resume ID "..."'
            )
        definition = self.registry.get(start.get("agent_path") or start["agent"])
        transcript = Transcript(path)
        emit = Emitter(transcript, *self.sinks)
        try:
            spec = self.model_override or start["model"]
            agent = self._agent(definition, spec, emit, depth=0)
            emit(EventType.RESUME, session_id=record.id, steps_done=record.steps, model=spec)
            messages = list(record.messages)
            pending = record.pending_tool_calls()
            if pending:
                agent.run_pending(messages, pending, record.steps)
            if instruction:
                agent.append(messages, Message("user", instruction))
            return record.id, agent.run(messages, steps_done=record.steps)
        finally:
            transcript.close()

    def emit_event(self, session_id: str, type: EventType, **data: Any) -> None:
        """Record one more event in a session's transcript (and show it to the sinks)."""
        transcript = Transcript(find_session(self.workspace, session_id))
        try:
            Emitter(transcript, *self.sinks)(type, **data)
        finally:
            transcript.close()

    # -- building agents -------------------------------------------------------

    def model_for(self, definition: AgentDefinition) -> Model:
        """The model a run of `definition` uses (the same instance the run had)."""
        spec = self.model_override or model_spec_for(definition, self.config, self.config.model)
        return self._model(spec)

    def _model(self, spec: str) -> Model:
        if spec not in self._models:
            factory = self.model_factory or (lambda s: model_from_config(s, self.config))
            self._models[spec] = factory(spec)
        return self._models[spec]

    def _agent(self, definition: AgentDefinition, spec: str, emit: Emitter, depth: int) -> Agent:
        profile = profile_for(spec, self.config)
        names = offered_tools(definition.allowed_tools, profile)
        if depth + 1 >= MAX_DEPTH and "Task" in names:
            names.remove("Task")
        tools = build_tools(names)
        ctx = ToolContext(
            workspace=self.workspace,
            bash_timeout_s=float(self.config.bash.timeout),
            run_subagent=self._subagent_runner(emit, depth) if "Task" in tools else None,
        )
        policy = Policy(
            mode=PermissionMode(self.config.permissions.mode),
            allow=list(self.config.permissions.allow),
            deny=list(self.config.permissions.deny),
            interactive=self.interactive,
            workspace=self.workspace,
        )
        return Agent(
            model=self._model(spec),
            tools=tools,
            policy=policy,
            ctx=ctx,
            emit=emit,
            limits=Limits.from_config(self.config.limits),
            ask=self.ask if self.interactive else None,
            price=price.model_dump() if (price := self.config.prices.get(spec)) else None,
            depth=depth,
            profile=profile,
        )

    def _subagent_runner(self, emit: Emitter, depth: int) -> Callable[[str, str], str]:
        def run_subagent(name: str, prompt: str) -> str:
            definition = self.registry.get(name)  # BdevError names the known agents
            session_model = self.model_override or self.config.model
            spec = model_spec_for(definition, self.config, session_model)
            agent = self._agent(definition, spec, emit, depth=depth + 1)
            emit(EventType.SUBAGENT_START, agent=definition.name, model=spec, depth=depth + 1)
            messages: list[Message] = []
            tools = list(agent.tools)
            system = system_prompt(definition, self.workspace, tools, agent.profile)
            agent.append(messages, Message("system", system))
            agent.append(messages, Message("user", prompt))
            result = agent.run(messages)
            if result.status is not RunStatus.COMPLETED:
                why = f"{result.status.value}: {result.detail}"
                return f"[sub-agent {definition.name} stopped: {why}]\n{result.final}"
            return result.final or "(the sub-agent finished without a final message)"

        return run_subagent
