"""Reading what a unittest-based runner (`manage.py test`, `python -m unittest`) printed:
its counts ("Ran 5 tests" ... "FAILED (failures=1, errors=2)") and its failures.

Such runners write no JUnit report; their closing lines are stable across Python
versions, so they are read instead.
"""

from __future__ import annotations

import re

_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
_RESULT = re.compile(r"^(OK|FAILED)(?: \(([^)]*)\))?\s*$", re.M)
_SEPARATOR = re.compile(r"^={20,}$", re.M)
_HEADER = re.compile(r"^(ERROR|FAIL): (.+)$", re.M)
# A test module that could not even be imported becomes this placeholder test.
FAILED_IMPORT = "unittest.loader._FailedTest"
MAX_FAILURES = 5
_MESSAGE_CHARS = 400


def parse_unittest(output: str) -> dict[str, int] | None:
    """passed/failed/errors/skipped from the closing lines, or None when the run never
    got as far as reporting (a crash before the tests)."""
    ran = list(_RAN.finditer(output))
    if not ran:
        return None
    total = int(ran[-1].group(1))
    result = [m for m in _RESULT.finditer(output) if m.start() > ran[-1].start()]
    fields: dict[str, int] = {}
    if result and result[-1].group(2):
        for part in result[-1].group(2).split(","):
            key, _, value = part.strip().partition("=")
            if value.isdigit():
                fields[key] = int(value)
    failed = fields.get("failures", 0) + fields.get("unexpected successes", 0)
    errors, skipped = fields.get("errors", 0), fields.get("skipped", 0)
    return {
        "passed": max(total - failed - errors - skipped, 0),
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
    }


def unittest_failures(output: str) -> list[dict[str, str]]:
    """The first failing or erroring tests: `test` (as the runner names it) and
    `message` (the last lines of its traceback)."""
    out: list[dict[str, str]] = []
    for block in _SEPARATOR.split(output)[1:]:
        header = _HEADER.search(block)
        if header is None:
            continue
        body = block[header.end() :].split("\n-", 1)[-1]
        lines = [line for line in body.strip().splitlines() if not set(line) <= {"-"}]
        out.append(
            {"test": header.group(2).strip(), "message": "\n".join(lines[-8:])[-_MESSAGE_CHARS:]}
        )
        if len(out) == MAX_FAILURES:
            break
    return out
