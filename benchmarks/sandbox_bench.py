"""Sandbox benchmark: what bubblewrap costs per Bash call and per audit.

Not a test: run it by hand (`python benchmarks/sandbox_bench.py`). Two measures:
- the median wall time of N `true` commands through the Bash tool, sandboxed and not
  (alternating, so that other load on the machine hits both alike);
- the wall time of `run_audit` on one fixture service, sandboxed and not (its
  environment built once beforehand, so the cache serves both runs alike).
Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bdev import sandbox
from bdev.backend.analyze import analyze
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.run import run_audit
from bdev.tools.base import ToolContext
from bdev.tools.bash import BashTool

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "services"
ON, OFF = sandbox.Sandbox(), sandbox.Sandbox(enabled=False)


def bash_medians(calls: int) -> tuple[float, float]:
    """Median milliseconds of one `true` through the Bash tool: (sandboxed, not)."""
    times: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="bdev-sandbox-bench-") as tmp:
        ctx, tool = ToolContext(workspace=Path(tmp)), BashTool()
        for _ in range(calls):
            for confined in (True, False):
                with sandbox.using(ON if confined else OFF):
                    start = time.perf_counter()
                    tool.run({"command": "true"}, ctx)
                    times[confined].append(1000 * (time.perf_counter() - start))
    return statistics.median(times[True]), statistics.median(times[False])


def audit_seconds(name: str, settings: sandbox.Sandbox, options: AuditOptions) -> float:
    with tempfile.TemporaryDirectory(prefix="bdev-sandbox-bench-") as tmp:
        root = Path(shutil.copytree(FIXTURES / name, Path(tmp) / name))
        facts = analyze(root)
        with sandbox.using(settings):
            start = time.perf_counter()
            report = run_audit(root, options, facts=facts)
            wall = time.perf_counter() - start
    broken = [s.name for s in report.steps if s.status == "error"]
    if broken:
        print(f"  note: {', '.join(broken)} ended in error")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="`true` calls per variant")
    parser.add_argument("--fixture", default="good_fastapi")
    parser.add_argument("--duration", type=float, default=2.0, help="seconds of load")
    parser.add_argument("--audits", type=int, default=3, help="audits per variant")
    args = parser.parse_args()
    if (why := sandbox.probe()) is not None:
        raise SystemExit(f"cannot benchmark the sandbox: {why}")

    on_ms, off_ms = bash_medians(args.calls)
    options = AuditOptions(duration_s=args.duration, skip=frozenset({"security"}))
    print(f"warming the environment cache for {args.fixture}…", flush=True)
    audit_seconds(args.fixture, OFF, options)
    audits: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.audits):  # alternating, like the Bash calls
        for confined in (True, False):
            label = "sandboxed" if confined else "unsandboxed"
            print(f"auditing {args.fixture} {label}…", flush=True)
            audits[confined].append(audit_seconds(args.fixture, ON if confined else OFF, options))

    print()
    print("| measure | sandboxed | unsandboxed | overhead |")
    print("|---|---|---|---|")
    print(
        f"| Bash `true`, median of {args.calls} (ms) | {on_ms:.1f} | {off_ms:.1f}"
        f" | {on_ms - off_ms:+.1f} ms |"
    )
    on_s, off_s = statistics.median(audits[True]), statistics.median(audits[False])
    runs = "; ".join(
        f"{'on' if k else 'off'}: {', '.join(f'{v:.1f}' for v in vs)}" for k, vs in audits.items()
    )
    print(
        f"| audit of {args.fixture}, no security step, median of {args.audits} (s) | {on_s:.1f}"
        f" | {off_s:.1f} | {on_s - off_s:+.1f} s ({runs}) |"
    )


if __name__ == "__main__":
    main()
