"""Project trust: which repositories' own config may loosen what bdev does in them.

A repository's `.bdev/config.toml` is written by whoever wrote the repository. Until
the user trusts it (`bdev config trust`, or yes to the question an interactive run
asks), its keys that widen permissions, move the model endpoint or its key or lower a
gate are ignored; keys that narrow (deny rules, a stricter mode, higher gates) always
apply. (Its sandbox settings it may never loosen, trusted or not: bdev.sandbox.)
Trust is kept in the user's config directory, keyed by the project's path and a hash
of its config's content, as Claude Code's trust prompt does: a changed config must be
trusted again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bdev.errors import BdevError

STORE_NAME = "trusted-projects.json"
TrustState = Literal["no project config", "trusted", "untrusted", "changed since trusted"]

# Strictest first ("auto" ranks above default: bdev runs it as default, but a project
# asking for it asks for more).
_MODES = ("plan", "dontAsk", "default", "auto", "acceptEdits", "bypassPermissions")
_SEVERITIES = ("info", "low", "medium", "high", "critical")
_ON_SWITCHES = (
    "gates.tests_pass",
    "gates.openapi",
    "gates.health",
    "gates.require_changes",
)


def _changed(before: Any, after: Any) -> bool:
    return bool(before != after)


def _rank(order: tuple[str, ...]) -> Callable[[Any, Any], bool]:
    return lambda before, after: order.index(after) > order.index(before)


def _more_items(before: Any, after: Any) -> bool:
    return bool(set(after) - set(before))


def _switched_off(before: Any, after: Any) -> bool:
    return bool(before) and not after


def _lower(before: Any, after: Any) -> bool:
    return before is not None and (after is None or after < before)


def _higher(before: Any, after: Any) -> bool:
    return before is not None and (after is None or after > before)


# Dotted key -> does the project's value widen what the layers below set? `[sandbox]` is
# not here: bdev.sandbox ignores a project's loosening of it even when trusted.
_WIDENS: dict[str, Callable[[Any, Any], bool]] = {
    "permissions.mode": _rank(_MODES),
    "permissions.allow": _more_items,
    "openai.base_url": _changed,
    "openai.api_key": _changed,
    "anthropic.base_url": _changed,
    "anthropic.api_key": _changed,
    "gates.coverage_min": _lower,
    "gates.p95_max_ms": _higher,
    "gates.max_severity": _rank(_SEVERITIES),
    **dict.fromkeys(_ON_SWITCHES, _switched_off),
}


def widening_keys(before: dict[str, Any], after: dict[str, Any], keys: list[str]) -> list[str]:
    """Which of `keys` (set by the project) widen: `before`/`after` are the flat settings
    without and with the project's layer."""
    return [k for k in keys if k in _WIDENS and _WIDENS[k](before.get(k), after.get(k))]


def narrowed_deny(before: list[str], after: list[str]) -> list[str]:
    """An untrusted project adds deny rules; it never removes the user's."""
    return list(dict.fromkeys([*before, *after]))


# -- the store -------------------------------------------------------------------------


def store_path(config_dir: Path) -> Path:
    return config_dir / STORE_NAME


def digest(config_file: Path) -> str | None:
    """The sha256 of the project config's bytes; None when there is none."""
    try:
        return hashlib.sha256(config_file.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise BdevError(f"{config_file}: cannot read: {e.strerror}") from None


def _key(workspace: Path, config_file: Path | None = None) -> str:
    """The project's entry; a file it ships besides .bdev/config.toml (its
    .claude/settings.json, whose hooks are commands, and its .mcp.json, whose servers
    are programs) is trusted on its own entry."""
    base = str(workspace.resolve())
    if config_file is not None and config_file.parent.name == ".claude":
        return f"{base}::.claude/{config_file.name}"
    if config_file is not None and config_file.name == ".mcp.json":
        return f"{base}::.mcp.json"
    return base


def _load(store: Path) -> dict[str, Any]:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise BdevError(f"{store}: cannot read the trusted projects ({e})") from None
    if not isinstance(data, dict):
        raise BdevError(f"{store}: expected a JSON object of project path -> trust")
    return data


def state(workspace: Path, config_file: Path, config_dir: Path) -> TrustState:
    current = digest(config_file)
    if current is None:
        return "no project config"
    entry = _load(store_path(config_dir)).get(_key(workspace, config_file))
    if not isinstance(entry, dict):
        return "untrusted"
    return "trusted" if entry.get("sha256") == current else "changed since trusted"


def trust(workspace: Path, config_file: Path, config_dir: Path) -> str:
    """Trust the project config as it is now; returns its hash."""
    current = digest(config_file)
    if current is None:
        raise BdevError(f"{config_file}: no project config to trust")
    store = store_path(config_dir)
    data = _load(store)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    data[_key(workspace, config_file)] = {"sha256": current, "trusted_at": stamp}
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, store)  # a crash never leaves half a file
    return current
