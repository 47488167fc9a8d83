"""From a model spec ("openai:gpt-4o", "local", "sonnet", ...) to a `Model`.

`model_from_config` is how every command builds its model: it resolves a `[models]`
alias and takes the provider's endpoint, key and timeout from the configuration.
`create_model` is the step below it, for callers that hold those values themselves.

`choose_model` decides which spec an agent runs on, in this order:

1. the `--model` flag (for every agent of the run, sub-agents included);
2. the definition's `model:`: a full id, or an alias (`sonnet`, `opus`, `haiku`) mapped
   by `[models]`; `inherit` goes straight to 3;
3. the parent's model (the agent that started this one through Task);
4. the configured default (`model` in config; `BDEV_MODEL`).

Every fallback (an alias nobody configured, a value that is neither an alias nor a
model id, `inherit` with no parent) comes with a warning saying what was used instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

from bdev.config import Config
from bdev.errors import BdevError
from bdev.llm import catalog
from bdev.llm.base import Model

FORMS = (
    "local",
    "local:MODEL_ID",
    "openai:MODEL",
    "anthropic:MODEL",
    "scripted:FILE",
    "a bare claude-* / gpt-* / o1* / o3* model id",
)


# Model names a definition's `model:` may give, mapped to a spec by `[models]`.
ALIASES = ("sonnet", "opus", "haiku")


ModelSource = Literal["flag", "front matter", "parent", "config"]


@dataclass(frozen=True)
class ModelChoice:
    spec: str
    source: ModelSource
    warnings: tuple[str, ...] = ()
    # What to run on instead when `spec` (from the front matter) cannot be built.
    fallback: tuple[str, ModelSource] | None = None


def choose_model(
    *, flag: str | None, wanted: str | None, parent: str | None, config: Config
) -> ModelChoice:
    """Which model spec an agent runs on (the order is in the module docstring).

    `wanted` is the definition's `model:`; `parent` the parent agent's spec (None at the
    top level)."""
    below: tuple[str, ModelSource] = (parent, "parent") if parent else (config.model, "config")
    instead = f"using {_describe(*below)}"
    wanted = (wanted or "").strip()
    if flag:
        overridden = wanted and wanted.lower() != "inherit" and wanted != flag
        note = (f"model {wanted!r} of the definition is overridden by --model {flag}",)
        return ModelChoice(flag, "flag", note if overridden else ())
    if not wanted:
        return ModelChoice(*below)
    alias = wanted.lower()
    if alias == "inherit":
        if parent:
            return ModelChoice(parent, "parent")
        why = "model 'inherit' at the top level: there is no parent model"
        return ModelChoice(config.model, "config", (f"{why}; {instead}",))
    if alias in ALIASES:
        mapped = (config.alias(alias) or "").strip()
        if mapped:
            return ModelChoice(mapped, "front matter", fallback=below)
        why = f'model {wanted!r}: an alias nobody configured ([models] {alias} = "PROVIDER:MODEL")'
        return ModelChoice(*below, warnings=(f"{why}; {instead}",))
    problem = unplaceable(wanted)
    if problem:
        return ModelChoice(*below, warnings=(f"model {wanted!r}: {problem}; {instead}",))
    return ModelChoice(wanted, "front matter", fallback=below)


def unplaceable(spec: str) -> str | None:
    """Why `spec` names no model bdev can build, or None when it does (a syntax check:
    whether the provider is installed or reachable is known only when it is built)."""
    provider, sep, rest = spec.partition(":")
    if spec == "local" or provider == "local":
        return None
    if sep:
        if provider not in ("openai", "anthropic", "scripted"):
            return f"unknown provider {provider!r} (use one of: {_forms()})"
        return None if rest else f"names no model after {provider!r}"
    try:
        _guess_provider(spec)
    except BdevError:
        aliases = ", ".join((*ALIASES, "inherit"))
        return f"neither an alias ({aliases}) nor a model id bdev can place ({_forms()})"
    return None


def _describe(spec: str, source: ModelSource) -> str:
    where = {"parent": "the parent's model", "config": "the configured model"}
    return f"{where.get(source, source)} {spec}"


def describe_fallback(fallback: tuple[str, ModelSource]) -> str:
    """`the parent's model X` / `the configured model X`, for a warning."""
    return _describe(*fallback)


class _Timeout(TypedDict, total=False):
    """A provider's `timeout` argument, left out to keep the provider's default."""

    timeout: float


def model_from_config(spec: str, config: Config) -> Model:
    """Build the model named by `spec` as configured: a `[models]` alias resolved first,
    then `[openai]` / `[anthropic]` `base_url` and `api_key` and `model_timeout` (the
    environment fills what the configuration leaves unset)."""
    spec = spec.strip()
    if spec in ALIASES:
        mapped = config.alias(spec)
        if not mapped:
            raise BdevError(
                f"model {spec!r} is an alias nobody configured: set [models] {spec} = "
                '"PROVIDER:MODEL" in .bdev/config.toml, or give the model itself'
            )
        spec = mapped.strip()
    provider, sep, _ = spec.partition(":")
    if not sep and spec != "local":
        provider = _guess_provider(spec)
    endpoint = config.endpoint(provider)
    return create_model(
        spec,
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=config.model_timeout,
    )


def is_small(spec: str, config: Config) -> bool:
    """Whether the model named by `spec` is small: one configured with `small = true`
    (`[models."SPEC"]`, under its own spec or the one its alias maps to), else an
    embedded model. A configured `small = false` wins over both."""
    spec = spec.strip()
    resolved = (config.alias(spec) or spec).strip() if spec in ALIASES else spec
    for key in dict.fromkeys((spec, resolved)):
        settings = config.model_settings.get(key)
        if settings is not None and settings.small is not None:
            return settings.small
    provider, sep, rest = resolved.partition(":")
    if provider == "local" and (sep or resolved == "local"):
        return catalog.get(rest or None).small
    if resolved.startswith("local/"):  # a loaded LocalModel's own name: local/<id>
        return catalog.get(resolved.removeprefix("local/")).small
    return False


def create_model(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
) -> Model:
    """Build the model named by `spec`; keys and URLs come from the flags, else the env."""
    spec = spec.strip()
    provider, sep, rest = spec.partition(":")
    if not sep and spec != "local":
        provider, rest = _guess_provider(spec), spec
    timeout_arg: _Timeout = {"timeout": timeout} if timeout is not None else {}
    if provider == "local":
        return _local(rest or None)
    if not rest:
        raise BdevError(f"model {spec!r} names no model after {provider!r}; use {provider}:MODEL")
    if provider == "scripted":
        from bdev.llm.scripted import ScriptedModel

        return ScriptedModel(Path(rest))
    if provider == "openai":
        from bdev.llm.openai_compat import OpenAICompatModel

        return OpenAICompatModel(
            rest,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or None,
            **timeout_arg,
        )
    if provider == "anthropic":
        from bdev.llm.anthropic_api import AnthropicModel

        return AnthropicModel(
            rest,
            base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
            api_key=api_key or os.environ.get("ANTHROPIC_API_KEY") or None,
            **timeout_arg,
        )
    raise BdevError(f"unknown model provider {provider!r} in {spec!r}; use one of: {_forms()}")


def _guess_provider(model_id: str) -> str:
    if model_id.startswith("claude-"):
        return "anthropic"
    if model_id.startswith(("gpt-", "o1", "o3")):
        return "openai"
    raise BdevError(f"cannot tell which provider serves model {model_id!r}; use one of: {_forms()}")


def _local(model_id: str | None) -> Model:
    hint = 'the embedded model needs its extras: run pip install -e ".[local]"'
    try:
        from bdev.llm.local.model import LocalModel
    except ImportError as e:
        raise BdevError(f"{hint} ({e})") from e
    try:
        return LocalModel(model_id)
    except ImportError as e:  # llama_cpp may be imported only when the model loads
        raise BdevError(f"{hint} ({e})") from e


def _forms() -> str:
    return ", ".join(FORMS)
