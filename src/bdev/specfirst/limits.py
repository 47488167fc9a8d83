"""The request size limit a task states ("files bigger than 1 MB are refused with 413").

The generated service refuses any request body over `APP_MAX_BODY_BYTES` before a handler
runs (1 MiB by default): a safety net against memory exhaustion. A task that accepts
5 MB uploads would find every upload between 1 and 5 MB refused by that net, so the
default is raised to the largest size the spec's 413 responses or the paragraph's size
sentences state, plus room for a multipart envelope. The handler still enforces the
exact limit the request states.
"""

from __future__ import annotations

import re

from bdev.specfirst.plan import ServicePlan

DEFAULT_MAX_BODY = 1024 * 1024
ENVELOPE = 64 * 1024  # multipart boundaries and headers around the file itself
_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3,
          "gib": 1024**3}  # fmt: skip
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(GiB|GB|MiB|MB|KiB|KB)\b", re.IGNORECASE)
_LIMIT_WORDS = re.compile(
    r"\b413\b|\b(?:bigger|larger|over|more) than\b|\bup to\b|\bat most\b|\blimit", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*[-*]\s+|\n{2,}")


def max_body_bytes(plan: ServicePlan) -> int:
    """The service's default body limit: 1 MiB, or what the task states, if more."""
    texts = [r.description for op in plan.operations for s, r in op.responses.items()
             if s == "413"]  # fmt: skip
    texts += [s for s in _SENTENCE.split(plan.describe or "") if _LIMIT_WORDS.search(s)]
    stated = [_bytes(m) for text in texts for m in _SIZE.finditer(text)]
    return max([DEFAULT_MAX_BODY, *(size + ENVELOPE for size in stated)])


def _bytes(match: re.Match[str]) -> int:
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
