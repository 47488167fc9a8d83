"""How to render a plan: framework, layout, allowed packages, run address.

Its own module because both the service modules (`render`) and the tests (`testgen`)
are rendered with it, and `render` uses `testgen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Framework = Literal["fastapi", "flask"]


@dataclass
class Options:
    framework: Framework = "fastapi"
    single_file: bool = False
    # Normalised distribution names the service may import (from --requirements);
    # None means the defaults below.
    allowed: frozenset[str] | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    def allows(self, package: str) -> bool:
        """Whether the service may use `package`; without --requirements, only the
        defaults (email-validator is opt-in: the fallback pattern check needs nothing)."""
        return package in (_UNRESTRICTED if self.allowed is None else self.allowed)


_UNRESTRICTED = frozenset({"fastapi", "uvicorn", "pydantic", "flask", "pyjwt", "psycopg"})
