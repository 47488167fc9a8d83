"""Checks of the rules a request states (`stated`), as tests in bdev's generated module.

Each rule gives a few one-purpose tests, written by the program, not the model: a value
breaking a bound, type, length, format or choice answers the request's error status (any
4xx when it names none); values on the bounds and each choice succeed; an explicit
default answers as leaving the parameter out; a sort choice orders the items by that
field; an equality filter keeps only matching items. A body test sends a body bdev
knows is complete (the documented one, or the request's own fields when it says no
others are accepted), else only the tests that a refusal can pass are written: a
guessed body must never make a correct service look wrong.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bdev.backend.openapi import route_shape
from bdev.backend.testgen import Operation, Slot, slot_call
from bdev.backend.testgen.schema import example
from bdev.workflow.stated import Rule, Stated

_SORT_CHOICE = re.compile(r"-?[A-Za-z_]\w*")
_NOT_A_DATE = ("2024-02-30", "tomorrow")
_NOT_AN_EMAIL = ("not-an-email", "two words@example.org")
_VALUE = "bdev-placeholder-value"  # replaced by the variable `value` in the line


@dataclass
class _Test:
    """One test: its name's ending, its lines, and what it checks in words. The words are
    its last assert's message, so a failure tells the model what to do, not only that a
    long expression came out False."""

    suffix: str
    lines: list[str]
    about: str

    def slot(self, op: Operation, number: int) -> Slot:
        *head, last = self.lines
        lines = [*head, f"{last}, {self.about!r}" if last.lstrip().startswith("assert ") else last]
        return Slot(
            op.name, lines, number, name=f"test_{op.name}_{self.suffix}", source="request",
            about=self.about,
        )  # fmt: skip


def stated_slots(stated: Stated, op: Operation, ops: Sequence[Operation] = ()) -> list[Slot]:
    """The tests of `op` that the request's rules give (none for an operation behind
    credentials or without a success check: they need a valid request to vary). `ops`:
    the service's other operations, where a list's tests find how to add items first."""
    base = slot_call(op)
    rules = stated.for_route(op.method, route_shape(op.path))
    if not base or op.auth or not rules or "created_id" in base:
        return []
    query = [r for r in rules if r.where == "query"]
    body = [r for r in rules if r.where == "body"] if op.method in ("POST", "PUT", "PATCH") else []
    tests: list[_Test] = []
    seed = _Seeder(op, ops)
    for rule in query:
        tests += _query_tests(op, base, rule, stated.error_status, seed)
    tests += _paging_tests(op, base, query, seed)
    if body:
        tests += _body_tests(op, base, body, stated)
    return [test.slot(op, number) for number, test in enumerate(tests, 1)]


# -- query parameters ---------------------------------------------------------------


def _query_tests(
    op: Operation, base: str, rule: Rule, error: int | None, seed: _Seeder
) -> list[_Test]:
    s, name = rule.schema, rule.name
    snake = _snake(name)
    where = f"{op.method} {op.path}"
    tests: list[_Test] = []

    def with_value(value: Any) -> str:
        return slot_call(op, params={**op.request.params, name: value})

    for suffix, value in _bad_values(rule):
        tests.append(
            _Test(
                f"{snake}_{suffix}_is_refused",
                [_refused(with_value(value), error)],
                f"{where}?{name}={value} must answer {_error_words(error)}",
            )
        )
    for suffix, value in _good_values(rule):
        tests.append(
            _Test(
                f"{snake}_{suffix}_is_accepted",
                [_succeeds(with_value(value))],
                f"{where}?{name}={value} is allowed and must succeed",
            )
        )
    if "default" in s:
        tests.append(
            _Test(
                f"{snake}_default_is_{_snake(str(s['default']))}",
                [f"assert {with_value(s['default'])}.data == {base}.data"],
                f"{where} without {name} must answer as with {name}={s['default']}",
            )
        )
    choices = s.get("enum") or []
    if choices and all(_SORT_CHOICE.fullmatch(str(c)) for c in choices):
        for choice in choices:
            key, reverse = str(choice).lstrip("-"), str(choice).startswith("-")
            tests.append(
                _Test(
                    f"{snake}_{_snake(str(choice))}{'_descending' if reverse else ''}_orders",
                    [
                        *seed(key),
                        f"rows = {with_value(choice)}.data",
                        f"keys = [r[{key!r}] for r in rows if {key!r} in r]",
                        f"assert keys == sorted(keys, reverse={reverse})",
                    ],
                    f"{where}?{name}={choice} must list the items by {key}, "
                    + ("highest first" if reverse else "lowest first"),
                )
            )
    if rule.filters:
        tests.append(
            _Test(
                f"{snake}_keeps_only_matches",
                [
                    *seed(name),
                    f"rows = [r for r in ({base}.data or []) if {name!r} in r]",
                    f"value = rows[0][{name!r}] if rows else None",
                    "if value is not None:",
                    "    kept = " + with_value(_VALUE).replace(repr(_VALUE), "value") + ".data",
                    f"    assert kept and all(r.get({name!r}) == value for r in kept)",
                ],
                f"{where}?{name}=X must answer only the items whose {name} is X: filter on "
                f"{name} where the items are fetched (in SQL: a WHERE {name} = ? condition "
                f"when {name} is given)",
            )
        )
    return tests


_PAGE_SIZE = ("limit", "page_size", "per_page", "size", "count", "max_results")
_PAGE_START = ("offset", "skip", "start")


def _paging_tests(op: Operation, base: str, query: list[Rule], seed: _Seeder) -> list[_Test]:
    """`limit`/`offset` by their usual meaning: a window onto the list as it is without
    them (only when that list has enough items to tell)."""
    size = next((r.name for r in query if r.name in _PAGE_SIZE and r.kind == "integer"), None)
    if size is None or op.method != "GET":
        return []
    start = next((r.name for r in query if r.name in _PAGE_START and r.kind == "integer"), None)
    lines = [*seed(None), f"rows = {base}.data", "if isinstance(rows, list) and len(rows) >= 2:"]
    lines.append(
        f"    assert {slot_call(op, params={**op.request.params, size: 1})}.data == rows[:1]"
    )
    if start is not None:
        window = slot_call(op, params={**op.request.params, size: 1, start: 1})
        lines.append(f"    assert {window}.data == rows[1:2]")
    about = f"{op.method} {op.path}?{size}=1 must answer only the first item of the list"
    if start is not None:
        about += f", and with {start}=1 only the second"
    return [_Test(f"{_snake(size)}_pages_through_the_list", lines, about)]


class _Seeder:
    """Lines that add a few items to a list first, through the POST on the same path,
    when there is one bdev can call: with distinct values of the field a test is about,
    so an ordering or a filter has something to show. A refused add is no failure (the
    test then checks what there is)."""

    def __init__(self, op: Operation, ops: Sequence[Operation]) -> None:
        self.creator = next(
            (
                o
                for o in ops
                if o.method == "POST"
                and not o.auth
                and route_shape(o.path) == route_shape(op.path)
                and o.request.has_body
                and isinstance(o.request.body, dict)
                and "{" not in route_shape(o.path)
            ),
            None,
        )

    def __call__(self, field: str | None) -> list[str]:
        if self.creator is None or not slot_call(self.creator):
            return []
        body: dict[str, Any] = dict(self.creator.request.body)
        if field is not None and field not in body:
            field = None  # not a field the list's items are made from: plain items
        sample = body.get(field) if field is not None else None
        values: list[Any]
        if isinstance(sample, bool) or field is None:
            values = [None, None, None]
        elif isinstance(sample, int | float):
            values = [sample + 30, sample + 10, sample + 20]
        else:
            values = ["bdev-m", "bdev-c", "bdev-m"]
        lines = []
        for value in values:
            item = body if value is None or field is None else {**body, field: value}
            lines.append(slot_call(self.creator, body=copy.deepcopy(item), has_body=True))
        return lines


# -- body fields ----------------------------------------------------------------------


def _body_tests(op: Operation, base: str, rules: list[Rule], stated: Stated) -> list[_Test]:
    known = op.request.body if op.request.has_body and isinstance(op.request.body, dict) else None
    complete = known is not None or stated.closed
    valid: dict[str, Any] = dict(known or {})
    for rule in rules:
        valid[rule.name] = _valid_value(rule)
    tests: list[_Test] = []
    error = stated.error_status
    where = f"{op.method} {op.path}"

    def with_body(body: dict[str, Any]) -> str:
        return slot_call(op, body=copy.deepcopy(body), has_body=True)

    for rule in rules:
        snake = _snake(rule.name)
        for suffix, value in _bad_values(rule, body=True):
            call = with_body({**valid, rule.name: value})
            tests.append(
                _Test(
                    f"{snake}_{suffix}_is_refused",
                    [_refused(call, error)],
                    f"{where} with {rule.name}: {value!r} in the body must answer "
                    + _error_words(error),
                )
            )
        if rule.required:
            missing = {k: v for k, v in valid.items() if k != rule.name}
            tests.append(
                _Test(
                    f"{snake}_missing_is_refused",
                    [_refused(with_body(missing), error)],
                    f"{where} without {rule.name} must answer {_error_words(error)}",
                )
            )
        if not complete:
            continue
        for suffix, value in _good_values(rule):
            tests.append(
                _Test(
                    f"{snake}_{suffix}_is_accepted",
                    [_succeeds(with_body({**valid, rule.name: value}))],
                    f"{where} with {rule.name}: {value!r} is allowed and must succeed",
                )
            )
        if rule.nullable:
            tests.append(
                _Test(
                    f"{snake}_null_is_accepted",
                    [_succeeds(with_body({**valid, rule.name: None}))],
                    f"{where} with {rule.name}: null is allowed and must succeed",
                )
            )
        if rule.trimmed and isinstance(valid[rule.name], str):
            padded = {**valid, rule.name: f"  {valid[rule.name]}  "}
            tests.append(
                _Test(
                    f"{snake}_is_trimmed",
                    [
                        f"reply = {with_body(padded)}",
                        "assert 200 <= reply.status < 300, reply.text",
                        f"assert not isinstance(reply.data, dict) or reply.data.get({rule.name!r}, "
                        f"{valid[rule.name]!r}) == {valid[rule.name]!r}",
                    ],
                    f"{where} must store {rule.name} without its surrounding spaces",
                )
            )
    if stated.closed:
        tests.append(
            _Test(
                "unknown_field_is_refused",
                [_refused(with_body({**valid, "unexpected": 1}), error)],
                f"{where} with a field the request does not list must answer "
                + _error_words(error),
            )
        )
    if complete:
        tests.append(
            _Test(
                "valid_body_is_accepted",
                [_succeeds(with_body(valid))],
                f"{where} with a valid body must succeed",
            )
        )
    return tests


# -- values ---------------------------------------------------------------------------


def _valid_value(rule: Rule) -> Any:
    s = rule.schema
    if "example" in s or "default" in s or "enum" in s:
        return example(s)
    if s.get("format") == "email":
        return "someone@example.org"
    value = example(s) if s else "example"
    if isinstance(value, str) and value == "text" and "minLength" not in s:
        return "example"
    return value


def _bad_values(rule: Rule, *, body: bool = False) -> list[tuple[str, Any]]:
    """(name, value) pairs the rule refuses."""
    s, kind = rule.schema, rule.kind
    out: list[tuple[str, Any]] = []
    if kind in ("integer", "number"):
        low, high = s.get("minimum"), s.get("maximum")
        if low is not None:
            out.append(("below_minimum", low - 1))
        if high is not None:
            out.append(("above_maximum", high + 1))
        out.append(("not_a_number", "abc"))
        if kind == "integer":
            out.append(("fraction", (low if low is not None else 1) + 0.5))
        if body:
            out.append(("boolean", True))  # JSON true is no number, whatever Python says
            if rule.strict:
                out.append(("string", str(low if low is not None else 1)))
    if kind == "string":
        lo, hi = s.get("minLength"), s.get("maxLength")
        if isinstance(lo, int) and lo > 0:
            out.append(("too_short", "x" * (lo - 1)))
            if rule.trimmed:
                out.append(("only_spaces", " " * max(lo, 3)))
        if isinstance(hi, int):
            out.append(("too_long", "x" * (hi + 1)))
        if s.get("format") == "date":
            out += [("impossible_date", _NOT_A_DATE[0]), ("not_a_date", _NOT_A_DATE[1])]
        if s.get("format") == "email":
            out += [("not_an_email", _NOT_AN_EMAIL[0]), ("email_with_space", _NOT_AN_EMAIL[1])]
        if body:
            out.append(("number", 42))
            # A NUL or other control character is never text a service should store.
            out.append(("control_character", "a\x00b"))
    if s.get("enum"):
        out.append(("unknown_choice", "not-a-choice"))
    return out


def _good_values(rule: Rule) -> list[tuple[str, Any]]:
    s = rule.schema
    out: list[tuple[str, Any]] = []
    if rule.kind in ("integer", "number"):
        if s.get("minimum") is not None:
            out.append(("minimum", s["minimum"]))
        if s.get("maximum") is not None:
            out.append(("maximum", s["maximum"]))
    for choice in s.get("enum") or []:
        out.append((f"choice_{_snake(str(choice))}", choice))
    if s.get("format") == "date":
        out.append(("date", "2024-02-29"))
    longest = s.get("maxLength")
    if rule.kind == "string" and not s.get("format") and isinstance(longest, int) and longest < 300:
        out.append(("longest", "x" * longest))
    return out


# -- lines ----------------------------------------------------------------------------


def _refused(call: str, error: int | None) -> str:
    if error is not None:
        return f"assert {call}.status == {error}"
    return f"assert 400 <= {call}.status < 500"


def _error_words(error: int | None) -> str:
    return str(error) if error is not None else "a 4xx error"


def _succeeds(call: str) -> str:
    return f"assert 200 <= {call}.status < 300"


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "value"
