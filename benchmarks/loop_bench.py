"""The agent loop's own overhead per step, with the scripted model (no LLM).

Each step the scripted model asks for one cheap tool call (TodoWrite, which touches no
files), so what is left is bdev's own work per step: argument validation, the permission
check, running the tool, building messages, and appending five events to the JSONL
transcript. The baseline in the same run is the bare minimum a loop does per step
(pop a scripted turn, call the tool object directly, append two message dicts), so the
difference is the cost of bdev's bookkeeping.

    python benchmarks/loop_bench.py [--steps 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bdev.agents.definition import load_definition
from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.llm.scripted import ScriptedModel
from bdev.runtime.runner import Runner
from bdev.tools.base import ToolContext
from bdev.tools.registry import build_tools

AGENT = "---\nname: bench\ndescription: Benchmark agent.\ntools: TodoWrite\n---\n\nBench.\n"


def turns(steps: int) -> list[dict]:
    call = {
        "name": "TodoWrite",
        "arguments": {
            "todos": [{"content": "measure the loop", "status": "in_progress", "id": "1"}]
        },
    }
    return [{"tool_calls": [call]} for _ in range(steps)] + [{"content": "done"}]


def bdev_loop(steps: int, workspace: Path) -> float:
    path = workspace / "bench.md"
    path.write_text(AGENT)
    config = load_config(
        workspace, {"permissions.mode": "bypassPermissions", "limits.max_steps": steps + 10}
    )
    model = ScriptedModel.from_turns(turns(steps))
    runner = Runner(
        workspace=workspace,
        config=config,
        registry=AgentRegistry(project_root=workspace, user_dir=workspace / "none"),
        model_factory=lambda spec: model,
        model_override="scripted:bench",
    )
    t0 = time.perf_counter()
    _, result = runner.start("bench", load_definition(path))
    elapsed = time.perf_counter() - t0
    assert result.steps == steps + 1, result
    return elapsed / (steps + 1)


def bare_loop(steps: int, workspace: Path) -> float:
    tool = build_tools(["TodoWrite"])["TodoWrite"]
    ctx = ToolContext(workspace=workspace)
    script = turns(steps)
    messages: list[dict] = []
    t0 = time.perf_counter()
    for turn in script:
        messages.append({"role": "assistant", **turn})
        for call in turn.get("tool_calls", []):
            messages.append({"role": "tool", "content": tool.run(call["arguments"], ctx)})
    return (time.perf_counter() - t0) / len(script)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ours, bare = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as d:
            ours.append(bdev_loop(args.steps, Path(d)))
        with tempfile.TemporaryDirectory() as d:
            bare.append(bare_loop(args.steps, Path(d)))
    o, b = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"steps per run: {args.steps}, runs: {args.repeat} (medians)")
    print(f"bdev loop      : {o:.3f} ms/step")
    print(f"bare baseline  : {b:.3f} ms/step")
    print(f"bdev overhead  : {o - b:.3f} ms/step (goal < 5 ms)")


if __name__ == "__main__":
    main()
