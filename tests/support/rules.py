"""Running bdev's tests of a request's stated rules against a small service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bdev.backend.analyze import analyze
from bdev.backend.openapi import route_shape
from bdev.backend.testgen import GENERATED, app_target, operations, render_module, write_module
from bdev.workflow.stated import read_stated
from bdev.workflow.stated_tests import stated_slots


def rule_test_results(folder: Path, app: str, task: str) -> dict[str, bool]:
    """Write `app` as folder/app.py and bdev's tests of the rules `task` states; run
    them: test name -> passed (the success checks of the skeleton left out)."""
    (folder / "app.py").write_text(app)
    facts = analyze(folder)
    ops = operations(facts, None)
    stated = read_stated(task, route_shape=route_shape)
    slots = [slot for op in ops for slot in stated_slots(stated, op, ops)]
    target = app_target(facts)
    assert target is not None and slots
    write_module(folder, render_module(target, ops, slots))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", GENERATED],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = {}
    for line in run.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict in ("PASSED", "FAILED", "ERROR") and "::" in rest:
            results[rest.split("::")[1].split(" ")[0]] = verdict == "PASSED"
    assert results, run.stdout + run.stderr
    return {name: ok for name, ok in results.items() if not name.endswith("_succeeds")}
