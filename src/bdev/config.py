"""Configuration: defaults < user file < project file < environment < flags.

Files are TOML: `~/.config/bdev/config.toml` (user) and `<workspace>/.bdev/config.toml`
(project). Each section is a pydantic model, so every default lives in one place and
every read is typed (`config.limits.max_steps`); `Config.sources` records, per dotted
key, where the effective value was set, for `bdev config show`.

Example:

    model = "openai:qwen2.5-coder"          # the session model ("local" = embedded)
    [models]                                # what a definition's `model:` alias means
    sonnet = "anthropic:claude-sonnet-4-5"
    haiku = "local"
    [models."openai:qwen2.5-coder-3b"]      # per-model settings, keyed by model spec
    small = true                            # gets the small-model prompt profile
    [openai]
    base_url = "http://127.0.0.1:8080/v1"
    [limits]
    max_steps = 30
    [permissions]
    mode = "acceptEdits"
    allow = ["Bash(pytest:*)"]
    [gates]                                 # read by `bdev run`, spec-first and `bdev audit`
    coverage_min = 90
    [sandbox]                               # Bash and audited code run inside bubblewrap
    enabled = true                          # false: unsandboxed (like --no-sandbox)
    pass_env = ["MY_SERVICE_SETTING"]       # caller variables commands may see
    [sandbox.filesystem]
    allow_write = ["~/.cache/pip"]          # writable beyond the workspace
    [prices."openai:gpt-4o"]                # USD per million tokens
    input = 2.5
    output = 10
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from bdev import trust
from bdev.errors import BdevError

# dontAsk: refuse what default would ask about; auto: Claude Code's classifier mode,
# which bdev runs as default (agent_setup.clamp_mode says so).
PermissionModeName = Literal[
    "default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"
]
Severity = Literal["info", "low", "medium", "high", "critical"]
PERMISSION_MODES: tuple[str, ...] = get_args(PermissionModeName)
SEVERITIES: tuple[str, ...] = get_args(Severity)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelAliases(_Section):
    """What a definition's `model: sonnet|opus|haiku` means; unset: the session model."""

    sonnet: str | None = None
    opus: str | None = None
    haiku: str | None = None


class ModelSettings(_Section):
    """`[models."SPEC"]`: settings for one model. `small` gives it the small-model prompt
    profile (bdev.runtime.profile); unset: only the embedded models are small."""

    small: bool | None = None


class Endpoint(_Section):
    base_url: str | None = None
    api_key: str | None = None


class LimitsConfig(_Section):
    max_steps: int = Field(40, ge=1)
    max_seconds: float | None = Field(None, gt=0)
    max_tokens: int | None = Field(None, ge=1)
    max_cost: float | None = Field(None, gt=0)
    max_format_errors: int = Field(4, ge=1)  # malformed turns in a row before giving up


class PermissionsConfig(_Section):
    mode: PermissionModeName = "default"
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)


class BashConfig(_Section):
    timeout: float = Field(120.0, gt=0)


class GatesConfig(_Section):
    """The production-readiness gates: the one gate configuration that the backend
    workflow, spec-first and `bdev audit`'s checklist all read."""

    tests_pass: bool = True
    coverage_min: float | None = Field(80.0, ge=0, le=100)
    p95_max_ms: float | None = Field(100.0, gt=0)
    max_severity: Severity = "medium"  # the highest finding severity still allowed
    openapi: bool = True
    health: bool = True
    require_changes: bool = True  # the agent must have changed some file
    max_rounds: int = Field(3, ge=1)  # implementation rounds, the first included


class AuditConfig(_Section):
    concurrency: int = Field(10, ge=1)
    duration_s: float = Field(5.0, gt=0)
    startup_timeout_s: float = Field(30.0, gt=0)
    test_timeout_s: float = Field(300.0, gt=0)
    python: str | None = None  # an existing interpreter for the audited code; None: build one
    # An OSV advisory snapshot (directory or zip) for the dependency check; None: the cache
    # `bdev advisories update` fills.
    advisories: str | None = None


