"""The embedded offline model: a GGUF file run in-process by llama.cpp.

Each turn renders the model's own chat template with the tool schemas (see
`template`), completes from that raw prompt and reads tool calls out of the text
(`toolcall_text`). Speed on a CPU is all about not re-reading the prompt:

- within one `LocalModel`, llama-cpp-python keeps the KV cache of the last prompt and
  `Llama.generate` evaluates only the tokens after the longest common prefix, so a turn
  pays only for the messages added since the previous one;
- across processes, the KV state of the stable prefix (system prompt + tool schemas) is
  saved once to the cache folder and loaded by the next run of the same agent
  (`prefix`).

With `constrained` (the default), a turn with tools is decoded under a grammar built
from their schemas (`grammar`): the reply is exactly one call with valid arguments, or
the `finish` action, which ends the task with its summary as the final answer.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bdev.errors import BdevError
from bdev.llm import catalog
from bdev.llm.base import (
    TIME_UP,
    Message,
    ModelError,
    ModelResponse,
    TextCallback,
    ToolCall,
    ToolSpec,
    Usage,
)
from bdev.llm.local import grammar
from bdev.llm.local.llama import open_llama
from bdev.llm.local.prefix import PrefixStore, prefix_key
from bdev.llm.local.repeats import inline_repeat_start, repeat_start
from bdev.llm.local.template import ChatTemplate
from bdev.llm.local.write_watch import WriteWatch
from bdev.llm.toolcall_text import parse_tool_calls

_STOP_STRINGS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")


@dataclass
class TurnStats:
    """Timings of the last turn, for benchmarks and `--verbose` output."""

    prefix_source: str = ""  # "kv" (already in memory), "disk", "evaluated" or "" (no prefix)
    prefix_tokens: int = 0
    time_to_first_token_s: float = 0.0
    generation_s: float = 0.0
    output_tokens: int = 0
    repeated: str = ""  # "lines" or "inline": stopped where the reply began repeating
    # Stopped because the context window was full, before the cap on a reply's length.
    window_full: bool = False
    # Stopped where a Write's content could not be its file's (a first line that cannot
    # begin it, a function defined twice): why. The call is closed there and goes to
    # Write, which refuses it.
    write_stopped: str = ""


class LocalModel:
    """A `Model` backed by an embedded GGUF model (default: Qwen2.5-Coder-1.5B-Instruct)."""

    opens_reply = True  # a last assistant message is the reply's opening (see base)

    def __init__(
        self,
        model_id: str | None = None,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        name: str | None = None,
        max_tokens: int = 1024,
        max_file_tokens: int = 2048,
        temperature: float = 0.2,
        top_p: float = 0.95,
        min_p: float = 0.05,
        seed: int = 1234,
        persist_prefix: bool = True,
        model_path: Path | None = None,
        constrained: bool = True,
    ) -> None:
        self.entry = catalog.get(model_id)
        self.name = name or f"local/{self.entry.id}"
        self.n_ctx = n_ctx
        # llama-cpp-python defaults to half the cores; bdev owns the machine while it runs.
        self.n_threads = n_threads or os.cpu_count() or 1
        self.max_tokens = max_tokens
        # A constrained call that writes a file may run to this cap instead: cut at the
        # ordinary one, a whole app.py is a malformed call the grammar cannot prevent.
        self.max_file_tokens = max(max_file_tokens, max_tokens)
        self.temperature = temperature
        self.top_p = top_p
        self.min_p = min_p
        self.seed = seed
        self.persist_prefix = persist_prefix
        self.constrained = constrained
        # A reply in progress stops at this time.monotonic() value (see base.reply_deadline).
        self.deadline: float | None = None
        # Tools a constrained reply may not call this turn, though the prompt lists them
        # (set by the loop, `barred_tools`).
        self.barred: frozenset[str] = frozenset()
        self._model_path = model_path
        self._llm: Any = None
        self._template: ChatTemplate | None = None
        self._stop_ids: set[int] = set()
        self._store = PrefixStore(catalog.cache_dir() / "prefix-states")
        self._lock = threading.Lock()  # one llama context cannot serve two turns at once
        self.last_stats = TurnStats()
        self._turns = 0

    # -- loading ---------------------------------------------------------------------

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on the first turn); the `Llama`."""
        if self._llm is not None:
            return self._llm
        try:
            import llama_cpp  # noqa: F401  (only to fail early with a clear message)
        except ImportError as e:
            raise BdevError(
                'the embedded model needs llama-cpp-python; run: pip install -e ".[local]"'
            ) from e
        path = self._model_path or catalog.ensure_installed(self.entry.id)
        try:
            llm = open_llama(
                path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as e:
            raise BdevError(f"could not load model file {path}: {e}") from e
        source = llm.metadata.get("tokenizer.chat_template")
        if not source:
            raise BdevError(f"model file {path} has no tokenizer.chat_template in its metadata")
        self._template = ChatTemplate(source)
        for text in _STOP_STRINGS:
            ids = llm.tokenize(text.encode(), add_bos=False, special=True)
            if len(ids) == 1:
                self._stop_ids.add(ids[0])
        self._stop_ids.add(llm.token_eos())
        self._llm = llm
        return llm

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None

    # -- one turn --------------------------------------------------------------------

    def complete(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        on_text: TextCallback | None = None,
    ) -> ModelResponse:
        with self._lock:
            return self._complete(messages, tools, on_text)

    def _complete(
        self, messages: list[Message], tools: list[ToolSpec], on_text: TextCallback | None
    ) -> ModelResponse:
        llm = self.load()
        assert self._template is not None
        started = time.perf_counter()
        constrained = self.constrained and bool(tools)
        if constrained:
            tools = [*tools, grammar.FINISH_SPEC]
        opening = ""
        if messages and messages[-1].role == "assistant" and not tools:
            # The caller opened the reply (`opens_reply`): the model goes on from there,
            # and the content returned is what it added.
            opening, messages = messages[-1].content, messages[:-1]
        prefix_text, rest_text = self._template.split_prefix(messages, tools)
        rest_text += opening
        if constrained:  # the reply is opened for the model; the grammar covers the rest
            rest_text += grammar.CALL_OPEN
        # Tokenized apart so the prefix tokens are identical whatever follows them.
        prefix_tokens = self._tokenize(prefix_text)
        prompt = prefix_tokens + self._tokenize(rest_text)
        if len(prompt) > self.n_ctx - MIN_REPLY_ROOM:
            # Generating into the last few tokens gives a reply cut off mid-call: the
            # run ends here instead, saying why.
            raise ModelError(
                f"the conversation is {len(prompt)} tokens: the model's context window of "
                f"{self.n_ctx} (n_ctx) leaves no room for a reply (at least "
                f"{MIN_REPLY_ROOM} tokens)"
            )
        stats = TurnStats(prefix_tokens=len(prefix_tokens))
        if prefix_tokens:
            stats.prefix_source = self._ensure_prefix(llm, prefix_tokens, prefix_text)
        # Prompt tokens this turn did not evaluate: the common prefix with the KV cache
        # (minus one when the whole prompt is cached: `generate` replays the last token
        # to get logits), unless the prefix was just evaluated for this very turn.
        cached = min(_common_prefix(llm.input_ids[: llm.n_tokens], prompt), len(prompt) - 1)
        if stats.prefix_source == "evaluated":
            cached = 0

        # A small model's first reply is often `finish`, claiming work it never did: until
        # a tool has run, the grammar has no finish (the prompt still lists it, so the
        # cached prefix stays the same).
        acted = any(m.role == "tool" for m in messages)
        offered = [t for t in tools[:-1] if t.name not in self.barred] or tools[:-1]
        rules = grammar.gbnf(offered, finish=acted) if constrained else None
        text, n_out, finish, cap = self._generate(llm, prompt, on_text, stats, started, rules)
        self.last_stats = stats
        self._turns += 1
        usage = Usage(input_tokens=len(prompt), output_tokens=n_out, cached_tokens=cached)
        response = ModelResponse(
            usage=usage,
            finish_reason=finish,
            model=self.name,
            max_output_tokens=cap,
        )
        if finish == TIME_UP:  # unfinished: nothing in it is read
            return response
        if constrained:
            return self._read_action(text, response, stats, tools)
        parsed = parse_tool_calls(text, [t.name for t in tools])
        # The parser numbers calls per text; ids must stay unique across the conversation.
        for i, call in enumerate(parsed.calls):
            call.id = f"call_{self._turns}_{i}"
        if parsed.calls and finish == "stop":
            response.finish_reason = "tool_calls"
        response.content = parsed.content
        response.tool_calls = parsed.calls
        response.format_errors = parsed.errors
        return response

    def _read_action(
        self,
        text: str,
        response: ModelResponse,
        stats: TurnStats | None = None,
        tools: list[ToolSpec] | None = None,
    ) -> ModelResponse:
        """The one action a constrained reply holds: a call, or `finish` with its summary.

        The grammar guarantees valid JSON of the right shape unless the reply was cut: at
        the output cap (the model is told the cap), or where it began repeating itself.
        A call cut there inside its last string (a Write's `content`) is closed as it
        stood, with the repeated lines once, or a line repeating within itself ended at its
        last whole item (an import listing the same names again and again), or where the
        cycle began when that item lies outside the string (an Edit's `new_string` going
        round `<tool RESPONSE>...`); its `notice` says so, with the call's result (in the
        reply's text the model took it for its own words and wrote them into the next
        Write: greenfield 03 at `731d2e4`). A call closed that way must still hold every
        argument its tool requires (of `tools`), else the reply goes back.
        """
        stats = stats or TurnStats()
        repeated = stats.repeated
        salvaged = None
        if stats.write_stopped or repeated == "lines":
            salvaged = _closed(text)
        elif repeated == "inline":
            salvaged = _closed(_last_item(text) + "\\n") or _closed_at_cut(text)
        if salvaged is not None and not _has_required(salvaged, tools or []):
            salvaged = None
        try:
            action = salvaged or json.loads(text)
        except json.JSONDecodeError:
            if repeated:
                response.format_errors = [
                    "Your reply began repeating the same lines and was stopped there. Write "
                    "each part once; use Edit to add to a file."
                ]
                response.content = grammar.CALL_OPEN + text
                return response
            if stats.window_full:
                error = (
                    f"Your reply was cut off in the middle of the call: the model's context "
                    f"window of {self.n_ctx} tokens was full ({response.usage.input_tokens} "
                    "of them are this conversation). Make smaller steps: write a shorter "
                    "file, then add to it with Edit."
                )
            elif response.finish_reason == "length":
                cap = response.max_output_tokens
                error = (
                    f"Your reply was cut off at the cap of {cap} tokens per reply, in the "
                    "middle of the call. Make smaller steps: write a shorter file, then add "
                    "to it with Edit."
                )
            else:  # the grammar should make this impossible; said plainly if it happens
                error = "Your reply ended before the call was complete. Send the whole call."
            response.format_errors = [error]
            response.content = grammar.CALL_OPEN + text
            return response
        if action["name"] == grammar.FINISH:
            response.content = action["arguments"]["summary"]
            response.finish_reason = "stop"
            return response
        call = ToolCall(f"call_{self._turns}_0", action["name"], action["arguments"])
        response.tool_calls = [call]
        response.finish_reason = "tool_calls"
        if salvaged and stats.write_stopped:
            what = (
                "its old_string could not be text of the file"
                if call.name == "Edit"
                else ("its content could not be the file's")
            )
            response.notice = f"bdev stopped this {call.name} where {what}: {stats.write_stopped}"
        elif salvaged and repeated == "inline":
            response.notice = (
                "bdev stopped this reply where a line began repeating itself, and ended "
                "the line and the call there"
            )
        elif salvaged:
            response.notice = (
                "bdev stopped this reply where it began repeating the same lines, and "
                "closed the call there: the lines are in it once"
            )
        return response

    def _tokenize(self, text: str) -> list[int]:
        if not text:
            return []
        return self._llm.tokenize(text.encode(), add_bos=False, special=True)

    def _ensure_prefix(self, llm: Any, prefix: list[int], prefix_text: str) -> str:
        """Make the KV cache start with `prefix`: already there, from disk, or evaluated."""
        if _common_prefix(llm.input_ids[: llm.n_tokens], prefix) == len(prefix):
            return "kv"
        key = prefix_key(self._model_identity(), prefix_text)
        if (
            self.persist_prefix
            and self._store.load(llm, key) == len(prefix)
            and list(llm.input_ids[: len(prefix)]) == prefix
        ):
            return "disk"
        llm.reset()
        llm.eval(prefix)
        if self.persist_prefix:
            self._store.save(llm, key)
        return "evaluated"

    def _model_identity(self) -> str:
        """What prefix states are keyed on: the pinned hash, or the file given by path."""
        if self._model_path is None and self.entry.sha256:
            return self.entry.sha256
        path = self._model_path or catalog.model_path(self.entry.id)
        st = path.stat()
        return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"

    def _generate(
        self,
        llm: Any,
        prompt: list[int],
        on_text: TextCallback | None,
        stats: TurnStats,
        started: float,
        rules: str | None = None,
    ) -> tuple[str, int, str, int]:
        """(text, tokens out, finish reason, the cap that applied)."""
        budget = min(self.max_tokens, self.n_ctx - len(prompt))
        cap = self.max_tokens
        llm.set_seed(self.seed)  # same conversation, same answer
        # Tokens can end in the middle of a UTF-8 character; decode incrementally.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces: list[str] = []
        n_out, finish = 0, "length"
        newline = "\\n" if rules else "\n"  # inside a constrained call, lines are escaped
        watch = WriteWatch() if rules else None
        gen_start = time.perf_counter()
        tokens = llm.generate(
            prompt,
            temp=self.temperature,
            top_k=40,
            top_p=self.top_p,
            min_p=self.min_p,
            repeat_penalty=1.0,
            grammar=_llama_grammar(rules) if rules else None,
        )
        for i, token in enumerate(tokens):
            if i == 0:  # the prompt has been evaluated: generation starts here
                gen_start = time.perf_counter()
                stats.time_to_first_token_s = gen_start - started
            if token in self._stop_ids:
                finish = "stop"
                break
            if self.deadline is not None and time.monotonic() >= self.deadline:
                finish = TIME_UP
                break
            n_out += 1
            piece = decoder.decode(llm.detokenize([token], special=False))
            if piece:
                pieces.append(piece)
                if on_text:
                    on_text(piece)
                if newline[-1] in piece or n_out % 16 == 0:
                    text = "".join(pieces)
                    cut = repeat_start(text, newline) if newline[-1] in piece else None
                    inline = inline_repeat_start(text) if cut is None else None
                    if cut is not None or inline is not None:
                        # Stopped where the cycle began: the first copy stays, as the
                        # model meant it; a call cut after whole lines may still be closed.
                        stats.repeated = "lines" if cut is not None else "inline"
                        pieces, finish = [text[: cut or inline]], "length"
                        break
                    if watch and (stop := watch.check(text)):
                        stats.write_stopped = stop.reason
                        pieces, finish = [stop.text], "stop"
                        break
            at_cap = n_out >= budget and cap < self.max_file_tokens
            if at_cap and _WRITES_A_FILE.search("".join(pieces)[:_CALL_HEAD]):
                cap = self.max_file_tokens
                budget = min(cap, self.n_ctx - len(prompt))
            if n_out >= budget:
                stats.window_full = budget < cap
                break
        tail = decoder.decode(b"", final=True)
        if tail:
            pieces.append(tail)
            if on_text:
                on_text(tail)
        cycle = bool(stats.repeated)
        if (
            watch
            and finish == "length"
            and (stop := watch.check("".join(pieces), cut=True, repeated=cycle))
        ):
            # Cut at the cap or in a cycle before its first line ended: judged as it stands.
            stats.write_stopped, stats.repeated = stop.reason, ""
            pieces, finish = [stop.text], "stop"
        stats.generation_s = time.perf_counter() - gen_start
        stats.output_tokens = n_out
        return "".join(pieces), n_out, finish, cap


MIN_REPLY_ROOM = 64  # tokens: about the shortest tool call (a Read) with its tags

# The start of a call to a tool whose arguments carry a file's text (constrained, or
# written freely after a <tool_call> tag or a line of prose, within _CALL_HEAD characters).
_WRITES_A_FILE = re.compile(r'\{\s*"name"\s*:\s*"(Write|Edit|MultiEdit|NotebookEdit)"')
_CALL_HEAD = 200


def _llama_grammar(rules: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(rules, verbose=False)


def _common_prefix(a: Any, b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _last_item(text: str) -> str:
    """A line cut where it began repeating a list (`A, B, A, B, A`), ended after the last
    separator's item: the cut falls anywhere in an item, and the item it splits appears
    whole where the first copy began."""
    line = text.rsplit("\\n", 1)[-1]
    items = max(line.rfind(sep) for sep in ",;|")
    head = text[: len(text) - len(line) + items] if items > 0 else text
    return head.rstrip(" ,;|")


def _closed_at_cut(text: str) -> dict[str, Any] | None:
    """`_closed` where the text was cut, less an escape the cut split (`\\u00`)."""
    for end in range(len(text), max(len(text) - _LONGEST_ESCAPE, 0) - 1, -1):
        if (action := _closed(text[:end])) is not None:
            return action
    return None


def _has_required(action: dict[str, Any], tools: list[ToolSpec]) -> bool:
    spec = next((t for t in tools if t.name == action.get("name")), None)
    required = spec.parameters.get("required", []) if spec else []
    return all(name in action["arguments"] for name in required)


_LONGEST_ESCAPE = 6  # \uXXXX


def _closed(text: str) -> dict[str, Any] | None:
    """A constrained call cut inside its last string argument, closed there; None when
    closing it does not give a call."""
    try:
        action = json.loads(text + '"}}')
    except json.JSONDecodeError:
        return None
    ok = isinstance(action, dict) and isinstance(action.get("arguments"), dict)
    return action if ok and action.get("name") != grammar.FINISH else None
