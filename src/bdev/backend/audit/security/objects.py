"""Objects the probes create: the id a creating request got back, and the operations that
address that object (`POST /notes` -> `GET/PUT/DELETE /notes/{id}`)."""

from __future__ import annotations

import re
from typing import Any

from bdev.backend.audit.security.http import Exchange, encode
from bdev.backend.audit.security.targets import Target

_ID_KEY = re.compile(r"^(id|pk|uuid|_id|\w+_id|\w+Id)$")


def created_id(ex: Exchange) -> str | None:
    """The new object's id: an id field in the JSON answer (top level, or one level down
    as in {"data": {...}}), else the last segment of a Location header."""
    if ex.response is None or not 200 <= ex.status < 400:
        return None
    try:
        data: Any = ex.response.json()
    except ValueError:
        data = None
    found = _id_in(data)
    if found is None and isinstance(data, dict):
        found = next((i for v in data.values() if (i := _id_in(v)) is not None), None)
    if found is not None:
        return found
    location = ex.response.headers.get("location", "").split("?")[0].rstrip("/")
    last = location.rsplit("/", 1)[-1] if location else ""
    return last if re.fullmatch(r"[\w-]+", last or "-") and any(c.isdigit() for c in last) else None


def _id_in(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    for exact in ("id", "pk", "uuid", "_id"):
        if isinstance(data.get(exact), int | str) and not isinstance(data.get(exact), bool):
            return str(data[exact])
    for key, value in data.items():
        if _ID_KEY.match(key) and isinstance(value, int | str) and not isinstance(value, bool):
            return str(value)
    return None


def item_targets(collection: Target, targets: list[Target]) -> list[Target]:
    """Operations on one member of `collection`: its path plus one `{param}` segment."""
    prefix = collection.path.rstrip("/") + "/{"
    return [
        t
        for t in targets
        if t.path.startswith(prefix)
        and t.path.endswith("}")
        and len(t.path_params) == len(collection.path_params) + 1
        and t.path.count("/") == collection.path.rstrip("/").count("/") + 1
    ]


def item_path(item: Target, object_id: str) -> str:
    """`item`'s path addressing `object_id` (its last parameter), plain values elsewhere."""
    last = list(item.path_params)[-1]
    path = item.path
    for name, value in item.path_values().items():
        path = path.replace("{" + name + "}", encode(object_id) if name == last else value)
    return path
