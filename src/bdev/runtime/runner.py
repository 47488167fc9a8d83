"""Putting a run together: definition + model + tools + policy + transcript -> Agent.

`Runner` starts new sessions, resumes killed ones, and gives every agent a `Task`
tool that runs other definitions as sub-agents with their own fresh context.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bdev import __version__
from bdev.agents.definition import AgentDefinition
from bdev.agents.registry import AgentRegistry
from bdev.config import Config
from bdev.errors import BdevError
from bdev.llm.base import Message, Model, Replayed, Usage
from bdev.llm.resolve import choose_model, describe_fallback, model_from_config
from bdev.mcp.hub import McpHub
from bdev.runtime.agent_setup import AgentSetup, Caller, setup_for
from bdev.runtime.events import Emitter, EventSink, EventType
from bdev.runtime.hooks import HookCommand, Hooks, Outcome, parse
from bdev.runtime.limits import Limits, RunStatus
from bdev.runtime.loop import Agent, AskPermission, RunResult
from bdev.runtime.profile import offered_tools, profile_for
from bdev.runtime.prompt import system_prompt
from bdev.runtime.scoped_policy import ScopedPolicy
from bdev.runtime.session import (
    Transcript,
    find_session,
    load_session,
    new_session_id,
    sessions_dir,
)
from bdev.runtime.workspace_files import workspace_files
from bdev.tools.base import Tool, ToolContext
from bdev.tools.policy import PermissionMode
from bdev.tools.registry import build_tools
from bdev.tools.task import SubagentRefused

MAX_DEPTH = 3  # sub-agents may start sub-agents, but not without end


def model_spec_for(definition: AgentDefinition, config: Config, session_model: str) -> str:
    """Which model runs a definition whose parent (or session) runs `session_model`, by
    bdev.llm.resolve.choose_model's order, without its warnings (see Runner for those)."""
    return choose_model(
        flag=None, wanted=definition.model, parent=session_model, config=config
    ).spec


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
    # Hooks from the settings files (runtime.hooks), already cut to what trust allows,
    # and what was left out and why (a warning each, in the transcript).
    hooks: list[HookCommand] = field(default_factory=list)
    hook_notes: list[str] = field(default_factory=list)
    project_trusted: bool = False  # may a project's definitions run their own hooks?
    # The run's MCP servers (bdev.mcp.hub); None: agents get no MCP tools.
    mcp: McpHub | None = None
    _base_hooks: Hooks | None = None
    _models: dict[str, Model] = field(default_factory=dict)
    _warned: set[tuple[str, str, str]] = field(default_factory=set)  # once per run

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
        hooks = self._session_hooks(emit, session_id, transcript)
        started = False
        try:
            caller = Caller(mode=self.config.permissions.mode)
            agent, setup = self._agent(definition, caller, emit, self.model_override)
            self._attach_hooks(agent, definition, setup, hooks)
            spec = setup.spec
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
                agent_permission_mode=setup.mode,
                tools=list(agent.tools),
                profile=agent.profile,
                max_steps=agent.limits.max_steps,
                color=definition.color,
            )
            started = True
            self._warn(emit, definition, setup, depth=0)
            context = _context(agent, "SessionStart", source="startup")
            if setup.first_turn:  # the definition's initialPrompt
                task = f"{setup.first_turn}\n\n{task}"
            refused, more = _prompt_hook(agent, task)
            if refused is not None:
                return session_id, refused
            extra = on_start(emit) if on_start else ""
            messages: list[Message] = []
            agent.append(messages, Message("system", prompt))
            files = workspace_files(self.workspace) if agent.profile == "small" else ""
            text = "\n\n".join(t for t in (task, extra, context, more, files) if t)
            agent.append(messages, Message("user", text))
            return session_id, agent.run(messages)
        finally:
            if started:
                _context(agent, "SessionEnd", reason="other")
            transcript.close()

    def resume(
        self,
        session_id: str,
        instruction: str | None = None,
        definition: AgentDefinition | None = None,
    ) -> tuple[str, RunResult]:
        """Continue a session; `definition` replaces the session's own agent."""
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
        definition = definition or self.registry.get(start.get("agent_path") or start["agent"])
        transcript = Transcript(path)
        emit = Emitter(transcript, *self.sinks)
        hooks = self._session_hooks(emit, record.id, transcript)
        started = False
        try:
            caller = Caller(mode=self.config.permissions.mode)
            agent, setup = self._agent(
                definition, caller, emit, self.model_override or start["model"]
            )
            self._attach_hooks(agent, definition, setup, hooks)
            spec = setup.spec
            model = agent.model
            # The session's own script goes on where the session stopped (another script
            # given on the resume is another model, and starts at its beginning).
            if isinstance(model, Replayed) and spec == start["model"]:
                model.continue_after(
                    sum(1 for e in record.events if e.get("type") == EventType.MODEL_CALL)
                )
            emit(
                EventType.RESUME,
                session_id=record.id,
                steps_done=record.steps,
                model=spec,
                agent=definition.name,
                permission_mode=self.config.permissions.mode,
                agent_permission_mode=setup.mode,
                damaged_line=record.damaged_line,
            )
            started = True
            self._warn(emit, definition, setup, depth=0)
            context = _context(agent, "SessionStart", source="resume")
            messages = list(record.messages)
            pending = record.pending_tool_calls()
            if pending:
                agent.run_pending(messages, pending, record.steps)
            if instruction:
                refused, more = _prompt_hook(agent, instruction)
                if refused is not None:
                    return record.id, refused
                text = "\n\n".join(t for t in (instruction, context, more) if t)
                agent.append(messages, Message("user", text))
            elif context:
                agent.append(messages, Message("user", context))
            return record.id, agent.run(messages, steps_done=record.steps)
        finally:
            if started:
                _context(agent, "SessionEnd", reason="other")
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
        choice = choose_model(
            flag=self.model_override, wanted=definition.model, parent=None, config=self.config
        )
        return self._model(choice.spec)

    def _model(self, spec: str) -> Model:
        if spec not in self._models:
            factory = self.model_factory or (lambda s: model_from_config(s, self.config))
            self._models[spec] = factory(spec)
        return self._models[spec]

    def _agent(
        self, definition: AgentDefinition, caller: Caller, emit: Emitter, flag_model: str | None
    ) -> tuple[Agent, AgentSetup]:
        """The agent a definition makes under `caller`, and the setup it was made from
        (its warnings not yet emitted: the caller emits them after its start event)."""
        setup = setup_for(definition, caller, self.config, flag_model)
        depth = caller.depth
        model = self._chosen_model(setup)
        spec = setup.spec
        profile = profile_for(spec, self.config)
        names = offered_tools(setup.tools, profile)
        if depth + 1 >= MAX_DEPTH and "Task" in names:
            names.remove("Task")
        tools = build_tools(names)
        self._add_mcp_tools(tools, definition, setup, profile)
        ctx = ToolContext(
            workspace=self.workspace,
            bash_timeout_s=float(self.config.bash.timeout),
            run_subagent=self._subagent_runner(emit, setup, depth) if "Task" in tools else None,
            # A small model misnames imports and never runs its module; a large one tests
            # its own code with Bash. The check imports with bdev's interpreter.
            import_python=sys.executable if profile == "small" else None,
        )
        # dontAsk: what default mode would ask about is refused instead.
        dont_ask = setup.mode == "dontAsk"
        interactive = self.interactive and not dont_ask
        policy = ScopedPolicy(
            mode=PermissionMode.DEFAULT if dont_ask else PermissionMode(setup.mode),
            allow=[*self.config.permissions.allow, *setup.allow],
            deny=[*self.config.permissions.deny, *setup.deny],
            interactive=interactive,
            workspace=self.workspace,
            limited=setup.limited,
        )
        ctx.read_denied = policy.read_filter  # Grep, Glob and LS hide what Read may not see
        agent = Agent(
            model=model,
            tools=tools,
            policy=policy,
            ctx=ctx,
            emit=emit,
            limits=replace(Limits.from_config(self.config.limits), max_steps=setup.max_steps),
            ask=self.ask if interactive else None,
            price=price.model_dump() if (price := self.config.prices.get(spec)) else None,
            depth=depth,
            profile=profile,
            disallowed=frozenset(definition.disallowed_tools),
        )
        return agent, setup

    def _add_mcp_tools(
        self, tools: dict[str, Tool], definition: AgentDefinition, setup: AgentSetup, profile: str
    ) -> None:
        """The MCP tools the definition asks for; a project definition's own servers
        start only in a trusted project, as its hooks do."""
        wanted = setup.mcp
        if self.mcp is None:
            if wanted.patterns or wanted.servers:
                why = "MCP tools are not available: this run was started without MCP servers"
                setup.warnings.append(("tools", why))
            return
        trusted = definition.source != "project" or self.project_trusted
        wanted = replace(wanted, may_start=trusted)
        found, notes = self.mcp.tools_for(wanted, small=profile == "small")
        tools.update((t.name, t) for t in found)
        setup.warnings += notes

    def _session_hooks(self, emit: Emitter, session_id: str, transcript: Transcript) -> Hooks:
        """The settings' hooks for this session; sub-agents start from them too."""
        self._base_hooks = Hooks(
            commands=list(self.hooks),
            workspace=self.workspace,
            session_id=session_id,
            transcript_path=str(transcript.path),
            emit=emit,
            permission_mode=self.config.permissions.mode,
        )
        for note in self.hook_notes:
            self._once(emit, "settings", "", "hooks", note, {})
        return self._base_hooks

    def _attach_hooks(
        self, agent: Agent, definition: AgentDefinition, setup: AgentSetup, base: Hooks
    ) -> None:
        """The settings' hooks plus the definition's own (a project's definition is code
        the repository ships: its hooks run only in a trusted project)."""
        own: list[HookCommand] = []
        if definition.hooks:
            where = f"{definition.path or definition.name}"
            if definition.source == "project" and not self.project_trusted:
                why = (
                    "not run: the project is not trusted (trust it with "
                    f"`bdev config trust {self.workspace}`)"
                )
                setup.warnings.append(("hooks", why))
            else:
                own = parse(definition.hooks, where)
        agent.hooks = base.for_agent(own, agent._event, setup.mode)

    def _chosen_model(self, setup: AgentSetup) -> Model:
        """Build the chosen model; a definition's own model that cannot be built falls
        back (with a warning) to the parent's or the configured one."""
        choice = setup.model
        try:
            model = self._model(choice.spec)
            setup.spec = choice.spec
            return model
        except BdevError as e:
            if choice.source != "front matter" or choice.fallback is None:
                raise
            why = f"model {choice.spec!r} is unavailable ({e}); using "
            setup.warnings.append(("model", why + describe_fallback(choice.fallback)))
            setup.spec = choice.fallback[0]
            return self._model(setup.spec)

    def _warn(
        self, emit: Emitter, definition: AgentDefinition, setup: AgentSetup, depth: int
    ) -> None:
        """Each refused or narrowed field, once per run (a sub-agent started ten times
        warns once), as a `warning` event: the terminal shows it, the transcript keeps it."""
        for key, message in setup.warnings:
            more = {"depth": depth} if depth else {}
            self._once(emit, definition.key, definition.name, key, message, more)

    def _once(
        self, emit: Emitter, ident: str, agent: str, key: str, message: str, more: dict[str, Any]
    ) -> None:
        seen = (ident, key, message)
        if seen not in self._warned:
            self._warned.add(seen)
            emit(EventType.WARNING, agent=agent, field=key, message=message, **more)

    def _subagent_runner(
        self, emit: Emitter, parent: AgentSetup, depth: int
    ) -> Callable[[str, str], str]:
        def run_subagent(name: str, prompt: str) -> str:
            _check_subagent(parent, name)
            definition = self.registry.get(name)  # BdevError names the known agents
            _check_subagent(parent, definition.name)
            # Below the parent: its mode is the ceiling, its model what `inherit` means.
            caller = Caller(
                mode=parent.mode,
                model=parent.spec,
                depth=depth + 1,
                tools=tuple(parent.tools),
                deny=tuple(parent.deny),
                limited=dict(parent.limited),
            )
            agent, setup = self._agent(definition, caller, emit, self.model_override)
            base = self._base_hooks
            if base is not None:
                self._attach_hooks(agent, definition, setup, base)
                start = base.run("SubagentStart", agent_type=definition.name, prompt=prompt)
                prompt = "\n\n".join(t for t in (prompt, start.context_text) if t)
            emit(
                EventType.SUBAGENT_START,
                agent=definition.name,
                model=setup.spec,
                depth=depth + 1,
                permission_mode=setup.mode,
                max_steps=setup.max_steps,
                color=definition.color,
            )
            self._warn(emit, definition, setup, depth + 1)
            messages: list[Message] = []
            tools = list(agent.tools)
            system = system_prompt(definition, self.workspace, tools, agent.profile)
            agent.append(messages, Message("system", system))
            if agent.profile == "small":
                prompt = f"{prompt}\n\n{workspace_files(self.workspace)}"
            agent.append(messages, Message("user", prompt))
            result = agent.run(messages)
            if result.status is RunStatus.INTERRUPTED:
                raise KeyboardInterrupt  # the user stopped the whole run, not one sub-agent
            if result.status is not RunStatus.COMPLETED:
                why = f"{result.status.value}: {result.detail}"
                return f"[sub-agent {definition.name} stopped: {why}]\n{result.final}"
            return result.final or "(the sub-agent finished without a final message)"

        return run_subagent


