"""Configuration: defaults < user file < project file < environment < flags.

Files are TOML: `~/.config/bdev/config.toml` (user) and `<workspace>/.bdev/config.toml`
(project). Values are kept as flat dotted keys with the source each came from, so
`bdev config show` can say where every effective value was set.

Example:

    model = "openai:qwen2.5-coder"          # the session model ("local" = embedded)
    [models]                                # what a definition's `model:` alias means
    sonnet = "anthropic:claude-sonnet-4-5"
    haiku = "local"
    [openai]
    base_url = "http://127.0.0.1:8080/v1"
    [limits]
    max_steps = 30
    [permissions]
    mode = "acceptEdits"
    allow = ["Bash(pytest:*)"]
    [prices."openai:gpt-4o"]                # USD per million tokens
    input = 2.5
    output = 10
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.errors import BdevError

# Known keys, their types and defaults. `prices` is a free-form table.
SCHEMA: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "model": (str, "local"),
    "models.sonnet": (str, None),
    "models.opus": (str, None),
    "models.haiku": (str, None),
    "openai.base_url": (str, None),
    "openai.api_key": (str, None),
    "anthropic.base_url": (str, None),
    "anthropic.api_key": (str, None),
    "model_timeout": ((int, float), 600),
    "limits.max_steps": (int, 40),
    "limits.max_seconds": ((int, float), None),
    "limits.max_tokens": (int, None),
    "limits.max_cost": ((int, float), None),
    "limits.max_format_errors": (int, 4),
    "permissions.mode": (str, "default"),
    "permissions.allow": (list, []),
    "permissions.deny": (list, []),
    "bash.timeout": ((int, float), 120),
    # Production-readiness gates of the backend workflow (see bdev.workflow.gates).
    "gates.tests_pass": (bool, True),
    "gates.coverage_min": ((int, float), 80.0),
    "gates.p95_max_ms": ((int, float), 100.0),
    "gates.max_severity": (str, "medium"),  # highest finding severity still allowed
    "gates.openapi": (bool, True),
    "gates.health": (bool, True),
    "gates.require_changes": (bool, True),  # the agent must have changed some file
    "gates.max_rounds": (int, 3),  # implementation rounds, the first included
    "audit.concurrency": (int, 10),
    "audit.duration_s": ((int, float), 5.0),
    "audit.startup_timeout_s": ((int, float), 30.0),
    "audit.test_timeout_s": ((int, float), 300.0),
    "audit.python": (str, None),  # an existing interpreter for the audited code; None: build one
}

# Environment variables that set a key (the SDKs' own variables are read by the providers).
ENV_KEYS = {
    "BDEV_MODEL": "model",
    "BDEV_PERMISSION_MODE": "permissions.mode",
    "BDEV_MAX_STEPS": "limits.max_steps",
}

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")
SEVERITIES = ("info", "low", "medium", "high", "critical")


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bdev" / "config.toml"


def project_config_path(workspace: Path) -> Path:
    return workspace / ".bdev" / "config.toml"


@dataclass
class Config:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: Any, source: str) -> None:
        expected, _ = SCHEMA[key]
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            names = (
                " or ".join(t.__name__ for t in expected)
                if isinstance(expected, tuple)
                else expected.__name__
            )
            raise BdevError(f"{source}: {key} must be {names}, got {value!r}")
        if key == "gates.max_severity" and value not in SEVERITIES:
            raise BdevError(f"{source}: gates.max_severity {value!r} is not one of {SEVERITIES}")
        if key == "permissions.mode" and value not in PERMISSION_MODES:
            raise BdevError(
                f"{source}: permissions.mode {value!r} is not one of {', '.join(PERMISSION_MODES)}"
            )
        self.values[key] = value
        self.sources[key] = source

    def alias(self, name: str) -> str | None:
        return self.values.get(f"models.{name}")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and key != "prices":
            flat.update(_flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise BdevError(f"{path}: invalid TOML: {e}") from None
    except OSError as e:
        raise BdevError(f"{path}: cannot read: {e.strerror}") from None


def _apply_file(config: Config, path: Path) -> None:
    if not path.is_file():
        return
    for key, value in _flatten(_read_toml(path)).items():
        if key == "prices":
            _apply_prices(config, value, str(path))
        elif key in SCHEMA:
            config.set(key, value, str(path))
        else:
            known = ", ".join(sorted(SCHEMA))
            raise BdevError(f"{path}: unknown setting {key!r} (known: {known}, prices)")


def _apply_prices(config: Config, table: Any, source: str) -> None:
    if not isinstance(table, dict):
        raise BdevError(f"{source}: prices must be a table of model -> {{input, output}}")
    for model, price in table.items():
        ok = isinstance(price, dict) and all(
            isinstance(price.get(k), int | float) for k in ("input", "output")
        )
        if not ok:
            raise BdevError(
                f"{source}: prices.{model!r} needs numeric input and output (USD per Mtok)"
            )
        config.prices[model] = {"input": float(price["input"]), "output": float(price["output"])}
    config.sources["prices"] = source


def load_config(
    workspace: Path,
    flags: dict[str, Any] | None = None,
    *,
    user_path: Path | None = None,
) -> Config:
    """The effective configuration for a workspace; `flags` are dotted keys set on the
    command line (None values are ignored)."""
    config = Config()
    for key, (_, default) in SCHEMA.items():
        config.values[key] = default
        config.sources[key] = "default"
    _apply_file(config, user_path or user_config_path())
    _apply_file(config, project_config_path(workspace))
    for var, key in ENV_KEYS.items():
        raw = os.environ.get(var)
        if raw:
            value: Any = raw
            if SCHEMA[key][0] is int:
                try:
                    value = int(raw)
                except ValueError:
                    raise BdevError(f"environment: {var}={raw!r} is not an integer") from None
            config.set(key, value, f"environment ({var})")
    for key, value in (flags or {}).items():
        if value is not None:
            config.set(key, value, "flag")
    return config