class SandboxFilesystem(_Section):
    allow_write: list[str] = Field(default_factory=list)


class SandboxConfig(_Section):
    """`[sandbox]`, shaped like Claude Code's `sandbox` settings (see bdev.sandbox)."""

    enabled: bool = True
    filesystem: SandboxFilesystem = Field(default_factory=SandboxFilesystem)
    pass_env: list[str] = Field(default_factory=list)


class Price(_Section):
    """USD per million tokens."""

    input: float
    output: float


class Config(_Section):
    model: str = "local"
    model_timeout: float = Field(600.0, gt=0)
    models: ModelAliases = Field(default_factory=ModelAliases)
    openai: Endpoint = Field(default_factory=Endpoint)
    anthropic: Endpoint = Field(default_factory=Endpoint)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    permissions: PermissionsConfig = Field(default_factory=PermissionsConfig)
    bash: BashConfig = Field(default_factory=BashConfig)
    gates: GatesConfig = Field(default_factory=GatesConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    prices: dict[str, Price] = Field(default_factory=dict)
    # Written as `[models."SPEC"]` tables (see _flatten); keyed by spec like prices.
    model_settings: dict[str, ModelSettings] = Field(default_factory=dict)

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)
    _ignored: list[str] = PrivateAttr(default_factory=list)

    @property
    def ignored_project_keys(self) -> list[str]:
        """Keys the project's config set but may not until the user trusts it (bdev.trust)."""
        return list(self._ignored)

    @property
    def sources(self) -> dict[str, str]:
        """Dotted key -> where its value came from ("default" when nobody set it)."""
        keys = [*leaf_keys(), *_TABLES]
        return {key: self._sources.get(key, "default") for key in keys}

    def alias(self, name: str) -> str | None:
        value = getattr(self.models, name, None)
        return value if isinstance(value, str) else None

    def endpoint(self, provider: str) -> Endpoint:
        """`[openai]` or `[anthropic]`; an empty one for any other provider."""
        found = getattr(self, provider, None) if provider in ("openai", "anthropic") else None
        return found if isinstance(found, Endpoint) else Endpoint()

    def flat(self) -> dict[str, Any]:
        """Every setting but the per-model tables as dotted key -> value."""
        return _flatten(self.model_dump(exclude=set(_TABLES)))


def leaf_keys() -> list[str]:
    return sorted(_flatten(Config().model_dump(exclude=set(_TABLES))))


# Settings keyed by model spec, which may hold dots ("openai:gpt-4.1"): never flattened
# into dotted keys, and merged per model across layers (the last layer's entry wins).
_TABLES = ("prices", "model_settings")


# Environment variables that set a key (the SDKs' own variables are read by the providers).
ENV_KEYS = {
    "BDEV_MODEL": "model",
    "BDEV_PERMISSION_MODE": "permissions.mode",
    "BDEV_MAX_STEPS": "limits.max_steps",
}


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bdev" / "config.toml"


def project_config_path(workspace: Path) -> Path:
    return workspace / ".bdev" / "config.toml"


def load_config(
    workspace: Path,
    flags: dict[str, Any] | None = None,
    *,
    user_path: Path | None = None,
) -> Config:
    """The effective configuration for a workspace; `flags` are dotted keys set on the
    command line (None values are ignored)."""
    layers: list[tuple[str, dict[str, Any]]] = []
    for path in (user_path or user_config_path(), project_config_path(workspace)):
        if path.is_file():
            layers.append((str(path), _flatten(_read_toml(path))))
    for var, key in ENV_KEYS.items():
        if raw := os.environ.get(var):
            layers.append((f"environment ({var})", {key: raw}))
    layers.append(("flag", {k: v for k, v in (flags or {}).items() if v is not None}))

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    known = set(leaf_keys())
    project = project_config_path(workspace)
    config, ignored = Config(), list[str]()
    for source, values in layers:
        before, kept = config, (dict(merged), dict(sources))
        ignored = [k for k in ignored if k not in values]  # a later layer set it anyway
        for key, value in values.items():
            if key in _TABLES:
                if not isinstance(value, dict):
                    what = "{input, output}" if key == "prices" else "settings"
                    raise BdevError(f"{source}: {key} must be a table of model -> {what}")
                merged[key] = {**merged.get(key, {}), **value}
            elif key not in known:
                names = ", ".join(sorted(known))
                raise BdevError(f"{source}: unknown setting {key!r} (known: {names}, prices)")
            else:
                merged[key] = value
            sources[key] = source
        config = _validate(merged, sources)  # each layer's mistake is named with its file
        config_dir = (user_path or user_config_path()).parent
        if source == str(project) and trust.state(workspace, project, config_dir) != "trusted":
            ignored = _distrust(before, config, list(values), (merged, sources), kept)
            config = _validate(merged, sources)
    config._sources = sources
    config._ignored = ignored
    return config


