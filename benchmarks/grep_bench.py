"""Grep benchmark: bdev's Grep tool against ripgrep on a generated 50,000-file tree.

Not a test: run it by hand (`python benchmarks/grep_bench.py`). It builds the tree once
in a temp directory, then times each command several times and reports the medians.
The goal is bdev's Grep (rg engine plus parsing and formatting) within 2x of plain `rg`
(GNU `grep -r` is the baseline when no rg binary is found).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bdev.tools.base import ToolContext
from bdev.tools.grep import GrepTool, PythonEngine, find_rg

NEEDLE = "frobnicate_widget"
WORDS = ("user", "order", "item", "price", "total", "session", "token", "cache", "queue")


def make_tree(root: Path, n_files: int, n_matches: int, seed: int = 7) -> None:
    """n_files small Python-like files in 100-file directories; n_matches contain NEEDLE."""
    rng = random.Random(seed)
    hits = set(rng.sample(range(n_files), n_matches))
    for i in range(n_files):
        d = root / f"pkg{i // 1000:02d}" / f"mod{(i // 100) % 10}"
        if i % 100 == 0:
            d.mkdir(parents=True, exist_ok=True)
        lines = [f"def {rng.choice(WORDS)}_{j}(x):\n    return x * {j}\n" for j in range(12)]
        if i in hits:
            lines.insert(rng.randrange(len(lines)), f"    {NEEDLE}(x)\n")
        (d / f"f{i}.py").write_text("".join(lines))


def median_time(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--matches", type=int, default=20)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--python-engine", action="store_true", help="also time the fallback")
    opts = parser.parse_args()

    rg = find_rg()
    with tempfile.TemporaryDirectory(prefix="grep-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        make_tree(root, opts.files, opts.matches)
        print(
            f"tree: {opts.files} files, {opts.matches} with matches, "
            f"built in {time.perf_counter() - start:.1f} s"
        )

        if rg:
            baseline_name = "rg"
            base_files = [rg, "--no-config", "-l", NEEDLE]
            base_content = [rg, "--no-config", "-n", NEEDLE]
        else:
            baseline_name = "grep -r"
            base_files = ["grep", "-rl", NEEDLE, "."]
            base_content = ["grep", "-rn", NEEDLE, "."]

        def baseline(cmd: list[str]) -> Callable[[], object]:
            return lambda: subprocess.run(cmd, cwd=root, capture_output=True, check=True)

        ctx = ToolContext(workspace=root)
        tool = GrepTool()
        files_args = {"pattern": NEEDLE}
        content_args = {"pattern": NEEDLE, "output_mode": "content"}
        # Same answers before timing anything.
        found = tool.run(files_args, ctx)
        assert found.startswith(f"Found {opts.matches} files"), found[:200]
        baseline(base_files)()  # warm the page cache

        rows = []
        for mode, args, cmd in [
            ("files_with_matches", files_args, base_files),
            ("content", content_args, base_content),
        ]:
            ours = median_time(lambda a=args: tool.run(a, ctx), opts.reps)
            theirs = median_time(baseline(cmd), opts.reps)
            rows.append((mode, tool.engine.name, ours, theirs))
        if opts.python_engine:
            slow = GrepTool(PythonEngine())
            ours = median_time(lambda: slow.run(files_args, ctx), max(1, opts.reps // 3))
            theirs = median_time(baseline(base_files), opts.reps)
            rows.append(("files_with_matches", "python", ours, theirs))

    print(f"\n{'mode':<20} {'engine':<8} {'bdev Grep':>10} {baseline_name:>10} {'ratio':>6}")
    for mode, engine, ours, theirs in rows:
        print(
            f"{mode:<20} {engine:<8} {ours * 1000:>8.0f}ms {theirs * 1000:>8.0f}ms "
            f"{ours / theirs:>6.2f}"
        )
    print(f"\nmedian of {opts.reps} runs; rg: {rg or 'not found'}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
