"""Embedded model: plain llama-cpp-python vs bdev's LocalModel, on the same conversation.

    python benchmarks/local_model_bench.py [--threads N] [--max-tokens N] [--json out.json]

The conversation is a real agent prompt (the Backend-Developer seed definition's body
as the system prompt, with the twelve tool schemas) followed by scripted tool calls and
results, so both sides see the same messages whatever the model answers. Measured:

- time to first token (TTFT) of turn 1, cold (nothing cached anywhere);
- bdev only: TTFT of turn 1 in a fresh model instance that loads the persisted prefix;
- TTFT of turn 5 of the running conversation (4 tool calls and results in);
- generation speed (tokens after the first, per second), over all turns.

Each side has its own `Llama` (no shared KV cache); their turns alternate, so that other
load on the machine slows both alike. Uses a temporary prefix-state folder (the model
file itself is not copied).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "llm"))

from capture_fixtures import tool_specs  # noqa: E402

from bdev.llm import catalog  # noqa: E402
from bdev.llm.base import Message, ToolCall, ToolSpec  # noqa: E402
from bdev.llm.local.llama import open_llama  # noqa: E402
from bdev.llm.local.model import LocalModel  # noqa: E402
from bdev.llm.local.template import message_to_dict, tool_to_dict  # noqa: E402

SEED = Path("/work/shared/seeds/001_568361a15d96b4c5.txt")

# (the call the assistant made, what the tool answered): turns 2..5 build on these.
SCRIPT: list[tuple[ToolCall, str]] = [
    (ToolCall("c1", "LS", {"path": "."}), "app.py\nrequirements.txt\ntests/\n"),
    (
        ToolCall("c2", "Read", {"file_path": "app.py"}),
        "1\tfrom fastapi import FastAPI\n2\t\n3\tapp = FastAPI()\n4\t\n5\t@app.get('/health')\n"
        "6\tdef health():\n7\t    return {'status': 'ok'}\n",
    ),
    (
        ToolCall(
            "c3",
            "Edit",
            {
                "file_path": "app.py",
                "old_string": "@app.get('/health')",
                "new_string": "@app.get('/orders')\ndef orders():\n    return []\n\n"
                "@app.get('/health')",
            },
        ),
        "Edited app.py: 1 replacement.",
    ),
    (ToolCall("c4", "Bash", {"command": "pytest -q"}), "3 passed in 0.41s"),
]
TASK = "Add a GET /orders endpoint returning an empty list to app.py, then run the tests."


def system_prompt() -> str:
    text = SEED.read_text()
    return re.split(r"^---\s*$", text, maxsplit=2, flags=re.MULTILINE)[2].strip()


def conversation(turn: int) -> list[Message]:
    """The messages for turn `turn` (1-based): system, task, then turn-1 scripted steps."""
    messages = [Message("system", system_prompt()), Message("user", TASK)]
    for call, result in SCRIPT[: turn - 1]:
        messages.append(Message("assistant", "", [call]))
        messages.append(Message("tool", result, tool_call_id=call.id, name=call.name))
    return messages


@dataclass
class Turn:
    turn: int
    ttft_s: float
    tokens: int
    gen_s: float
    text: str = ""
    prompt_tokens: int = 0
    cached_tokens: int = 0


@dataclass
class Side:
    name: str
    load_s: float = 0.0
    turns: list[Turn] = field(default_factory=list)

    def gen_rate(self) -> float:
        tokens = sum(t.tokens - 1 for t in self.turns if t.tokens > 1)
        seconds = sum(t.gen_s for t in self.turns if t.tokens > 1)
        return tokens / seconds if seconds else 0.0


class Clock:
    """Collects streamed text with the time of the first and last piece."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None
        self.last = self.start
        self.pieces: list[str] = []

    def __call__(self, piece: str) -> None:
        # Any chunk counts for the first token: a turn may be nothing but end-of-turn.
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        self.pieces.append(piece)

    def turn(self, n: int, tokenize: Any) -> Turn:
        text = "".join(self.pieces)
        first = self.first or self.last
        return Turn(n, first - self.start, len(tokenize(text)), self.last - first, text)


