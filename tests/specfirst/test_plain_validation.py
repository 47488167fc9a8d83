"""Flask services under an allowed-package list without pydantic: standard-library models.

The task-like list below is what such services must run with; the models they get are
the same classes with a small checker behind them, so they must answer as the pydantic
ones do.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

import pydantic
import pytest
import test_generated_service as generated
from specfirst_support import SECRET, plan_for

from bdev.errors import BdevError
from bdev.specfirst import Options, build_plan, generate, load_spec

# "You are not allowed to use anything besides the standard library and the following
# packages: itsdangerous, blinker, click, Flask, Jinja2, MarkupSafe, Werkzeug, passlib,
# fpdf, pyjwt."
TASK_ALLOWED = frozenset(
    {"itsdangerous", "blinker", "click", "flask", "jinja2", "markupsafe", "werkzeug"}
    | {"passlib", "fpdf", "pyjwt"}
)
# Import name -> distribution, for the ones that differ or come with Flask.
_DISTRIBUTION = {"jwt": "pyjwt", "fpdf": "fpdf", "passlib": "passlib"}
_WITH_FLASK = {"flask", "werkzeug", "jinja2", "itsdangerous", "click", "blinker", "markupsafe"}

SPEC = """
openapi: 3.0.3
info: {title: Notes, version: "1.0"}
paths:
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NoteIn'}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        "400":
          description: invalid
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
    get:
      operationId: listNotes
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50, default: 10}}
        - {name: tag, in: query, schema: {type: string, maxLength: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Note'}}
  /notes/{noteId}:
    get:
      operationId: getNote
      parameters:
        - {name: noteId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        "404": {description: missing}
  /secret:
    get:
      operationId: readSecret
      security: [{bearer: []}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {value: {type: string}}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Error:
      type: object
      properties: {error: {type: string}}
    Item:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1}
        qty: {type: integer, minimum: 0}
    NoteIn:
      type: object
      required: [title, priority, items]
      properties:
        title: {type: string, minLength: 1, maxLength: 20, pattern: "^[A-Za-z ]+$"}
        priority: {type: integer, minimum: 1, maximum: 5}
        status: {type: string, enum: [open, done], default: open}
        email: {type: string, format: email}
        due: {type: string, format: date}
        at: {type: string, format: date-time, nullable: true}
        ref: {type: string, format: uuid}
        items:
          type: array
          minItems: 1
          maxItems: 3
          items: {$ref: '#/components/schemas/Item'}
    Note:
      allOf:
        - $ref: '#/components/schemas/NoteIn'
        - type: object
          required: [id]
          properties:
            id: {type: integer}
"""

GOOD = {"title": "Hello", "priority": 3, "items": [{"name": "pen", "qty": 1}]}
# Bodies for POST /notes: the first ones valid, then one broken rule each.
BODIES: list[Any] = [
    GOOD,
    {**GOOD, "status": "done", "email": "a@b.co", "due": "2024-01-02"},
    {**GOOD, "at": "2024-01-02T03:04:05Z", "ref": "12345678-1234-5678-1234-567812345678"},
    {**GOOD, "at": None},
    {**GOOD, "unknown": "ignored"},
    {**GOOD, "title": ""},
    {**GOOD, "title": "x" * 21},
    {**GOOD, "title": "digits 123"},
    {**GOOD, "priority": 6},
    {**GOOD, "priority": "3"},
    {**GOOD, "priority": 2.5},
    {**GOOD, "priority": True},
    {**GOOD, "status": "later"},
    {**GOOD, "email": "not-an-email"},
    {**GOOD, "due": "tomorrow"},
    {**GOOD, "ref": "not-a-uuid"},
    {**GOOD, "items": []},
    {**GOOD, "items": [{"name": "pen"}] * 4},
    {**GOOD, "items": [{"qty": 1}]},
    {**GOOD, "items": [{"name": "pen", "qty": -1}]},
    {**GOOD, "items": "pen"},
    {"priority": 3, "items": [{"name": "pen"}]},
    [],
    "text",
]
QUERIES = ["", "?limit=5", "?limit=0", "?limit=51", "?limit=abc", "?tag=" + "x" * 11]


def _generate(tmp_path: Path, allowed: frozenset[str] | None, *, single: bool, name: str) -> Path:
    spec = tmp_path / "notes.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / name
    options = Options(framework="flask", single_file=single, allowed=allowed)
    generate(build_plan(load_spec(spec), "notes.yaml"), options, out)
    return out


def _third_party(source: str) -> set[str]:
    """Top-level modules a generated module imports that are not the standard library."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        found |= {n.split(".")[0] for n in names}
    return {m for m in found if m not in sys.stdlib_module_names and m != "app"}


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [(TASK_ALLOWED, ["flask>=3", "PyJWT>=2.8"]), (frozenset({"flask"}), ["flask>=3"])],
    ids=["task-list", "flask-only"],
)
@pytest.mark.parametrize("single", [True, False], ids=["single-file", "package"])
def test_imports_stay_within_the_allowed_list(
    tmp_path: Path, single: bool, allowed: frozenset[str], expected: list[str]
) -> None:
    out = _generate(tmp_path, allowed, single=single, name="service")
    sources = [out / "app.py"] if single else sorted((out / "app").glob("*.py"))
    imported = set().union(*(_third_party(p.read_text(encoding="utf-8")) for p in sources))
    distributions = {"flask" if m in _WITH_FLASK else _DISTRIBUTION.get(m, m) for m in imported}
    assert "pydantic" not in imported
    assert distributions <= allowed, distributions - allowed
    requirements = (out / "requirements.txt").read_text(encoding="utf-8").split()
    assert requirements == expected  # only what the code imports


def test_frameworks_still_need_themselves(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match="leave out flask"):
        _generate(tmp_path, frozenset({"pydantic", "pyjwt"}), single=True, name="a")
    # FastAPI brings pydantic and starlette with it.
    assert Options(framework="fastapi", allowed=frozenset({"fastapi"})).allows("pydantic")
    assert not Options(framework="fastapi", allowed=frozenset({"fastapi"})).plain_models
    assert Options(framework="flask", allowed=frozenset({"flask"})).plain_models
    assert not Options(framework="flask").plain_models


# Run inside the bare virtualenv, from the generated service's directory.
_IN_VENV = """
import importlib.util, json
from app.main import app
from app.security import create_token
assert importlib.util.find_spec("pydantic") is None
client = app.test_client()
token = {"Authorization": "Bearer " + create_token("ann")}
good = %r
answers = [
    client.post("/notes", json=good),
    client.get("/notes/1"),
    client.get("/notes?limit=2"),  # valid: the (unwritten) slot answers 501
    client.post("/notes", json={**good, "priority": 9}),
    client.post("/notes", json={**good, "items": []}),
    client.post("/notes", json={**good, "title": "no digits 1"}),
    client.get("/notes?limit=0"),
    client.get("/notes/abc"),
    client.get("/secret"),
    client.get("/secret", headers=token),
]
print(json.dumps([[r.status_code, r.get_json()] for r in answers]))
"""


def _bare_venv(cache_dir: Path, requirements: Path) -> Path:
    """A virtualenv without system site-packages holding only `requirements` (reused
    across runs: pytest's cache keeps it)."""
    python = cache_dir / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(cache_dir)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    return python


@pytest.mark.slow
def test_the_service_starts_where_only_the_listed_packages_are(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = _generate(tmp_path, TASK_ALLOWED, single=False, name="service")
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    where = cache.mkdir("plain-flask-venv") if cache is not None else tmp_path / "venv"
    python = _bare_venv(where, out / "requirements.txt")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "APP_SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'venv.db'}",
    }
    run = subprocess.run(
        [str(python), "-s", "-E", "-c", _IN_VENV % (GOOD,)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)
    statuses = [status for status, _ in answers]
    assert statuses == [201, 200, 501, 400, 400, 400, 400, 400, 401, 501]
    created = answers[0][1]
    assert created["id"] == 1 and created["status"] == "open" and answers[1][1] == created
    for _, body in answers[3:8]:
        assert set(body) == {"error"} and body["error"].startswith("invalid request: ")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _answers(module: ModuleType) -> list[tuple[int, Any]]:
    """Status and body for each request; createNote echoes its body (plus an id and a
    private field that must not leak), the other slots stay unimplemented (501)."""

    def create_note(*, body: Any, store: Any) -> Any:
        return {**body.model_dump(mode="json"), "id": 7, "_bdev_owner": "someone"}

    module.create_note = create_note
    client = module.app.test_client()
    out = []
    for body in BODIES:
        response = client.post("/notes", json=body)
        out.append((response.status_code, response.get_json()))
    for query in QUERIES:
        response = client.get("/notes" + query)
        out.append((response.status_code, response.get_json()))
    for path in ("/notes/abc", "/notes/1", "/secret"):
        response = client.get(path)
        out.append((response.status_code, response.get_json()))
    return out


def test_plain_and_pydantic_services_answer_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    plain_dir = _generate(tmp_path, TASK_ALLOWED, single=True, name="plain")
    pydantic_dir = _generate(tmp_path, TASK_ALLOWED | {"pydantic"}, single=True, name="pyd")
    assert "from pydantic" not in (plain_dir / "app.py").read_text(encoding="utf-8")
    assert "from pydantic" in (pydantic_dir / "app.py").read_text(encoding="utf-8")
    plain = _answers(_load(plain_dir / "app.py", "plain_notes_app"))
    reference = _answers(_load(pydantic_dir / "app.py", "pydantic_notes_app"))
    assert [s for s, _ in plain] == [s for s, _ in reference]
    assert [s for s, _ in plain[:5]] == [201] * 5
    assert all(s == 400 for s, _ in plain[5 : len(BODIES)])
    for (status, mine), (_, theirs) in zip(plain, reference, strict=True):
        assert set(mine or {}) == set(theirs or {})  # the same error body shape
        if status == 201:
            assert mine == theirs and "_bdev_owner" not in mine  # same shaping, no leak


@pytest.fixture
def plain_service(make_service: Any) -> Any:
    """`make_service` for Flask under the task's list (so with the plain models)."""

    def make(spec: str, framework: str = "flask", **options: Any) -> Any:
        options["allowed"] = TASK_ALLOWED
        return make_service(spec, "flask", **options)

    return make


# The behavioural suite of the generated services, run again on the plain path.
_SUITE = [
    "test_every_operation_is_routed",
    "test_crud_round_trip",
    "test_constraints_and_formats",
    "test_unimplemented_slot_answers_501",
    "test_register_login_and_bearer_tokens",
    "test_api_keys_in_header_or_query",
    "test_health_openapi_and_security_headers",
    "test_request_size_limit",
    "test_single_file_service_works_the_same",
    "test_edge_cases_names_unions_and_recursion",
    "test_petstore_client_chosen_ids",
    "test_issued_keys_and_rows_only_their_owner_sees",
    "test_a_body_reads_like_the_dict_it_arrived_as",
]


@pytest.mark.parametrize("name", _SUITE)
def test_the_generated_service_suite_passes_on_the_plain_path(
    plain_service: Any, name: str
) -> None:
    getattr(generated, name)(plain_service, "flask")


_REFUSED = generated.test_validation_rejects_what_the_schema_forbids
_REFUSED_CASES = next(m for m in _REFUSED.pytestmark if m.name == "parametrize").args[1]


@pytest.mark.parametrize("case", _REFUSED_CASES)
def test_the_suite_s_invalid_requests_are_refused_on_the_plain_path(
    plain_service: Any, case: tuple[Any, ...]
) -> None:
    _REFUSED(plain_service, "flask", *case)


@pytest.fixture
def both_models(tmp_path: Path) -> tuple[ModuleType, ModuleType]:
    """The generated models module of each path (models.py imports nothing from app)."""
    plain = _generate(tmp_path, TASK_ALLOWED, single=False, name="plain")
    reference = _generate(tmp_path, TASK_ALLOWED | {"pydantic"}, single=False, name="pyd")
    return (
        _load(plain / "app" / "models.py", "plain_notes_models"),
        _load(reference / "app" / "models.py", "pydantic_notes_models"),
    )


def _annotations(m: ModuleType, item: type) -> list[Any]:
    """Annotations as SchemaCode writes them, from `m` (pydantic or the plain models)."""
    field, text, integer, number = m.Field, m.StrictStr, m.StrictInt, m.StrictFloat
    return [
        *(text, integer, number, m.StrictBool, int, float, bool, str),
        *(datetime.date, datetime.datetime, uuid.UUID),
        Annotated[number, field(gt=0, lt=10)],
        Annotated[integer, field(multiple_of=3)],
        Annotated[number, field(multiple_of=0.5)],
        Annotated[text, field(pattern=r"\d$")],
        Annotated[list[text], field(min_length=1, max_length=2)],
        dict[str, integer],
        Literal["a", "b"],
        integer | text,
        int | str,
        Annotated[text, field(min_length=2)] | None,
        list[item],
    ]


_VALUES: list[Any] = [
    *(0, 3, 6, -1, 2.5, 5.0, True, None, "", "a", "5", " 7 ", "5.0", "1e3", "true", "no"),
    *("2024-01-02", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05", "12345678" * 4, "1x"),
    *([], ["a"], ["a", "b", "c"], [{"name": "pen"}], [{"name": ""}], {"x": 1}, {"x": "1"}),
    1700000000,
]


def test_the_checker_agrees_with_pydantic_value_by_value(
    both_models: tuple[ModuleType, ModuleType],
) -> None:
    plain, models = both_models
    pairs = zip(_annotations(plain, plain.Item), _annotations(pydantic, models.Item), strict=True)
    for mine, theirs in pairs:
        checker, reference = plain.adapter(mine), models.adapter(theirs)
        for value in _VALUES:
            expected: Any = "invalid"
            with contextlib.suppress(pydantic.ValidationError):
                expected = reference.dump_python(reference.validate_python(value), mode="json")
            got: Any = "invalid"
            with contextlib.suppress(plain.ValidationError):
                got = checker.dump_python(checker.validate_python(value), mode="json")
            assert got == expected, (theirs, value)


def test_models_offer_the_pydantic_interface(both_models: tuple[ModuleType, ModuleType]) -> None:
    plain, models = both_models
    data = {"title": "Hi", "priority": 2, "items": [{"name": "pen"}], "due": "2024-01-02"}
    mine, theirs = plain.NoteIn.model_validate(data), models.NoteIn.model_validate(data)
    assert (mine.title, mine.items[0].name, mine.due) == (theirs.title, "pen", theirs.due)
    for options in [
        {},
        {"mode": "json"},
        {"mode": "json", "by_alias": True, "exclude_none": True},
        {"exclude_unset": True},
        {"exclude": {"items"}},
    ]:
        assert mine.model_dump(**options) == theirs.model_dump(**options), options
    assert mine.model_fields_set == theirs.model_fields_set
    assert dict(mine) == dict(theirs) | {"items": mine.items}
    assert plain.NoteIn(**data) == mine and plain.NoteIn(**data) != theirs
    copied = mine.model_copy(update={"title": "Other"})
    assert (copied.title, mine.title) == ("Other", "Hi")
    assert json.loads(mine.model_dump_json()) == json.loads(theirs.model_dump_json())
    with pytest.raises(plain.ValidationError) as caught:
        plain.NoteIn(title="Hi", priority=9, items=[])
    assert caught.value.errors()[0]["loc"] == ("priority",)


@pytest.mark.parametrize(
    ("spec", "single"), [("constraints.yaml", False), ("edge_cases.yaml", True)]
)
def test_the_plain_models_are_ruff_clean(tmp_path: Path, spec: str, single: bool) -> None:
    options = Options(framework="flask", single_file=single, allowed=TASK_ALLOWED)
    generate(plan_for(spec), options, tmp_path)
    common = ["--isolated", "--no-cache", "--line-length", "100"]
    for args in (["check", "--select", "E,F,W,I,B,UP,SIM,RUF"], ["format", "--check"]):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args, *common, "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout
