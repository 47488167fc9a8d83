"""A review's verdict: the last `VERDICT: approve` or `VERDICT: request-changes` line."""

from __future__ import annotations

import re
from enum import StrEnum

_VERDICT = re.compile(r"^\W*verdict\W*:?\s*\W*(approve[sd]?|request[- _]changes)\b", re.I | re.M)


class Verdict(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request-changes"
    MISSING = "missing"  # no verdict line: not an approval


def verdict_of(text: str) -> Verdict:
    found = _VERDICT.findall(text)
    if not found:
        return Verdict.MISSING
    last = found[-1].lower()
    return Verdict.APPROVE if last.startswith("approve") else Verdict.REQUEST_CHANGES