class Plain:
    """llama-cpp-python used directly: its chat handler, streaming, default settings."""

    def __init__(self, path: Path, tools: list[ToolSpec], args: argparse.Namespace) -> None:
        self.side = Side("plain llama-cpp-python create_chat_completion")
        self.args = args
        self.tools = [tool_to_dict(t) for t in tools]
        t0 = time.perf_counter()
        self.llm = open_llama(
            path,
            n_ctx=8192,
            n_threads=args.threads,
            n_threads_batch=args.threads,
            seed=1234,
            verbose=False,
        )
        self.side.load_s = time.perf_counter() - t0

    def turn(self, n: int) -> Turn:
        clock = Clock()
        stream = self.llm.create_chat_completion(
            messages=[message_to_dict(m) for m in conversation(n)],
            tools=self.tools,
            stream=True,
            max_tokens=self.args.max_tokens,
            temperature=0.2,
            seed=1234,
        )
        for chunk in stream:
            clock(chunk["choices"][0]["delta"].get("content") or "")
        llm = self.llm
        turn = clock.turn(n, lambda s: llm.tokenize(s.encode(), add_bos=False) if s else [])
        self.side.turns.append(turn)
        print(f"  plain turn {n}: {turn.ttft_s:.2f}s to first token, {turn.tokens} out", flush=True)
        return turn


class Bdev:
    """bdev's LocalModel; a new instance starts with an empty KV cache, as a new process."""

    def __init__(self, label: str, path: Path, tools: list[ToolSpec], args: argparse.Namespace):
        self.side = Side(label)
        self.tools = tools
        t0 = time.perf_counter()
        self.model = LocalModel(n_threads=args.threads, max_tokens=args.max_tokens, model_path=path)
        self.model.load()
        self.side.load_s = time.perf_counter() - t0

    def turn(self, n: int) -> Turn:
        clock = Clock()
        reply = self.model.complete(conversation(n), self.tools, on_text=clock)
        stats = self.model.last_stats  # on_text only sees text; the model saw every token
        turn = Turn(
            n,
            stats.time_to_first_token_s,
            stats.output_tokens,
            stats.generation_s,
            "".join(clock.pieces),
            reply.usage.input_tokens,
            reply.usage.cached_tokens,
        )
        self.side.turns.append(turn)
        print(
            f"  bdev turn {n}: {turn.ttft_s:.2f}s to first token, {turn.tokens} out, "
            f"prompt {turn.prompt_tokens} tokens, {turn.cached_tokens} reused "
            f"(prefix: {stats.prefix_source})",
            flush=True,
        )
        return turn


def run(path: Path, tools: list[ToolSpec], args: argparse.Namespace) -> tuple[Side, Side, Side]:
    """Both sides turn by turn, alternating, so that other load on the CPU hits both alike."""
    plain = Plain(path, tools, args)
    bdev = Bdev("bdev LocalModel", path, tools, args)
    for n in range(1, args.turns + 1):
        plain.turn(n)
        bdev.turn(n)
    plain.llm.close()
    bdev.model.close()
    warm = Bdev("bdev LocalModel, new instance, persisted prefix", path, tools, args)
    warm.turn(1)
    warm.model.close()
    return plain.side, bdev.side, warm.side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    path = catalog.ensure_installed()
    tools = tool_specs()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["BDEV_CACHE_DIR"] = cache  # empty prefix-state store: turn 1 is cold
        print(f"model {path.name}, {args.threads} threads, max_tokens {args.max_tokens}")
        plain, cold, warm = run(path, tools, args)
        state_files = list(Path(cache, "prefix-states").glob("*.kvstate"))
        state_mb = sum(p.stat().st_size for p in state_files) / 1e6

    t1, t5 = cold.turns[0], cold.turns[-1]
    rows = [
        ("turn 1 TTFT, cold", plain.turns[0].ttft_s, t1.ttft_s),
        ("turn 1 TTFT, persisted prefix (new instance)", None, warm.turns[0].ttft_s),
        (f"turn {args.turns} TTFT", plain.turns[-1].ttft_s, t5.ttft_s),
        ("generation tokens/s", plain.gen_rate(), cold.gen_rate()),
        ("model load s", plain.load_s, cold.load_s),
    ]
    print(f"\n{'':48} {'plain':>10} {'bdev':>10}")
    for label, a, b in rows:
        print(f"{label:48} {'-' if a is None else f'{a:.2f}':>10} {b:>10.2f}")
    speedup = t1.ttft_s / warm.turns[0].ttft_s
    ratio = cold.gen_rate() / plain.gen_rate() if plain.gen_rate() else 0.0
    print(
        f"persisted prefix: {speedup:.1f}x lower turn-1 latency than cold; "
        f"state file {state_mb:.1f} MB"
    )
    print(f"generation: bdev at {ratio:.0%} of plain")
    if args.json:
        report = {
            "plain": asdict(plain),
            "bdev": asdict(cold),
            "bdev_persisted": asdict(warm),
            "speedup_persisted": speedup,
            "gen_ratio": ratio,
            "state_mb": state_mb,
            "threads": args.threads,
            "max_tokens": args.max_tokens,
        }
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
