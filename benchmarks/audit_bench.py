"""Audit benchmark: the wall time of `run_audit` on each fixture service, and each step's share.

Not a test: run it by hand (`python benchmarks/audit_bench.py`). Each fixture is copied
to a temp directory (the audit's processes write caches and SQLite files next to the
code), analysed with `bdev.backend.analyze`, then audited with the CLI's defaults
(10 connections, 5 s of load per endpoint) unless told otherwise. Prints a Markdown
table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bdev.backend.analyze import analyze
from bdev.backend.audit.options import STEPS, AuditOptions
from bdev.backend.audit.run import run_audit

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "services"


def bench(name: str, options: AuditOptions) -> dict:
    with tempfile.TemporaryDirectory(prefix="bdev-audit-bench-") as tmp:
        root = Path(
            shutil.copytree(FIXTURES / name, Path(tmp) / name, ignore=shutil.ignore_patterns(
                "__pycache__", ".pytest_cache", "*.db"
            ))
        )  # fmt: skip
        start = time.perf_counter()
        facts = analyze(root)
        analysed = time.perf_counter() - start
        report = run_audit(root, options, facts=facts)
        wall = time.perf_counter() - start
    steps = {s.name: s for s in report.steps}
    return {
        "name": name,
        "wall": wall,
        "analyze": analysed,
        "steps": {n: (steps[n].duration_s, steps[n].status) for n in STEPS if n in steps},
        "p95": report.latency_ms.p95,
        "generator": report.latency_ms.generator,
    }


def table(rows: list[dict]) -> str:
    head = ["fixture", "wall (s)", "analyze", *STEPS, "worst p95 (ms)"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["name"], f"{r['wall']:.1f}", f"{100 * r['analyze'] / r['wall']:.0f}%"]
        for step in STEPS:
            seconds, status = r["steps"].get(step, (0.0, "-"))
            share = f"{100 * seconds / r['wall']:.0f}%"
            cells.append(share if status in ("ok", "failed") else f"{share} ({status})")
        cells.append("n/a" if r["p95"] is None else f"{r['p95']:.1f}")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per endpoint")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("fixtures", nargs="*", help="fixture names [all under tests/fixtures]")
    args = parser.parse_args()
    names = args.fixtures or sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    options = AuditOptions(duration_s=args.duration, concurrency=args.concurrency)
    rows = []
    for name in names:
        print(f"auditing {name}…", flush=True)
        rows.append(bench(name, options))
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
