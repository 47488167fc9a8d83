"""What each agent's first request costs the embedded model: system prompt + tool schemas.

For the reference definitions in /work/shared/seeds and every built-in agent, the system
turn is rendered with the model's own chat template (tools included) and counted with
its tokenizer, loaded with `vocab_only=True` (no weights), for the full profile (large
models) and the small one (embedded models; budget SMALL_BUDGET). The `estimate` column
is the deterministic estimate the small profile budgets with; it must stay above the
real count for the budget to hold.

    python benchmarks/prompt_budget.py [--seeds DIR] [--workspace PATH]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bdev.agents.definition import AgentDefinition, load_definition
from bdev.agents.registry import BUILTIN_DIR
from bdev.llm.local.tokenizer import load_tokenizer
from bdev.runtime.profile import SMALL_BUDGET, estimate_prefix
from bdev.runtime.prompt import first_request


def definitions(seeds: Path) -> list[tuple[str, AgentDefinition]]:
    files = [f for f in sorted(seeds.glob("*")) if f.is_file()]
    files += sorted(BUILTIN_DIR.glob("*.md"))
    return [(f"{f.parent.name}/{f.name}", load_definition(f)) for f in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=Path, default=Path("/work/shared/seeds"))
    # The workspace path is part of the prompt; a fixed one keeps figures comparable.
    parser.add_argument("--workspace", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    logging.getLogger("bdev.agents").setLevel(logging.ERROR)  # seeds' mojibake warnings

    tokenizer = load_tokenizer()
    if tokenizer is None:
        print("the embedded model (or llama-cpp-python) is not installed", file=sys.stderr)
        return 1
    header = ("definition", "tools full/small", "full", "small", "estimate", "body words cut")
    rows = [header]
    worst = 0
    for label, d in definitions(args.seeds):
        full_system, full_specs = first_request(d, args.workspace, "full")
        small_system, small_specs = first_request(d, args.workspace, "small")
        small = tokenizer.prefix_tokens(small_system, small_specs)
        worst = max(worst, small)
        cut = _words_cut(small_system)
        rows.append(
            (
                label,
                f"{len(full_specs)}/{len(small_specs)}",
                str(tokenizer.prefix_tokens(full_system, full_specs)),
                str(small),
                str(estimate_prefix(small_system, small_specs)),
                cut,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"\ntokenizer: {tokenizer.model_id}; small-profile budget {SMALL_BUDGET}; worst {worst}")
    return 0 if worst < SMALL_BUDGET else 1


def _words_cut(system: str) -> str:
    marker = "condensed for a small model: "
    if marker not in system:
        return "-"
    return system.split(marker, 1)[1].split(" words", 1)[0].replace(" of its ", " / ")


if __name__ == "__main__":
    sys.exit(main())