def _distrust(
    before: Config,
    after: Config,
    keys: list[str],
    current: tuple[dict[str, Any], dict[str, str]],
    kept: tuple[dict[str, Any], dict[str, str]],
) -> list[str]:
    """Take back (in `current`) what an untrusted project layer widened: those keys get
    the value the layers below gave them; its deny rules add to theirs. The keys undone."""
    merged, sources = current
    flat_before, flat_after = before.flat(), after.flat()
    ignored = trust.widening_keys(flat_before, flat_after, keys)
    for key in ignored:
        if key in kept[0]:
            merged[key], sources[key] = kept[0][key], kept[1][key]
        else:
            merged.pop(key, None)
            sources.pop(key, None)
    if "permissions.deny" in keys:
        deny = trust.narrowed_deny(flat_before["permissions.deny"], flat_after["permissions.deny"])
        merged["permissions.deny"] = deny
    return ignored


def with_more(config: Config, key: str, items: list[str], source: str) -> Config:
    """A copy of `config` with `items` appended to the list setting `key` (e.g. allow
    rules given as flags on top of the files' ones)."""
    section, _, name = key.partition(".")
    current = getattr(getattr(config, section), name)
    updated = config.model_copy(deep=True)
    setattr(getattr(updated, section), name, [*current, *items])
    updated._sources = {**config._sources, key: source}
    return updated


def _validate(merged: dict[str, Any], sources: dict[str, str]) -> Config:
    try:
        return Config.model_validate(_nest(merged))
    except ValidationError as e:
        error = e.errors()[0]
        loc = [str(part) for part in error["loc"]]
        if loc[:1] == ["model_settings"] and len(loc) > 1:
            key = "model_settings"
            message = f"models.{loc[1]!r}.{'.'.join(loc[2:])} {_expected(error)}"
        elif loc[:1] == ["prices"]:
            key, where = "prices", f"prices.{loc[1]!r}" if len(loc) > 1 else "prices"
            message = f"{where} needs numeric input and output (USD per Mtok)"
        else:
            key = ".".join(loc)
            message = f"{key} {_expected(error)}, got {error.get('input')!r}"
        raise BdevError(f"{sources.get(key, 'configuration')}: {message}") from None


def _expected(error: Any) -> str:
    """pydantic's reason in the words the old messages used ("must be int", ...)."""
    kind = str(error.get("type", ""))
    for prefix, word in (("int", "int"), ("float", "float"), ("bool", "bool"), ("string", "str")):
        if kind.startswith(prefix):
            return f"must be {word}"
    if kind == "list_type":
        return "must be a list"
    return f"is invalid: {error.get('msg', kind)}"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if key == "models" and isinstance(v, dict):
            # [models] holds aliases (sonnet = "...") and per-model tables ([models."SPEC"]).
            tables = {spec: t for spec, t in v.items() if isinstance(t, dict)}
            if tables:
                flat["model_settings"] = tables
            flat.update(_flatten({k2: v2 for k2, v2 in v.items() if k2 not in tables}, "models."))
        elif isinstance(v, dict) and key not in _TABLES:
            flat.update(_flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".") if key not in _TABLES else [key]
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise BdevError(f"{path}: invalid TOML: {e}") from None
    except OSError as e:
        raise BdevError(f"{path}: cannot read: {e.strerror}") from None
