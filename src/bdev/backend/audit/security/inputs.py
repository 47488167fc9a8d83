"""One input of an operation (a query or path parameter, a body field, a header) and how
to send a chosen value through it: what every payload-based probe needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path, encode
from bdev.backend.audit.security.targets import WRITE_METHODS, Target

Place = Literal["query", "path", "body", "header"]


@dataclass(frozen=True)
class Input:
    target: Target
    place: Place
    name: str

    @property
    def location(self) -> str:
        t = self.target
        if self.place == "query":
            return f"{t.method} {t.path}?{self.name}=..."
        if self.place == "path":
            return f"{t.method} {t.path} (path parameter {self.name})"
        if self.place == "header":
            return f"{t.method} {t.path} (header {self.name})"
        kind = "form" if t.body_kind == "form" else "JSON"
        return f"{t.method} {t.path} ({kind} field {self.name})"

    def send(self, client: ProbeClient, value: str, **kwargs: object) -> Exchange:
        """The operation with `value` in this input and plain values everywhere else."""
        t = self.target
        query = {self.name: encode(value)} if self.place == "query" else None
        path_values = t.path_values(**({self.name: encode(value)} if self.place == "path" else {}))
        path = build_path(t.path, path_values, query)
        extra: dict = dict(kwargs)
        if self.place == "header":
            extra["headers"] = {**extra.get("headers", {}), self.name: value}
        if t.method in WRITE_METHODS:
            body = dict(t.body or {})
            if self.place == "body":
                body[self.name] = value
            extra.update(t.body_args(body))
        return client.send(t.method, path, endpoint=t.endpoint, **extra)


def inputs_of(t: Target, places: tuple[Place, ...] = ("query", "path", "body")) -> list[Input]:
    """The inputs of `t` that a string payload can travel through; none for DELETE (a
    payload must never be what removes a record)."""
    if t.method != "GET" and t.method not in WRITE_METHODS:
        return []
    out: list[Input] = []
    if "query" in places:
        out += [Input(t, "query", q) for q in t.query_params]
    if "path" in places:
        out += [Input(t, "path", p) for p, kind in t.path_params.items() if kind == "string"]
    if "body" in places and t.method in WRITE_METHODS:
        out += [Input(t, "body", f) for f in t.body_string_fields]
    if "header" in places:
        out += [Input(t, "header", h) for h in t.header_params]
    return out