def _check_subagent(parent: AgentSetup, name: str) -> None:
    """`Task(x)` in the parent's tools: only those types; `Task(x)` in its disallowedTools:
    never x. Names compare case-insensitively."""
    wanted = name.lower()
    if parent.subagent_types is not None and wanted not in {
        t.lower() for t in parent.subagent_types
    }:
        allowed = ", ".join(parent.subagent_types)
        raise SubagentRefused(
            f"this agent may start only these sub-agents: {allowed} (its tools field); not {name!r}"
        )
    if wanted in {t.lower() for t in parent.denied_subagents}:
        raise SubagentRefused(f"sub-agent {name!r} is in this agent's disallowedTools")


def _context(agent: Agent, event: str, **data: Any) -> str:
    """Run `event`'s hooks; the context they give the model ("" when none)."""
    return agent.hooks.run(event, **data).context_text if agent.hooks else ""


def _prompt_hook(agent: Agent, prompt: str) -> tuple[RunResult | None, str]:
    """UserPromptSubmit: a run that ends here when a hook refuses the prompt (nothing
    reaches the model), else the context the hooks add to it."""
    outcome = agent.hooks.run("UserPromptSubmit", prompt=prompt) if agent.hooks else Outcome()
    if not (outcome.blocked or outcome.stop):
        return None, outcome.context_text
    why = outcome.reason if outcome.blocked else outcome.stop_reason
    detail = f"the prompt was refused by a UserPromptSubmit hook: {why}"
    agent._event(EventType.END, status=RunStatus.COMPLETED.value, final="", detail=detail,
                 steps=0, usage=Usage().to_dict(), cost=None, duration_s=0.0)  # fmt: skip
    return RunResult(RunStatus.COMPLETED, "", 0, Usage(), 0.0, detail=detail), ""
