"""The agent loop: ask the model, run the tools it calls, feed the results back.

It ends on a final answer (a turn with no tool calls) or on a limit. Nothing a tool or
the model does wrong crashes it: tool failures, denied permissions and malformed calls
all go back to the model as error results, and only a run of malformed turns in a row
(or a model that cannot be reached) stops it early.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bdev.llm.base import (
    TIME_UP,
    Message,
    Model,
    ModelError,
    ToolCall,
    Usage,
    barred_tools,
    prompt_room,
    reply_deadline,
    retry_sampling,
)
from bdev.llm.pricing import cost as price_cost
from bdev.prompts import render
from bdev.runtime.compaction import Compactor
from bdev.runtime.events import Emitter, EventType, FormatError
from bdev.runtime.hooks import Hooks, Outcome
from bdev.runtime.limits import Limits, RunStatus
from bdev.runtime.promised import missing_files
from bdev.tools.base import Tool, ToolContext, ToolError
from bdev.tools.policy import Policy
from bdev.tools.registry import tool_specs, validate_arguments
from bdev.tools.shell_policy import judge

# Asked when the policy says "ask": (tool name, arguments) -> allowed?
AskPermission = Callable[[str, dict[str, Any]], bool]

FINAL_REMINDER = render("final_reminder")
ACT_FIRST = render("act_first")
EMPTY_FINAL = render("empty_final")
# A line that only opens or closes a Markdown fence: no words of its own.
_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})\w*\s*$", re.MULTILINE)


@dataclass
class RunResult:
    status: RunStatus
    final: str
    steps: int
    usage: Usage
    duration_s: float
    cost: float | None = None
    detail: str = ""  # why it stopped, when not completed


@dataclass
class Agent:
    """One agent at work: a model, the tools its definition allows, and a policy."""

    model: Model
    tools: dict[str, Tool]
    policy: Policy
    ctx: ToolContext
    emit: Emitter
    limits: Limits = field(default_factory=Limits)
    ask: AskPermission | None = None
    price: dict[str, float] | None = None
    depth: int = 0  # 0 for the top-level agent, 1+ for sub-agents started by Task
    profile: str = "full"  # "small": compact tool specs (see runtime.profile)
    # The definition's disallowedTools: not offered, and a call to one is refused.
    disallowed: frozenset[str] = frozenset()
    hooks: Hooks | None = None  # PreToolUse, PostToolUse and Stop (runtime.hooks)
    _halt: str | None = None  # a hook's `"continue": false`: why the run stops
    _notice: str = ""  # the model's note on this turn's reply, for its first call's result

    def run(self, messages: list[Message], *, steps_done: int = 0) -> RunResult:
        """Continue the conversation in `messages` (mutated in place) until it ends."""
        started = time.monotonic()
        deadline = None
        if self.limits.max_seconds is not None:  # a running command stops at the limit too
            deadline = self.ctx.deadline = started + self.limits.max_seconds
        usage = Usage()
        steps = steps_done
        wasted: list[str] = []  # the turns in a row whose calls none ran: why each
        last_call: ToolCall | None = None
        recent: list[ToolCall] = []  # the last few calls made, run or not
        echoes = 0  # turns in a row repeating one of those, or sent back: sampled warmer
        barred: set[str] = set()  # tools the next reply may not call (a small model's repeat)
        failed_tools: set[str] = set()  # the last turn's tools, when every call failed
        specs = tool_specs(list(self.tools.values()), compact=self.profile == "small")
        stop_hook_active = False  # a Stop hook already made the agent go on
        pushed_back = False  # a final answer before any tool ran was sent back once
        files_asked = False  # a final answer with a file the task names missing, once
        empty_asked = False  # a final answer with no words in it, once
        # Calls that change the workspace (Write, Edit, Bash, ...): sent, and run; a small
        # model's final answer after sending changes of which none ran is sent back once.
        changes_sent = changes_ran = unchanged_asked = False
        room = prompt_room(self.model)
        compactor = Compactor(room) if room else None  # a small context window

        def finish(status: RunStatus, final: str = "", detail: str = "") -> RunResult:
            result = RunResult(
                status=status,
                final=final,
                steps=steps,
                usage=usage,
                duration_s=time.monotonic() - started,
                cost=price_cost(usage, self.price) if self.price else None,
                detail=detail,
            )
            self._event(
                EventType.END,
                status=status.value,
                final=final,
                detail=detail,
                steps=steps,
                usage=usage.to_dict(),
                cost=result.cost,
                duration_s=round(result.duration_s, 3),
            )
            return result

        while True:
            stop = self._limit_reached(steps, usage, started)
            if stop is not None:
                return finish(stop[0], detail=stop[1])
            steps += 1
            t0 = time.monotonic()
            try:
                # A model going round in circles (Write, Read, the same Write) mostly
                # goes round again at the same settings: each such turn warms the next.
                shown = compactor.view(messages, specs) if compactor else messages
                with (
                    retry_sampling(self.model, 1 + echoes),
                    reply_deadline(self.model, deadline),
                    barred_tools(self.model, barred),
                ):
                    response = self.model.complete(shown, specs)
            except ModelError as e:
                return finish(RunStatus.MODEL_ERROR, detail=str(e))
            except KeyboardInterrupt:
                return finish(RunStatus.INTERRUPTED, detail="interrupted by the user")
            usage = usage + response.usage
            self._event(
                EventType.MODEL_CALL,
                step=steps,
                model=response.model or self.model.name,
                usage=response.usage.to_dict(),
                finish_reason=response.finish_reason,
                max_output_tokens=response.max_output_tokens,
                duration_s=round(time.monotonic() - t0, 3),
                **({"warmer": echoes} if echoes else {}),
                **({"barred": sorted(barred)} if barred else {}),
                **({"notice": response.notice} if response.notice else {}),
                # How many of the first messages the model saw shortened, and how many
                # after the task it did not see (compaction).
                **({"shortened": compactor.shortened} if compactor and compactor.shortened else {}),
                **({"dropped": compactor.dropped} if compactor and compactor.dropped else {}),
            )

            if response.finish_reason == TIME_UP:
                # The limit fell in the middle of a reply (the embedded model's run for
                # minutes): the run ends now, and the unfinished reply is not used.
                return finish(
                    RunStatus.TIME_LIMIT,
                    detail=f"reached the time limit ({self.limits.max_seconds:g} s) in the "
                    "middle of a reply, which was left out",
                )
            assistant = Message("assistant", response.content, list(response.tool_calls))
            self.append(messages, assistant)
            self._notice = response.notice if response.tool_calls else ""

            if response.finish_reason == "end_of_script":
                return finish(RunStatus.COMPLETED, response.content)

            problems = list(response.format_errors)
            # A reply cut at its cap is told so, unless the model already said why it was cut.
            if response.finish_reason == "length" and not response.tool_calls and not problems:
                problems.append(FINAL_REMINDER)
            if not response.tool_calls and not problems:
                if not pushed_back and self._answered_without_acting(messages):
                    # A small model often "finishes" at once, claiming work it never
                    # did; it is told so once (a second final answer is taken).
                    pushed_back = True
                    errors = ["a final answer before any tool ran (sent back once)"]
                    self._format_error(steps, FormatError.EARLY_FINAL, errors)
                    self.append(messages, Message("user", ACT_FIRST))
                    continue
                if self.profile == "small" and not empty_asked and _wordless(response.content):
                    # "```\n```" is not a report of work done: the run would end on nothing.
                    empty_asked = True
                    errors = ["a final answer with no words in it (sent back once)"]
                    self._format_error(steps, FormatError.EMPTY_FINAL, errors)
                    self.append(messages, Message("user", EMPTY_FINAL))
                    continue
                missing = [] if files_asked else self._files_missing(messages)
                if missing:
                    files_asked = True
                    errors = [f"a final answer while {', '.join(missing)} does not exist"]
                    self._format_error(steps, FormatError.FILES_MISSING, errors)
                    self.append(messages, Message("user", render("files_missing", files=missing)))
                    continue
                refused_all = changes_sent and not changes_ran
                if self.profile == "small" and refused_all and not unchanged_asked:
                    # "The changes were made": every Write and Edit was refused.
                    unchanged_asked = True
                    errors = ["a final answer while none of its changes ran (sent back once)"]
                    self._format_error(steps, FormatError.NOTHING_CHANGED, errors)
                    self.append(messages, Message("user", render("nothing_changed")))
                    continue
                again = self._stop_hook(messages, response.content, stop_hook_active)
                if again is None:
                    return finish(RunStatus.COMPLETED, response.content, self._halt or "")
                stop_hook_active = again
                continue

            if response.tool_calls:
                seen = [c for c in response.tool_calls if any(_same_call(c, r) for r in recent)]
                echoed = len(seen) == len(response.tool_calls)
                if self.profile == "small":
                    # Told the call was not run, or that the file already had exactly
                    # this content, the embedded model sent the same Write again and
                    # again, a minute each, until the run ended (greenfield 01-06 at
                    # `b9fa3d5`): its next reply calls another tool, or ends. The bars
                    # add up while it only repeats itself (a refused Write, a failing
                    # Edit, the Write again: 01 at `f00905a`).
                    barred = (barred if echoed else set()) | {c.name for c in seen}
                # Or the same tool again right after it failed: a model counting through
                # guesses (`old_string` "900", then "1000", ...) repeats no call exactly.
                echoed = echoed or {c.name for c in response.tool_calls} <= failed_tools
                echoes = echoes + 1 if echoed else 0
                recent = [*recent, *response.tool_calls][-_RECENT:]
            elif problems:  # a reply sent back: at the same settings it mostly comes again
                echoes += 1
            if not response.tool_calls:
                barred = set()
            malformed = repeated = 0
            ran: list[bool] = []  # per call: did it run and succeed
            for index, call in enumerate(response.tool_calls):
                ok: bool | None
                if index > 0 and self.profile == "small":
                    self._skip_extra(messages, call, steps, response.tool_calls[0])
                    ok = None  # well formed, only not run
                elif _same_call(call, last_call):
                    ok = self._refuse_repeat(messages, call, steps)
                    repeated += 1
                else:
                    try:
                        ok = self._run_call(messages, call, steps)
                    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while a tool ran
                        # The tool stopped what it started (Bash kills its process group);
                        # the end event says which call was cut short.
                        detail = f"interrupted during {call.name} (call {call.id})"
                        return finish(RunStatus.INTERRUPTED, detail=detail)
                last_call = call
                ran.append(ok is True)
                malformed += 0 if ok is not False else 1
                if self._changes(call):
                    changes_sent, changes_ran = True, changes_ran or ok is True
                if self._halt is not None:
                    return finish(RunStatus.COMPLETED, detail=self._halt)
            failed = bool(ran) and not any(ran)
            failed_tools = {c.name for c in response.tool_calls} if failed else set()
            if problems:
                # These have no call id to answer, so they go back as a user turn.
                self._format_error(steps, FormatError.REPLY, problems)
                self.append(messages, Message("user", _format_feedback(problems)))

            all_bad = bool(problems) and not response.tool_calls
            all_bad = all_bad or (
                bool(response.tool_calls) and malformed == len(response.tool_calls)
            )
            if not all_bad:
                wasted = []
            else:  # a turn of refused repeats is well formed: the end says which it was
                only_repeats = bool(response.tool_calls) and repeated == len(response.tool_calls)
                wasted.append("repeated" if only_repeats else "malformed")
            if len(wasted) >= self.limits.max_format_errors:
                return finish(RunStatus.FORMAT_ERRORS, detail=_wasted_detail(wasted))

    # -- one tool call ---------------------------------------------------------

    def _run_call(self, messages: list[Message], call: ToolCall, step: int) -> bool | None:
        """Run one call and append its result. Returns False when the call itself was
        malformed (unknown tool, bad arguments), True when it ran, None when denied or
        the tool failed (a well-formed call, so not counted as malformed)."""
        tool = self.tools.get(call.name)
        if tool is None and call.name in self.disallowed:
            reason = f"{call.name} is in this agent's disallowedTools"
            self._event(
                EventType.PERMISSION, step=step, tool=call.name, action="deny", reason=reason
            )
            self._tool_result(messages, call, f"Permission denied: {reason}", True)
            return None
        if tool is None:
            names = ", ".join(sorted(self.tools))
            text = f"Unknown tool {call.name!r}. Tools: {names}."
            self._format_error(step, FormatError.BAD_CALL, [text])
            self._tool_result(messages, call, text, True)
            return False
        errors = validate_arguments(tool, call.arguments)
        if errors:
            text = f"Invalid arguments for {call.name}: " + "; ".join(errors)
            self._format_error(step, FormatError.BAD_CALL, [text])
            self._tool_result(messages, call, text, True)
            return False

        pre = self._hook("PreToolUse", call.name, tool_input=call.arguments)
        if pre.permission == "deny" or pre.blocked:
            reason = f"blocked by a PreToolUse hook: {pre.reason}"
            self._event(
                EventType.PERMISSION, step=step, tool=call.name, action="deny", reason=reason
            )
            self._tool_result(messages, call, f"Permission denied: {reason}", True)
            return None
        decision = self.policy.check(tool, call.arguments)
        action, reason = decision.action, decision.reason
        if pre.permission == "allow" and self._hook_may_approve(tool, call.arguments, action):
            action = "allow"  # the hook answered the question; deny rules were checked
        elif pre.permission == "ask" and action == "allow":
            action, reason = "ask", f"a PreToolUse hook asks: {pre.reason}"
        allowed = action == "allow"
        if action == "ask" and self.ask is not None:
            allowed = self.ask(call.name, call.arguments)
        if not allowed:
            reason = reason or "not allowed by the permission policy"
            if action == "ask" and self.ask is not None:
                reason = f"the user refused it ({reason})"
            # Every refusal is in the transcript with its reason, and the call it refused.
            self._event(
                EventType.PERMISSION,
                step=step,
                tool=call.name,
                action="deny",
                reason=reason,
                arguments=call.arguments,
            )
            self._tool_result(messages, call, f"Permission denied: {reason}", True)
            return None

        self._event(
            EventType.TOOL_START, step=step, id=call.id, name=call.name, arguments=call.arguments
        )
        t0 = time.monotonic()
        try:
            output, is_error = tool.run(call.arguments, self.ctx), False
        except ToolError as e:
            output, is_error = f"Error: {e}", True
        except KeyboardInterrupt:
            raise
        except Exception as e:  # a bug in a tool must not end the run
            output, is_error = f"Error: {call.name} failed unexpectedly: {e!r}", True
        self._event(
            EventType.TOOL_END,
            step=step,
            id=call.id,
            name=call.name,
            is_error=is_error,
            duration_s=round(time.monotonic() - t0, 3),
        )
        if call.name == "TodoWrite" and not is_error:
            self._event(EventType.TODOS, todos=[vars(t) for t in self.ctx.todos])
        post = self._hook(
            "PostToolUse",
            call.name,
            tool_input=call.arguments,
            tool_response={"output": output, "is_error": is_error},
        )
        notes = [*pre.context, *([post.reason] if post.blocked else []), *post.context]
        if notes:  # what the hooks said goes back with the result, as in Claude Code
            output = f"{output}\n\n[hook] " + "\n[hook] ".join(notes)
        self._tool_result(messages, call, output, is_error)
        return None if is_error else True

    def _refuse_repeat(self, messages: list[Message], call: ToolCall, step: int) -> bool:
        """A call identical to the one just before it is not run again: small models
        fall into loops of rewriting the same file. The model is told, and the turn
        counts as wasted (as a malformed one does), so a loop of repeats ends the run."""
        self._format_error(step, FormatError.REPEAT, [f"repeated {call.name} call"])
        self._tool_result(messages, call, render("repeated_call", name=call.name), True)
        return False

    def _skip_extra(
        self, messages: list[Message], call: ToolCall, step: int, first: ToolCall
    ) -> None:
        """A small model's second and later calls in one reply are not run: written
        before it saw the first one's result, they rest on a guess (free-decoding models
        string a dozen calls together with invented results between them)."""
        self._format_error(step, FormatError.EXTRA_CALL, [f"{call.name}: not the first call"])
        self._tool_result(
            messages, call, render("extra_call", name=call.name, first=first.name), True
        )

    def run_pending(self, messages: list[Message], calls: list[ToolCall], step: int) -> None:
        """Answer tool calls that a killed run asked for but never ran (used by resume)."""
        for call in calls:
            self._run_call(messages, call, step)

    # -- hooks -----------------------------------------------------------------

    def _hook(self, event: str, tool: str | None = None, **data: Any) -> Outcome:
        if self.hooks is None:
            return Outcome()
        outcome = self.hooks.run(event, tool, **data)
        if outcome.stop and self._halt is None:
            self._halt = f"stopped by a {event} hook: {outcome.stop_reason}"
        return outcome

    def _hook_may_approve(self, tool: Tool, args: dict[str, Any], action: str) -> bool:
        """A hook's allow stands in for the user's yes, nothing more: it counts where the
        policy would ask (headless, that question reads as a deny), never against a deny
        rule, a protected path, or a Bash command whose programs bdev cannot know."""
        if action == "ask":
            return True
        if action != "deny" or not hasattr(self.policy, "interactive"):
            return False
        if tool.name == "Bash":
            verdict = judge(str(args.get("command", "")), [], [], self.ctx.workspace)
            if verdict.reasons("unprovable"):
                return False
        asking = replace(self.policy, interactive=True)
        return asking.check(tool, args).action == "ask"

    def _changes(self, call: ToolCall) -> bool:
        """Whether `call` is to a tool that may change the workspace."""
        tool = self.tools.get(call.name)
        return tool is not None and not tool.read_only

    def _answered_without_acting(self, messages: list[Message]) -> bool:
        """A small model's final answer when no tool has run in the whole conversation."""
        if self.profile != "small" or not self.tools:
            return False
        return not any(m.role == "tool" for m in messages)

    def _files_missing(self, messages: list[Message]) -> list[str]:
        """The files the task (its first user turn) asks for by name that do not exist."""
        task = next((m.content for m in messages if m.role == "user"), "")
        return missing_files(task or "", self.ctx.workspace) if "Write" in self.tools else []

    def _stop_hook(self, messages: list[Message], final: str, active: bool) -> bool | None:
        """None: the agent may stop. True: a Stop hook blocked, and its reason went to the
        model as a user turn, so the agent goes on."""
        event = "SubagentStop" if self.depth else "Stop"
        outcome = self._hook(event, stop_hook_active=active, last_assistant_message=final)
        if not outcome.blocked or self._halt is not None:
            return None
        self.append(messages, Message("user", f"[{event} hook] {outcome.reason}"))
        return True

    # -- helpers ---------------------------------------------------------------

    def _tool_result(self, messages: list[Message], call: ToolCall, text: str, error: bool) -> None:
        if self._notice:  # the reply's first call: what the model's provider did to it
            text, self._notice = f"{text}\nNote: {self._notice}", ""
        msg = Message("tool", text, tool_call_id=call.id, name=call.name, is_error=error)
        self.append(messages, msg)

    def append(self, messages: list[Message], message: Message) -> None:
        messages.append(message)
        self._event(EventType.MESSAGE, message=message.to_dict())

    def _format_error(self, step: int, kind: FormatError, errors: list[str]) -> None:
        self._event(EventType.FORMAT_ERROR, step=step, kind=kind.value, errors=errors)

    def _event(self, type: EventType, **data: Any) -> None:
        if self.depth:
            data["depth"] = self.depth
        self.emit(type, **data)

    def _limit_reached(
        self, steps: int, usage: Usage, started: float
    ) -> tuple[RunStatus, str] | None:
        lim = self.limits
        if steps >= lim.max_steps:
            return RunStatus.MAX_STEPS, f"reached the step limit ({lim.max_steps})"
        if lim.max_seconds is not None and time.monotonic() - started >= lim.max_seconds:
            return RunStatus.TIME_LIMIT, f"reached the time limit ({lim.max_seconds:g} s)"
        total = usage.input_tokens + usage.output_tokens
        if lim.max_tokens is not None and total >= lim.max_tokens:
            return RunStatus.TOKEN_LIMIT, f"reached the token limit ({lim.max_tokens})"
        if lim.max_cost is not None and self.price:
            spent = price_cost(usage, self.price) or 0.0
            if spent >= lim.max_cost:
                return RunStatus.COST_LIMIT, f"reached the cost limit (${lim.max_cost:g})"
        return None


def _format_feedback(problems: list[str]) -> str:
    return render("format_feedback", problems=problems)


def _wasted_detail(wasted: list[str]) -> str:
    """Why a run of wasted turns ended the run, naming which kind they were."""
    repeats, n = wasted.count("repeated"), len(wasted)
    if not repeats:
        return f"{n} malformed tool-call turns in a row"
    if repeats == n:
        return f"{n} turns in a row repeating the call before them (well formed, not run)"
    return (
        f"{n} turns in a row without a call that ran ({n - repeats} malformed, "
        f"{repeats} repeating the call before)"
    )


_RECENT = 4  # how far back a call counts as the model repeating itself


def _same_call(call: ToolCall, previous: ToolCall | None) -> bool:
    return (
        previous is not None and call.name == previous.name and call.arguments == previous.arguments
    )


def _wordless(text: str) -> bool:
    """Whether a reply says nothing: empty, blank, or only empty Markdown fences."""
    return re.search(r"\w", _FENCE_LINE.sub("", text or "")) is None
