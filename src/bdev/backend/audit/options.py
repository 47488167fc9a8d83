"""What the user can tune about an audit run."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.backend.audit.security.auth import AuthSpec, parse_auth
from bdev.config import AuditConfig, Config, GatesConfig
from bdev.errors import BdevError

# The steps in the order they run; `--skip` takes any of these names.
STEPS = (
    "environment",
    "tests",
    "services",
    "migrations",
    "startup",
    "conformance",
    "probes",
    "load",
    "security",
)

MAX_CONCURRENCY = 512
MAX_DURATION_S = 300.0


_DEFAULTS = AuditConfig()


@dataclass
class AuditOptions:
    cmd: str | None = None  # start command overriding the analysed one; "{port}" is filled in
    port: int | None = None  # None: a free port is picked
    startup_timeout_s: float = _DEFAULTS.startup_timeout_s
    test_timeout_s: float = _DEFAULTS.test_timeout_s
    migration_timeout_s: float = 120.0
    concurrency: int = _DEFAULTS.concurrency
    duration_s: float = _DEFAULTS.duration_s
    # Upper bound on requests per load run, whatever the duration.
    max_requests: int = 500_000
    skip: frozenset[str] = field(default_factory=frozenset)
    scenario: Path | None = None  # YAML/JSON list of requests to load instead of GET endpoints
    # Test paths (relative to the root) to run instead of pytest's own discovery: a
    # generated service that may hold no extra files keeps its tests under .bdev/.
    tests: tuple[str, ...] = ()
    # An existing interpreter for the service's code, used as it is; None: bdev builds one.
    python: str | None = None
    env_timeout_s: float = 900.0  # building the service's environment
    # The checklist's targets (coverage, p95): the configuration's `[gates]`.
    targets: GatesConfig = field(default_factory=GatesConfig)
    # The probes' credentials, as given to --auth / --auth2 (syntax: security/auth.py):
    # user A's for every probe, user B's for the IDOR check. Parsed below.
    auth: str | None = None
    auth2: str | None = None
    auth_spec: AuthSpec | None = field(default=None, init=False, repr=False)
    auth2_spec: AuthSpec | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_config(cls, config: Config, **given: Any) -> AuditOptions:
        """`[audit]` and `[gates]` from the configuration; `given` sets the rest."""
        audit = config.audit
        configured: dict[str, Any] = {
            "concurrency": audit.concurrency,
            "duration_s": audit.duration_s,
            "startup_timeout_s": audit.startup_timeout_s,
            "test_timeout_s": audit.test_timeout_s,
            "python": audit.python,
            "targets": config.gates,
        }
        return cls(**{**configured, **given})

    def __post_init__(self) -> None:
        self.skip = frozenset(self.skip)
        unknown = sorted(self.skip - set(STEPS))
        if unknown:
            raise BdevError(
                f"--skip: unknown step {', '.join(unknown)!s}; choose from {', '.join(STEPS)}"
            )
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise BdevError(f"--concurrency must be 1..{MAX_CONCURRENCY}, got {self.concurrency}")
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise BdevError(
                f"--duration must be in (0, {MAX_DURATION_S:g}] s, got {self.duration_s}"
            )
        if self.port is not None and not 1 <= self.port <= 65535:
            raise BdevError(f"--port must be 1..65535, got {self.port}")
        for name, value in (
            ("--startup-timeout", self.startup_timeout_s),
            ("--test-timeout", self.test_timeout_s),
        ):
            if value <= 0:
                raise BdevError(f"{name} must be positive, got {value}")
        if self.python:
            found = shutil.which(self.python)
            if found is None:
                raise BdevError(
                    f"--python {self.python}: no such interpreter; give the path of a python"
                    " executable (e.g. .venv/bin/python)"
                )
            self.python = str(Path(found).absolute())
        if self.scenario is not None and not Path(self.scenario).is_file():
            raise BdevError(f"scenario file not found: {self.scenario}")
        if self.auth2 and not self.auth:
            raise BdevError("--auth2 (a second user, for the IDOR check) needs --auth too")
        self.auth_spec = parse_auth(self.auth, "--auth") if self.auth else None
        self.auth2_spec = parse_auth(self.auth2, "--auth2") if self.auth2 else None

    def runs(self, step: str) -> bool:
        return step not in self.skip


def parse_skip(text: str | None) -> frozenset[str]:
    """ "load, security" -> {"load", "security"}."""
    if not text:
        return frozenset()
    return frozenset(part.strip() for part in text.split(",") if part.strip())
