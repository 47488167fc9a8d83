"""Recognising a `bdev run` task that carries an OpenAPI document.

A task is a spec task when it holds an OpenAPI 3 document (a fenced YAML or JSON
block, an unfenced one, or the path of a spec file inside the workspace) that parses
to a mapping with `openapi` and `paths`. Merely mentioning "OpenAPI" is not enough.

    found = detect_spec_task(task, workspace)
    if found: build_service(found.spec, ..., describe=found.describe, ...)
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bdev.specfirst.constraints import TaskConstraints, read_constraints

_FENCE = re.compile(r"```[ \t]*([A-Za-z]*)[ \t]*\n(.*?)```", re.S)
_YAML_START = re.compile(r"^openapi:[ \t]*['\"]?3\.", re.M)
_JSON_START = re.compile(r"\{\s*\"openapi\"\s*:")
_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*:(\s|$)")
_CREATED_MODULE = re.compile(
    r"\b(?:create|write|make|build)\s+(?:an?\s+|the\s+)?(?:file\s+)?`?([A-Za-z_]\w*\.py)\b", re.I
)
_SPEC_FILE = re.compile(r"[\w./\\-]+\.(?:ya?ml|json)\b", re.I)


@dataclass
class SpecTask:
    # The document itself, or the file that holds it; None: derived from `describe`
    # (`bdev.specfirst.prose`) before the build.
    spec: dict[str, Any] | Path | None
    describe: str  # the task without the document: what the service should do
    framework: Literal["fastapi", "flask"] = "fastapi"
    # What the task's words require: packages, one file, address, start, environment.
    constraints: TaskConstraints = field(default_factory=TaskConstraints)

    @property
    def single_file(self) -> bool:
        return self.constraints.single_file


def detect_spec_task(task: str, workspace: Path) -> SpecTask | None:
    """The spec task in `task`, or None when it carries no OpenAPI document."""
    found = _fenced(task) or _unfenced_json(task) or _unfenced_yaml(task)
    if found is not None:
        spec: dict[str, Any] | Path = found[0]
        describe = (task[: found[1]] + task[found[2] :]).strip()
    else:
        path = _spec_path(task, workspace)
        if path is None:
            return None
        spec, describe = path, task.strip()
    return SpecTask(
        spec=spec,
        describe=re.sub(r"\n{3,}", "\n\n", describe),
        framework=_framework(describe),
        constraints=read_constraints(describe),
    )


def prose_task(task: str) -> SpecTask:
    """A new service asked for in prose: its document is derived from the words."""
    describe = task.strip()
    constraints = read_constraints(describe)
    # "create app.py with ..." asks for that one file, the whole service in it.
    named = set(_CREATED_MODULE.findall(describe))
    if len(named) == 1 and not constraints.single_file:
        constraints = dataclasses.replace(constraints, single_file=True, file_name=named.pop())
    return SpecTask(
        spec=None,
        describe=describe,
        framework=_framework(describe),
        constraints=constraints,
    )


def is_openapi(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and str(doc.get("openapi", "")).startswith("3")
        and isinstance(doc.get("paths"), dict)
    )


def _fenced(task: str) -> tuple[dict[str, Any], int, int] | None:
    for match in _FENCE.finditer(task):
        if match.group(1).lower() not in ("", "yaml", "yml", "json", "openapi"):
            continue
        doc = _parse(match.group(2))
        if is_openapi(doc):
            return doc, match.start(), match.end()
    return None


def _unfenced_json(task: str) -> tuple[dict[str, Any], int, int] | None:
    for match in _JSON_START.finditer(task):
        try:
            doc, end = json.JSONDecoder().raw_decode(task, match.start())
        except ValueError:
            continue
        if is_openapi(doc):
            return doc, match.start(), end
    return None


def _unfenced_yaml(task: str) -> tuple[dict[str, Any], int, int] | None:
    """From an `openapi: 3...` line to the first line that is neither indented, blank nor
    a top-level key: the prose that follows the document."""
    match = _YAML_START.search(task)
    if match is None:
        return None
    lines = task[match.start() :].splitlines(keepends=True)
    kept = 0
    for line in lines:
        if line.strip() and not line[0].isspace() and not _TOP_KEY.match(line):
            break
        kept += 1
    # A prose line that looks like a key ("Note: ...") ends the document too: trim
    # trailing lines until what is left parses as a spec.
    for count in range(kept, 0, -1):
        text = "".join(lines[:count])
        doc = _parse(text)
        if is_openapi(doc):
            return doc, match.start(), match.start() + len(text)
        if kept - count >= 20:
            break
    return None


def _spec_path(task: str, workspace: Path) -> Path | None:
    root = workspace.resolve()
    for token in _SPEC_FILE.findall(task):
        candidate = Path(token) if Path(token).is_absolute() else root / token.removeprefix("./")
        try:
            path = candidate.resolve()
        except OSError:
            continue
        if not path.is_relative_to(root) or not path.is_file():
            continue
        try:
            doc = _parse(path.read_text(encoding="utf-8"))
        except OSError:
            continue
        if is_openapi(doc):
            return path
    return None


def _parse(text: str) -> Any:
    try:
        return yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError:
        return None


def _framework(text: str) -> Literal["fastapi", "flask"]:
    lowered = text.lower()
    if re.search(r"\bflask\b", lowered) and not re.search(r"\bfastapi\b", lowered):
        return "flask"
    return "fastapi"
