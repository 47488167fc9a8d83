"""Grammar-constrained vs free decoding on the embedded model, on the same prompts.

    python benchmarks/grammar_bench.py [--rounds N] [--json out.json]

Baseline: `LocalModel(constrained=False)` (free text, tool calls parsed out of it).
Candidate: `LocalModel(constrained=True)` (bdev's default for local models: every reply
is one call that follows its tool's schema, or `finish`). Both get the small-model
profile's tools and the same short agent conversations; turns alternate between the two
instances so other load on the machine slows both alike. Measured per side:

- generation speed: output tokens per second of generation (after the first token);
- replies that were one valid call (or finish), replies with format errors, and replies
  that were prose with no call at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from bdev.llm.base import Message
from bdev.llm.local.model import LocalModel
from bdev.tools.registry import build_tools, tool_specs

SYSTEM = (
    "You are a backend developer. You change the service in the workspace with the "
    "tools, one call at a time, and finish when the task is done."
)
# Requests of the kinds users give bdev; the first reply to each is measured.
TASKS = [
    'create app.py with a FastAPI GET /health that returns {"status": "ok"}',
    "add a GET /orders endpoint to app.py that returns an empty JSON list",
    "why is GET /orders slow? look at app.py",
    "review app.py for SQL injection",
    "write tests/test_app.py with a pytest test for GET /health",
    "explain what the service in this folder does",
]


@dataclass
class Side:
    name: str
    replies: int = 0
    one_valid_action: int = 0
    format_errors: int = 0
    prose_only: int = 0
    several_calls: int = 0
    output_tokens: int = 0
    generation_s: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.output_tokens / self.generation_s if self.generation_s else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="passes over the tasks")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    specs = tool_specs(build_tools(["Read", "Write", "Edit", "Glob", "Grep", "Bash"]), compact=True)
    sides = {
        False: (LocalModel(constrained=False, persist_prefix=False), Side("free (baseline)")),
        True: (LocalModel(constrained=True, persist_prefix=False), Side("constrained")),
    }
    for _ in range(args.rounds):
        for task in TASKS:
            for constrained in (False, True):
                model, side = sides[constrained]
                reply = model.complete([Message("system", SYSTEM), Message("user", task)], specs)
                stats = model.last_stats
                side.replies += 1
                side.output_tokens += max(stats.output_tokens - 1, 0)
                side.generation_s += stats.generation_s
                if reply.format_errors:
                    side.format_errors += 1
                elif len(reply.tool_calls) == 1 or (not reply.tool_calls and constrained):
                    side.one_valid_action += 1
                elif not reply.tool_calls:
                    side.prose_only += 1
                else:
                    side.several_calls += 1
                print(
                    f"{side.name:16} {task[:44]:44} calls={len(reply.tool_calls)} "
                    f"errors={len(reply.format_errors)} {stats.output_tokens} tok",
                    file=sys.stderr,
                )
    rows = [s for _, s in sides.values()]
    print(
        "| decoding | replies | one valid action | format errors | prose only "
        "| several calls | tokens/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for s in rows:
        print(
            f"| {s.name} | {s.replies} | {s.one_valid_action} | {s.format_errors} | "
            f"{s.prose_only} | {s.several_calls} | {s.tokens_per_s:.2f} |"
        )
    base, cand = rows
    if base.tokens_per_s:
        print(f"\nconstrained / free generation speed: {cand.tokens_per_s / base.tokens_per_s:.2f}")
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
