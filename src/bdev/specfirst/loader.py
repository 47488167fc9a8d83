"""Read an OpenAPI document (YAML or JSON), check its local `$ref`s, validate it.

Validation is openapi-spec-validator's; this module only turns its findings into one
`BdevError` that names the JSON path, e.g. `paths./items.get.responses`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError, best_match
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from bdev.errors import BdevError
from bdev.specfirst.refs import check_refs, dotted


def load_spec(path: str | Path) -> dict[str, Any]:
    """Parse, check and validate the spec at `path`; return the raw document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BdevError(f"{path}: cannot read the spec ({e.strerror})") from None
    doc = parse_spec_text(text, str(path))
    validate_spec(doc, str(path))
    return doc


def parse_spec_text(text: str, source: str) -> dict[str, Any]:
    try:
        # YAML is a superset of JSON, but json gives better messages for .json files.
        doc = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise BdevError(f"{source}: not valid {'JSON' if source.endswith('.json') else 'YAML'}: {e}")
    if not isinstance(doc, dict):
        raise BdevError(f"{source}: an OpenAPI document must be a mapping at the top level")
    return doc


def validate_spec(doc: dict[str, Any], source: str) -> None:
    version = str(doc.get("openapi", ""))
    if version.startswith("3.0"):
        validator_cls = OpenAPIV30SpecValidator
    elif version.startswith("3.1"):
        validator_cls = OpenAPIV31SpecValidator
    else:
        found = doc.get("openapi", doc.get("swagger"))
        raise BdevError(f"{source}: field 'openapi' must be 3.0.x or 3.1.x, found {found!r}")
    # The validator raises (not reports) on a dangling $ref, so refs are checked first.
    check_refs(doc, source)
    errors = list(validator_cls(doc).iter_errors())
    if errors:
        raise BdevError(f"{source}: invalid OpenAPI document: {describe(errors)}")


def describe(errors: Iterable[ValidationError]) -> str:
    """One line for the most relevant error, with its JSON path."""
    error = best_match(errors)
    # A oneOf/anyOf failure is vague; its closest sub-error says what is actually wrong.
    while error.context:
        error = best_match(error.context)
    where = dotted(error.absolute_path) or "(document root)"
    return f"at {where}: {error.message.splitlines()[0]}"
