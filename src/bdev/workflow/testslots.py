"""The narrow slots of bdev's generated tests: what the user's request states about an
operation's answer (`{"status": "ok"}`), as at most a few `assert` lines from a model.

The skeleton (`backend/testgen`) is bdev's; the model only writes these lines. They are
checked before they stay: each must be an `assert` that parses and breaks no security
rule, and then the test holding them must pass against the service. A slot failing any
check is dropped, and the note says so.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from bdev.backend.audit.datastate import sqlite_kept
from bdev.backend.testgen import GENERATED, Operation, Slot, slot_operations, slot_request
from bdev.llm.base import Message, Model, ModelError
from bdev.prompts import render
from bdev.sandbox import confine
from bdev.specfirst.fill.check import forbidden
from bdev.specfirst.fill.code import CodeError, extract_code

MAX_LINES = 5  # each its own test: one wrong line costs only itself
MAX_SHAPE_CHARS = 300
RUN_TIMEOUT_S = 120.0
# A path as a request writes it: `/items/<sku>/restock`, `/tickets/{id}`, /tickets/7.
_PATH_TEXT = r"/[\w{}<>:./-]*"
_PATH = re.compile(rf"(?<![\w/.-]){_PATH_TEXT}")
_METHOD_PATH = re.compile(rf"\b(GET|POST|PUT|PATCH|DELETE)\s+`?({_PATH_TEXT})", re.IGNORECASE)
_PARAM = re.compile(r"<[^<>]*>|\{[^{}]*\}")
# What a model may call the body instead of `data`.
_BODY = re.compile(r"\bresponse\.json\(\)|\bresponse\.json\b|\breply\.data\b|\bresponse\.data\b")


@dataclass
class SlotOutcome:
    slots: list[Slot] = field(default_factory=list)  # the ones that passed every check
    notes: list[str] = field(default_factory=list)  # one line per slot asked for


def mentioned(task: str, ops: list[Operation]) -> list[Operation]:
    """The operations whose path the request names (`/health`): only about those can it
    state anything, and a small model is asked nothing it cannot answer. When it names
    them with their method (`GET /events`), only those: POST /events is not in
    question when the request is about listing events."""
    return named(task, slot_operations(ops))


def named(task: str, ops: list[Operation]) -> list[Operation]:
    """Of `ops`, those whose path the request names (see `mentioned`): a path in the
    request with as many segments, each the same word or a parameter where the route
    has one (`/tickets/{id}` and `/tickets/7` name `/tickets/<int:id>`). A whole path:
    /loans is not named by "/me/loans", nor `/items/<sku>` by `/items/<sku>/restock`."""
    paths = [_segments(p) for p in _PATH.findall(task)]
    pairs = [(m.upper(), _segments(p)) for m, p in _METHOD_PATH.findall(task)]
    found = [op for op in ops if op.path.strip("/") and any(_names(p, op.path) for p in paths)]
    with_method = [
        op for op in found if any(m == op.method and _names(p, op.path) for m, p in pairs)
    ]
    return with_method or found


def _segments(path: str) -> list[str]:
    return path.rstrip(".,:;").strip("/").split("/")


def _names(said: list[str], route: str) -> bool:
    """Whether a path the request wrote (its segments) is `route`."""
    wanted = _segments(route)
    return len(said) == len(wanted) and all(
        s == w or (s != "" and _PARAM.fullmatch(w) is not None)
        for s, w in zip(said, wanted, strict=True)
    )


def ask(task: str, op: Operation, model: Model) -> tuple[list[str], str]:
    """The model's assert lines for `op` and, when there are none, why."""
    shape = json.dumps(op.schema)[:MAX_SHAPE_CHARS] if op.schema else ""
    messages = [
        Message("system", render("test_slot_system")),
        Message(
            "user",
            render(
                "test_slot_user",
                task=task,
                method=op.method,
                path=op.path,
                call=slot_request(op),
                bodyless=op.method in ("POST", "PUT", "PATCH") and not op.request.has_body,
                status=op.success,
                shape=shape,
            ),
        ),
    ]
    try:
        answer = model.complete(messages, []).content
    except ModelError as e:
        return [], f"the model could not answer: {e}"
    return assert_lines(answer)


def assert_lines(answer: str) -> tuple[list[str], str]:
    """The `assert` lines of an answer (at most MAX_LINES), checked one by one."""
    if re.fullmatch(r"\s*`*\s*NONE\s*`*\s*\.?\s*", answer, re.I):
        return [], "the request states nothing about it"
    try:
        code = extract_code(answer)
    except CodeError:
        return [], "the model's answer held no code"
    lines = [_BODY.sub("data", line.strip()) for line in code.splitlines()]
    lines = [line for line in lines if line.startswith("assert ")][:MAX_LINES]
    if not lines:
        return [], "the model's answer held no assert line"
    for line in lines:
        try:
            tree = ast.parse(line)
        except SyntaxError as e:
            return [], f"`{line}` does not compile ({e.msg})"
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
            return [], f"`{line}` is not one assert statement"
        problems = forbidden(line)
        if problems:
            return [], f"`{line}`: {problems[0]}"
    return lines, ""


def failing_tests(root: Path, python: str, names: list[str]) -> dict[str, str] | None:
    """Run the named tests of the generated module: test name -> why it failed, for
    those that did not pass; None when pytest could not run them at all."""
    if not names:
        return {}
    # From the service's own data each time, not what an earlier run wrote to it.
    with tempfile.TemporaryDirectory(prefix="bdev-slots-") as tmp, sqlite_kept(root):
        junit = Path(tmp) / "junit.xml"
        cmd = [
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
            GENERATED, "-k", " or ".join(names),
        ]  # fmt: skip
        run = confine(cmd, cwd=root, writable=[Path(tmp)])  # the service's own tests
        try:
            subprocess.run(
                run.argv, cwd=root, env=run.env, capture_output=True, text=True,
                timeout=RUN_TIMEOUT_S, check=False,
            )  # fmt: skip
            suite = ET.parse(junit).getroot()
        except (OSError, subprocess.TimeoutExpired, ET.ParseError):
            return None
    failed: dict[str, str] = {}
    ran: set[str] = set()
    for case in suite.iter("testcase"):
        name = case.get("name", "")
        ran.add(name)
        problem = case.find("failure")
        problem = problem if problem is not None else case.find("error")
        if problem is not None:
            failed[name] = (problem.get("message") or "failed").splitlines()[0][:200]
    for name in names:
        if name not in ran:
            failed[name] = "did not run"
    return failed
