"""What a step's HTTP traffic actually reached, per endpoint: "GET /orders: 200×950, 500×50".

A step that sent requests reports these counts, so a reader (and the scorecard) can tell
"the probes found nothing" from "the probes never got past a 404".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol

CONNECTION_ERROR = "connection error"
# Answers that show the request never reached a handler: no such route, wrong method,
# not implemented, or no answer at all.
NOT_REACHED = frozenset({"404", "405", "501", CONNECTION_ERROR})


def describe_statuses(counts: dict[str, int], socket_errors: int = 0) -> str:
    """{"200": 950, "500": 50} -> "200×950, 500×50" (codes in order)."""
    parts = [f"{code}×{n}" for code, n in sorted(counts.items()) if n]
    if socket_errors:
        parts.append(f"{CONNECTION_ERROR}×{socket_errors}")
    return ", ".join(parts) or "no response"


class _Exchange(Protocol):
    endpoint: str

    @property
    def status(self) -> int: ...  # 0 when no response came back


class Traffic:
    """Counts every exchange by endpoint and status; hand `observe` to a ProbeClient."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}

    def observe(self, exchange: _Exchange) -> None:
        code = str(exchange.status) if exchange.status else CONNECTION_ERROR
        self.counts.setdefault(exchange.endpoint, Counter())[code] += 1

    def table(self) -> dict[str, str]:
        return {ep: describe_statuses(dict(c)) for ep, c in sorted(self.counts.items())}

    def reached(self, endpoints: Iterable[str] | None = None) -> list[str]:
        """The endpoints (of `endpoints`, default all seen) that answered at least once
        with something other than "not found", "method not allowed" or silence."""
        wanted = self.counts if endpoints is None else set(endpoints)
        return sorted(
            ep
            for ep, counts in self.counts.items()
            if ep in wanted and any(code not in NOT_REACHED for code in counts)
        )
