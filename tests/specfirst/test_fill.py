"""The model fills slots: splice, checks, retries with the errors sent back, 501 fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from specfirst_support import MINIMAL, load_service, plan_for

from bdev.llm.base import Message, ModelResponse, ToolSpec
from bdev.llm.scripted import ScriptedModel
from bdev.specfirst import Options, generate, slots_for
from bdev.specfirst.build import build_plan
from bdev.specfirst.fill import SlotFiller
from bdev.specfirst.fill.check import forbidden
from bdev.specfirst.fill.code import CodeError, body_from, extract_code
from bdev.specfirst.fill.prompt import relevant_sentences, sketch, user_prompt
from bdev.specfirst.loader import load_spec

ARCHIVE = """Here it is:
```python
def archive_item(*, item_id: int, store: Store) -> Any:
    found = store.update("items", item_id, {"status": "archived"})
    if found is None:
        raise ApiError(404, f"item {item_id} not found")
    return found
```"""


class Recording:
    """A scripted model that keeps every conversation it was sent."""

    def __init__(self, answers: list[str]) -> None:
        self.inner = ScriptedModel.from_turns([{"content": a} for a in answers])
        self.name = "recording"
        self.seen: list[list[Message]] = []

    def complete(self, messages: list[Message], tools: list[ToolSpec], **_: Any) -> ModelResponse:
        assert tools == []  # filling never offers tools
        self.seen.append(list(messages))
        return self.inner.complete(messages, tools)


@pytest.fixture
def items(tmp_path: Path) -> Any:
    plan = plan_for("items.yaml")
    options = Options(framework="fastapi", allowed=MINIMAL)
    out = tmp_path / "service"
    generate(plan, options, out)
    return plan, options, out


def fill(items: Any, answers: list[str], **kwargs: Any) -> tuple[Any, Recording]:
    plan, _, out = items
    model = Recording(answers)
    (slot,) = slots_for(plan)
    report = SlotFiller(plan, out, model, **kwargs).fill(slot)
    return report, model


def test_a_correct_body_is_spliced_and_answers(items, monkeypatch) -> None:
    report, _ = fill(items, [ARCHIVE])
    assert (report.status, report.attempts) == ("implemented", 1)
    assert report.input_tokens > 0 and report.output_tokens > 0
    plan, options, out = items
    handlers = (out / "app/handlers.py").read_text()
    assert "# bdev:slot archive_item" in handlers and "raise NotImplementedError" not in handlers
    service = load_service(out, plan, options, monkeypatch)
    service.call("POST", "/items", json={"name": "pen", "price": 1})
    status, item, _ = service.call("POST", "/items/1/archive")
    assert (status, item["status"], item["name"]) == (200, "archived", "pen")
    assert service.call("POST", "/items/9/archive")[0] == 404


def test_a_syntax_error_goes_back_and_the_fix_is_taken(items) -> None:
    broken = "```python\ndef archive_item(*, item_id, store):\n"
    broken += "    return store.get('items', item_id\n```"
    report, model = fill(items, [broken, ARCHIVE])
    assert (report.status, report.attempts) == ("implemented", 2)
    first, retry = model.seen
    assert len(retry) == len(first) and retry[0] == first[0]  # a fresh conversation
    assert retry[-1].role == "user" and retry[-1].content.startswith(first[-1].content)
    assert "An earlier answer was rejected" in retry[-1].content
    assert "SyntaxError" in retry[-1].content
    assert broken not in retry[-1].content  # shown its own answer, a small model repeats it


def test_each_answer_is_recorded_with_what_was_rejected(items) -> None:
    broken = "```python\ndef archive_item(*, item_id, store):\n    return eval('1')\n```"
    events: list[tuple[str, dict[str, Any]]] = []
    report, _ = fill(items, [broken, ARCHIVE], record=lambda k, **d: events.append((k, d)))
    assert report.status == "implemented"
    first, second = (d for k, d in events if k == "slot_attempt")
    assert (first["operation_id"], first["attempt"], first["answer"]) == (
        "archive_item",
        1,
        broken,
    )
    assert any("eval" in p for p in first["problems"])
    assert (second["attempt"], second["problems"]) == (2, [])


@pytest.mark.parametrize(
    "idle",
    [
        "# Save the item, then answer with it\n# (the rest was cut off)",
        'def archive_item(*, item_id, store):\n    """Archive the item."""\n    pass',
        "def archive_item(*, item_id, store):\n    from fastapi import HTTPException\n    ...",
        "from typing import Any, List\n",  # imports the file has: nothing left once dropped
    ],
)
def test_a_body_that_does_nothing_is_sent_back(items, idle: str) -> None:
    cut = f"```python\n{idle}\n```"
    report, model = fill(items, [cut, ARCHIVE])
    assert (report.status, report.attempts) == ("implemented", 2)
    assert "does nothing" in model.seen[1][-1].content


def test_a_body_that_stops_at_an_ellipsis_is_sent_back(items) -> None:
    cut = "```python\ndef archive_item(*, item_id, store):\n"
    cut += "    item = store.get('items', item_id)\n    ...\n```"
    report, model = fill(items, [cut, ARCHIVE])
    assert (report.status, report.attempts) == ("implemented", 2)
    assert "stops at `...`" in model.seen[1][-1].content


def test_retries_sample_warmer_then_the_temperature_is_restored(items) -> None:
    bad = "```python\ndef archive_item(*, item_id, store):\n    return eval('1')\n```"
    seen: list[float] = []

    class Warmable:
        name, temperature = "warmable", 0.2

        def __init__(self) -> None:
            self.inner = Recording([bad, bad, ARCHIVE])

        def complete(self, messages, tools, **kwargs):
            seen.append(self.temperature)
            return self.inner.complete(messages, tools)

    plan, _, out = items
    (slot,) = slots_for(plan)
    model = Warmable()
    report = SlotFiller(plan, out, model).fill(slot)
    assert report.status == "implemented"
    assert seen == pytest.approx([0.2, 0.5, 0.8]) and model.temperature == 0.2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("return eval(str(item_id))", "eval() runs arbitrary code"),
        (
            "import subprocess\nsubprocess.run('ls ' + str(item_id), shell=True)\nreturn {}",
            "shell=True",
        ),
        (
            "store.conn.execute(f\"UPDATE items SET status='archived' WHERE id={item_id}\")\n"
            "return store.get('items', item_id)",
            "SQL built from strings",
        ),
    ],
)
def test_insecure_bodies_are_rejected_with_the_reason(items, code: str, expected: str) -> None:
    insecure = "```python\ndef archive_item(*, item_id: int, store: Store) -> Any:\n"
    insecure += "\n".join(f"    {line}" for line in code.splitlines()) + "\n```"
    report, model = fill(items, [insecure, ARCHIVE])
    assert report.status == "implemented" and report.attempts == 2
    assert expected in model.seen[1][-1].content


def test_a_model_that_never_gets_it_right_leaves_501(items, monkeypatch) -> None:
    plan, options, out = items
    before = (out / "app/handlers.py").read_text()
    bad = "```python\ndef archive_item(*, item_id, store):\n"
    bad += "    return undefined_thing(item_id)\n```"
    report, _ = fill(items, [bad, bad, bad, ARCHIVE], max_retries=2)
    assert (report.status, report.attempts) == ("not implemented", 3)
    assert "F821" in report.problems[0] and "undefined_thing" in report.problems[0]
    assert (out / "app/handlers.py").read_text() == before
    service = load_service(out, plan, options, monkeypatch)
    assert service.call("POST", "/items/1/archive")[0] == 501


def test_forgotten_imports_are_added(items) -> None:
    answer = (
        "```python\ndef archive_item(*, item_id: int, store: Store) -> Any:\n"
        "    stamp = datetime.now(UTC).isoformat()\n"
        "    found = store.update('items', item_id, {'status': 'archived', 'note': stamp})\n"
        "    return found or {'token': create_token(str(item_id)), 'ttl': TOKEN_TTL_SECONDS}\n```"
    )
    report, _ = fill(items, [answer])
    assert report.status == "implemented", report.problems
    handlers = (items[2] / "app/handlers.py").read_text()
    assert "from datetime import datetime" in handlers
    assert "from app.security import TOKEN_TTL_SECONDS" in handlers


def test_body_extraction_forms() -> None:
    assert body_from("return 1", "f") == ["return 1"]
    whole = 'import re\n\ndef f(*, x):\n    """Doc."""\n    return re.escape(x)\n'
    assert body_from(whole, "f") == ["import re", "", "return re.escape(x)"]
    assert extract_code("```py\nreturn 2\n") == "return 2\n"  # an unclosed fence
    with pytest.raises(CodeError, match="SyntaxError"):
        body_from("def f(:\n  pass", "f")
    assert body_from("async def f(*, x):\n    return x", "f") == ["return x"]
    awaited = "async def f(*, x):\n    return await store.get('t', x)"
    assert body_from(awaited, "f") == ["return store.get('t', x)"]
    upload = "async def f(*, body):\n    data = await body.file.read()\n    return len(data)"
    assert body_from(upload, "f") == ["data = body.file.read()", "return len(data)"]
    with pytest.raises(CodeError, match="without await"):
        body_from("async def f(*, x):\n    return await x", "f")


def test_forbidden_allows_the_safe_forms() -> None:
    safe = (
        "path = safe_join(BASE, name)\n"
        "with open(path) as fh:\n    data = fh.read()\n"
        "run_command(['convert', str(path)], timeout=5)\n"
        "store.conn.execute('SELECT 1 FROM items WHERE id = ?', (item_id,))\n"
        "return data"
    )
    assert forbidden(safe) == []
    # A path from request data names the parameter; any other unjoined path is still wrong.
    (flow,) = forbidden("return open(name).read()")
    assert flow.startswith("line 1: request data (name) reaches open() on a path not made")
    (rule,) = forbidden("return open(name).read()", sources=[])
    assert rule.startswith("line 1: open() of a path")
    assert "run_command() needs a list" in forbidden("run_command(f'ls {x}')")[0]


def test_prompt_is_short_and_keeps_the_relevant_sentences() -> None:
    plan = plan_for("items.yaml")
    plan.describe = (
        "Shops sell items. Archiving an item sets its status to archived. "
        "Users log in with a password. Prices are in euros."
    )
    op = plan.operation("archive_item")
    assert relevant_sentences(plan.describe, op) == [
        "Shops sell items.",
        "Archiving an item sets its status to archived.",
    ]
    text = user_prompt(plan, op, slots_for(plan)[0])
    assert "def archive_item(*, item_id: int, store: Store) -> Any:" in text
    helpers, rest = text.split("\n", 1)
    assert helpers.startswith("Already defined") and "password" not in rest
    assert len(text) < 2000
    schema = {"$ref": "#/components/schemas/ItemCreate"}
    assert sketch(plan.document, schema).startswith("{name*: string(1..80), price*: number")


def test_invented_imports_are_dropped_or_sent_back(items, monkeypatch) -> None:
    # What the embedded model wrote for a slot: skeleton names imported from nowhere.
    answer = (
        "```python\nfrom typing import Any\nfrom api import ApiError\n"
        "from store import Store\n\n"
        "def archive_item(*, item_id: int, store: Store) -> Any:\n"
        "    found = store.update('items', item_id, {'status': 'archived'})\n"
        "    if found is None:\n        raise ApiError(404, 'no item')\n    return found\n```"
    )
    invented = "```python\nfrom helpers import archive\n\nreturn archive(store, item_id)\n```"
    report, model = fill(items, [invented, answer])
    assert report.status == "implemented"
    assert "there is no module 'helpers'" in model.seen[1][-1].content
    plan, options, out = items
    assert "from api" not in (out / "app/handlers.py").read_text()
    service = load_service(out, plan, options, monkeypatch)
    service.call("POST", "/items", json={"name": "pen", "price": 1})
    assert service.call("POST", "/items/1/archive")[0] == 200


def test_an_invented_module_nothing_uses_is_dropped() -> None:
    from bdev.specfirst.fill.imports import clean_imports

    body = ["from http_exception import HTTPException", "from helpers import archive",
            "return archive(1)"]  # fmt: skip
    kept, problems = clean_imports(body, {"store"})
    assert kept == ["from helpers import archive", "return archive(1)"]
    assert problems == ["line 2: there is no module 'helpers'"]


def test_stand_ins_for_the_skeletons_helpers_are_dropped() -> None:
    answer = """
class ApiError(Exception):
    pass

def hash_password(password):
    pass

LIMIT = 5

def search(*, q: str, store: Store) -> Any:
    def safe_join(base, *parts):
        pass
    found = store.list("notes")
    return [n for n in found if q in n["title"]][:LIMIT]
"""
    body = "\n".join(body_from(answer, "search"))
    assert "class ApiError" not in body and "def hash_password" not in body
    assert "def safe_join" not in body
    assert "LIMIT = 5" in body and 'found = store.list("notes")' in body
    assert body.rstrip().endswith('return [n for n in found if q in n["title"]][:LIMIT]')


@pytest.mark.parametrize(
    "call",
    [
        'store.list("notes", filters={"title": {"$regex": q}})',
        'store.list("notes", filters={"title__icontains": q})',
        'store.count("notes", {"total": {"$gt": 5}})',
        'store.list("notes", None, 0, {"tags": ["a", "b"]})',
    ],
)
def test_query_style_store_filters_are_sent_back(call: str) -> None:
    (problem,) = forbidden(f"rows = {call}\nreturn rows")
    assert problem.startswith("line 1: store filters match exact values only")


def test_exact_store_filters_pass() -> None:
    assert forbidden('return store.list("tasks", filters={"owner": owner, "done": False})') == []


def test_a_redefined_body_model_is_dropped_too() -> None:
    answer = (
        "class RenderBody(BaseModel):\n    template: str\n\n"
        "def render(*, body: RenderBody, store: Store) -> Any:\n"
        "    return {'text': body.template}\n"
    )
    assert body_from(answer, "render", frozenset({"RenderBody"})) == [
        "return {'text': body.template}"
    ]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ('store.list("orders", filters={}, order_by=sort)', "no parameter 'order_by'"),
        ('store.query("orders")', "the store has no method query()"),
        ('store.get("orders", 1, True)', "too many arguments"),
    ],
)
def test_store_calls_it_cannot_take_are_sent_back(call: str, expected: str) -> None:
    (problem,) = forbidden(f"rows = {call}\nreturn rows")
    assert expected in problem


def test_a_body_that_does_not_parse_is_a_problem_not_a_crash() -> None:
    (problem,) = forbidden("x = 1\n    y = 2\nreturn x")
    assert problem == "line 2: SyntaxError: unexpected indent"


@pytest.mark.parametrize(
    "code",
    [
        'path = Path(os.environ["FILES_DIR"]) / body.name\npath.write_text(body.content)',
        'with (Path(base) / name).open("w") as f:\n    f.write(text)',
        'return Path("/data", name).read_text()',
    ],
)
def test_pathlib_io_outside_safe_join_is_sent_back(code: str) -> None:
    (problem,) = forbidden(code)
    assert "on a path not made by safe_join" in problem


def test_pathlib_io_on_a_safe_join_path_passes() -> None:
    code = 'path = safe_join(os.environ["FILES_DIR"], body.name)\npath.write_text(body.content)'
    assert forbidden(code + "\nreturn safe_join(base, name).read_text()") == []


@pytest.mark.parametrize(
    ("code", "named", "refused"),
    [
        ("d = os.environ['UPLOAD_DIR']\nreturn d", {"UPLOAD_DIR"}, []),
        ("n = int(os.environ.get('MAX_SIZE', '10'))\nreturn n", {"UPLOAD_DIR"}, ["MAX_SIZE"]),
        ("return os.getenv('LIMIT')", set(), ["LIMIT"]),
        ("from os import environ\nreturn environ['A'] + environ.get('B', '')", {"A"}, ["B"]),
        ("key = 'X'\nreturn os.environ[key]", set(), []),  # not a literal: left to review
    ],
)
def test_a_setting_the_task_never_named_is_sent_back(
    code: str, named: set[str], refused: list[str]
) -> None:
    from bdev.specfirst.fill.settings import unnamed_settings

    problems = unnamed_settings(code, named)
    assert [p.split("variable ")[1].split(" ")[0] for p in problems] == refused
    assert all("write the limit or value the request states" in p for p in problems)


def test_the_filler_sends_back_an_invented_setting(items) -> None:
    invented = (
        "```python\ndef archive_item(*, item_id, store):\n"
        "    if not os.environ.get('ARCHIVE_ENABLED'):\n        raise ApiError(500, 'off')\n"
        "    return store.update('items', item_id, {'status': 'archived'})\n```"
    )
    report, model = fill(items, [invented, ARCHIVE])
    assert (report.status, report.attempts) == ("implemented", 2)
    assert "ARCHIVE_ENABLED is not one the task names" in model.seen[1][-1].content


def test_a_forgotten_third_party_import_is_added_only_when_allowed() -> None:
    from bdev.specfirst.fill.imports import import_for

    assert import_for("Thread", "", {}) == "from threading import Thread"
    assert import_for("FPDF", "", {}) == "from fpdf import FPDF"  # fpdf2 is installed here
    assert import_for("FPDF", "", {}, lambda dist: dist == "fpdf2") == "from fpdf import FPDF"
    assert import_for("FPDF", "", {}, lambda dist: dist == "flask") is None  # not on the list


def test_the_item_naming_the_operation_s_path_is_its_requirements() -> None:
    plan = plan_for("members.yaml")
    plan.describe = (
        "A club's members area.\n"
        "- POST /members lets anyone join; members get a key.\n"
        "- GET /me answers the caller.\n"
        "- PUT /members/{id}/level changes a member's level. Only staff may do it: the\n"
        "  header X-Staff-Key must equal the STAFF_TOKEN environment variable, else 403.\n"
        "  Unknown id: 404.\n"
        "- GET /members/{id}/level/history is for later."
    )
    op = plan.operation("set_level")
    assert relevant_sentences(plan.describe, op)[:3] == [
        "PUT /members/{id}/level changes a member's level.",
        "Only staff may do it: the\n  header X-Staff-Key must equal the STAFF_TOKEN "
        "environment variable, else 403.",
        "Unknown id: 404.",
    ]
    slot = next(s for s in slots_for(plan) if s.operation_id == "set_level")
    prompt = user_prompt(plan, op, slot)
    assert "admitted only the operator (it checked X-Staff-Key equal to " in prompt
    assert "os.environ['STAFF_TOKEN']); the handler checks no one" in prompt
    assert "is for later" not in prompt
    me = next(s for s in slots_for(plan) if s.operation_id == "who_am_i")
    me_prompt = user_prompt(plan, plan.operation("who_am_i"), me)
    assert "os.environ['STAFF_TOKEN']" not in me_prompt
    # The operator is no caller the handler could check: it is given no principal.
    assert "principal" not in slot.signature and "principal: Principal" in me.signature
    # What a stored member holds: the issued key is not among it.
    assert "members (key id, integer; rows: id, username; the key is never stored)" in me_prompt


def test_the_prompt_shows_how_related_handlers_keep_the_data(items) -> None:
    _, model = fill(items, [ARCHIVE])
    prompt = model.seen[0][-1].content
    shown = prompt.split("Already written for the same data")[1].split("Complete this function")[0]
    assert "def create_item(" in shown and 'store.create("items", data)' in shown
    assert shown.count("```python") == 2  # at most two, each cut at 25 lines


def test_related_operations_share_their_first_fixed_segment() -> None:
    from bdev.specfirst.fill.prompt import related

    plan = plan_for("items.yaml")
    archive = plan.operation("archive_item")
    assert {o.operation_id for o in plan.operations if related(plan, archive, o)} == {
        o.operation_id for o in plan.operations if o.path.startswith("/items") and o is not archive
    }


def test_status_constants_become_their_numbers() -> None:
    answer = (
        "```python\nif not host:\n    raise HTTPException(422_UNPROCESSABLE_ENTITY, 'bad')\n"
        "if gone:\n    raise HTTPException(status.HTTP_404_NOT_FOUND)\nLIMIT_404_X = 1\n```"
    )
    assert extract_code(answer).splitlines() == [
        "if not host:",
        "    raise HTTPException(422, 'bad')",
        "if gone:",
        "    raise HTTPException(404)",
        "LIMIT_404_X = 1",
    ]


def test_slots_that_store_data_are_filled_first() -> None:
    from bdev.specfirst import build_plan
    from bdev.specfirst.codegen.slots import fill_order

    def op(op_id: str) -> dict:
        return {"operationId": op_id, "responses": {"200": {"description": "ok"}}}

    doc = {
        "openapi": "3.0.3",
        "info": {"title": "Files", "version": "1"},
        "paths": {
            "/files": {"get": op("listFiles"), "post": op("uploadFile")},
            "/files/{name}": {
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "get": op("download"), "put": op("replaceFile"),
            },
        },
    }  # fmt: skip
    plan = build_plan(doc, "files.yaml")
    order = [s.operation_id for s in fill_order(plan, slots_for(plan))]
    assert order == ["upload_file", "replace_file", "list_files", "download"]


def test_an_error_the_operation_does_not_document_is_sent_back() -> None:
    from bdev.specfirst.fill.statuses import undocumented_errors

    plan = plan_for("members.yaml")
    me = plan.operation("who_am_i")  # documents 200 and 401
    missing = "row = store.get('members', principal['sub'])\nif row is None:\n"
    (problem,) = undocumented_errors(missing + "    raise ApiError(404, 'gone')\nreturn row", me)
    assert problem.startswith("line 3: GET /me documents no 404 (its responses: 200, 401)")
    assert undocumented_errors(missing + "    raise ApiError(401, 'who?')\nreturn row", me) == []
    assert undocumented_errors("raise ApiError(400, 'bad')", me) == []  # bad input, always
    # The task's words may name what the spec forgot; a `default` response documents all.
    assert undocumented_errors("raise ApiError(404, 'gone')", me, "Unknown ids get 404.") == []
    me.responses["default"] = me.responses["200"]
    assert undocumented_errors("raise ApiError(409, 'taken')", me) == []


def test_a_model_that_continues_a_reply_gets_the_function_s_first_line(items) -> None:
    # What the embedded model does when its reply is opened with the `def` line: the
    # body, its first line left unindented.
    body = "found = store.update('items', item_id, {'status': 'archived'})\n"
    body += "    if found is None:\n        raise ApiError(404, 'gone')\n    return found\n```"
    model = Recording([body])
    model.opens_reply = True  # type: ignore[attr-defined]
    plan, _, out = items
    (slot,) = slots_for(plan)
    report = SlotFiller(plan, out, model).fill(slot)
    assert report.status == "implemented", report.problems
    opened = model.seen[0][-1]
    assert opened.role == "assistant" and opened.content == f"```python\n{slot.signature}\n"
    assert "    found = store.update('items', item_id" in (out / "app/handlers.py").read_text()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("if x:\n        return 1\n    return 2", "    if x:\n        return 1\n    return 2"),
        ("return 1\n```\nsome prose", "    return 1\n```\nsome prose"),
        ("  if x:\n    y()", "  if x:\n    y()"),  # indented already: left alone
    ],
)
def test_the_first_line_of_a_continued_body_gets_the_body_s_indent(
    written: str, expected: str
) -> None:
    from bdev.specfirst.fill.code import indent_first_line

    assert indent_first_line(written) == expected


def test_a_field_the_request_body_lacks_is_sent_back() -> None:
    from bdev.specfirst.fill.fields import unknown_body_fields

    plan = plan_for("items.yaml")
    create = plan.operation("create_item")  # body: name, price, status, tags, ...
    invented = "body.password = hash_password(body.password)\nreturn store.create('items', {})"
    (problem,) = unknown_body_fields(invented, plan, create)
    assert problem.startswith("line 1: the request body has no field 'password' (its fields: ")
    fine = "data = body.model_dump()\n"
    fine += "return {'n': body.name, 'p': body['price'], 'x': body.get('x')}"
    assert unknown_body_fields(fine, plan, create) == []
    assert unknown_body_fields("body = {}\nreturn body.password", plan, create) == []  # rebound
    archive = plan.operation("archive_item")  # no body at all
    assert unknown_body_fields("return body.anything", plan, archive) == []


COUNTER_SPEC = """
openapi: 3.0.3
info: {title: Counter, version: "1"}
paths:
  /pages/{name}/visits:
    post:
      operationId: recordVisit
      summary: Count one visit
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: The count after it}}
  /pages/{name}:
    get:
      operationId: getVisits
      summary: How many visits a page had
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: The count}}
"""
RECORD = """```python
def record_visit(*, name: str, store: Store) -> Any:
    return {"page": name, "visits": store.increment("pages", name, "visits")}
```"""
READ = """```python
def get_visits(*, name: str, store: Store) -> Any:
    row = store.get("pages", name)
    return {"page": name, "visits": row["visits"] if row else 0}
```"""


def _counter_service(tmp_path: Path) -> tuple[Any, Path]:
    """The counter spec's plan and its generated service (slots unwritten)."""
    spec = tmp_path / "counter.yaml"
    spec.write_text(COUNTER_SPEC)
    plan = build_plan(load_spec(spec), "counter.yaml")
    out = tmp_path / "service"
    generate(plan, Options(framework="fastapi", allowed=MINIMAL), out)
    return plan, out


def test_a_body_copied_from_another_operation_is_sent_back(tmp_path: Path) -> None:
    plan, out = _counter_service(tmp_path)
    record, read = slots_for(plan)
    assert SlotFiller(plan, out, Recording([RECORD])).fill(record).status == "implemented"
    # The writer's body, docstring and comments aside, given for the reader.
    copied = RECORD.replace("record_visit", "get_visits")
    copied = copied.replace("    return", '    """Read."""\n    # count\n    return')
    model = Recording([copied, READ])
    report = SlotFiller(plan, out, model).fill(read)
    assert (report.status, report.attempts) == ("implemented", 2)
    retry = model.seen[1][-1].content
    assert "this is the code of record_visit (POST /pages/{name}/visits) again" in retry
    assert "get_visits (GET /pages/{name}) is a different operation" in retry


def test_a_read_of_a_table_nothing_writes_is_sent_back(tmp_path: Path) -> None:
    from bdev.specfirst.fill.tables import unfilled_reads

    plan, out = _counter_service(tmp_path)
    record, read = slots_for(plan)
    # Before the writer is written, no read is judged.
    wrong = READ.replace('"pages"', '"visits"')
    model = Recording([wrong, RECORD, wrong, READ])
    assert SlotFiller(plan, out, model).fill(read).status == "implemented"
    assert SlotFiller(plan, out, model).fill(record).status == "implemented"
    report = SlotFiller(plan, out, model).fill(read)
    assert (report.status, report.attempts) == ("implemented", 2)
    assert "nothing ever stores rows in 'visits' (the handlers store rows only in pages)" in (
        model.seen[3][-1].content
    )
    assert unfilled_reads("store.create('a', {})\nreturn store.list('a')", set()) == []


def test_a_command_the_requirements_name_must_be_run() -> None:
    from bdev.specfirst.fill.effects import commands_not_run, named_commands

    said = [
        "GET /resolve?host=NAME runs `getent hosts NAME` and returns the addresses.",
        "Start it with `python app.py`.",  # how the service runs: not a handler's command
        "The `no-such-program-x` command is run too.",  # not installed here: not asked for
        "Names look like `getent` in the docs.",  # no word of running it
    ]
    assert named_commands(said) == ["getent"]
    assert named_commands(said[3:]) == []
    from_memory = "import socket\nreturn {'addresses': [socket.gethostbyname(host)]}"
    (problem,) = commands_not_run(from_memory, ["getent"])
    assert "run `getent`: call run_command(['getent', ...])" in problem
    ran = "out = run_command(['/usr/bin/getent', 'hosts', host])\nreturn out.stdout"
    assert commands_not_run(ran, ["getent"]) == []


def test_a_programs_exit_status_must_be_read_where_a_404_is_documented() -> None:
    from bdev.specfirst.fill.effects import exit_status_unread

    stdout_only = "out = run_command(['getent', 'hosts', host])\nreturn out.stdout.split()"
    (problem,) = exit_status_unread(stdout_only, documents_not_found=True)
    assert problem.startswith("line 1: the program's exit status is never read")
    assert exit_status_unread(stdout_only, documents_not_found=False) == []
    checked = (
        "out = run_command(['getent', 'hosts', host])\n"
        "if out.returncode != 0:\n    raise ApiError(404, 'unknown host')\n"
        "return out.stdout.split()"
    )
    assert exit_status_unread(checked, documents_not_found=True) == []
    assert exit_status_unread("return {'n': 1}", documents_not_found=True) == []


@pytest.mark.parametrize(
    ("code", "removed_line"),
    [
        ("with open(p, 'wb') as f:\n    f.write(b)\nos.remove(p)\nreturn {}", 3),
        ("Path(p).write_bytes(b)\nn = len(b)\nPath(p).unlink()\nreturn n", 3),
        ("body.file.save(p)\nos.unlink(p)", 2),
        # Replacing an older file first is fine; so is removing another file.
        ("if os.path.exists(p):\n    os.remove(p)\nPath(p).write_bytes(b)\nreturn {}", None),
        ("Path(p).write_bytes(b)\nos.remove(old)\nreturn {}", None),
    ],
)
def test_a_handler_must_not_remove_the_file_it_saved(code: str, removed_line: int | None) -> None:
    from bdev.specfirst.fill.effects import removes_what_it_saved

    problems = removes_what_it_saved(code)
    assert [p.split(":")[0] for p in problems] == ([f"line {removed_line}"] if removed_line else [])


def test_a_field_no_writer_stores_is_sent_back() -> None:
    from bdev.specfirst.fill.tables import fields_written, unstored_fields

    upload = 'row = store.create("images", {"file": data, "name": n})\nreturn {"id": row["id"]}'
    stored = fields_written(upload)
    assert stored == {"images": {"file", "name"}}
    thumbnail = (
        'image = store.require("images", id)\n'
        'w, h = image["width"], image.get("height")\n'
        'return resize(image["file"], w, h)'
    )
    assert [p.split(" (")[0] for p in unstored_fields(thumbnail, stored, {})] == [
        "line 2: rows of 'images' never hold 'width'",
        "line 2: rows of 'images' never hold 'height'",
    ]
    # The handler storing it itself, an unknown writer, or the row's id: nothing to say.
    assert unstored_fields(thumbnail + '\nstore.update("images", id, {"width": 1, "height": 2})',
                           stored, {}) == []  # fmt: skip
    assert unstored_fields(thumbnail, {"images": None}, {}) == []
    assert fields_written("store.create('images', body.model_dump())") == {"images": None}
    # A lookup by a field is a read of it.
    assert unstored_fields('return store.find("images", "code", c)', stored, {})
    assert unstored_fields('return store.list("images", filters={"name": n})', stored, {}) == []
    listing = 'rows = store.list("images")\nreturn [{"id": r["id"], "n": r["name"]} for r in rows]'
    assert unstored_fields(listing, stored, {}) == []
    assert unstored_fields(listing.replace('"name"', '"path"'), stored, {})


def test_a_stored_field_the_read_s_requirements_name_must_be_used() -> None:
    from bdev.specfirst.fill.mentions import stored_fields, unused_named_fields

    plan = plan_for("items.yaml")
    read = next(op for op in plan.operations if op.method == "get")
    fields = stored_fields(plan, read)
    assert {"name", "price"} <= fields
    said = [
        "POST /items stores a name and a price.",  # about another method: not this read's
        "Items with a price above 100 are never listed.",
    ]
    code = "return [r for r in store.list('items')]"
    (problem,) = unused_named_fields(code, read, said, fields)
    assert problem.startswith("the requirements name 'price'") and "never listed" in problem
    assert unused_named_fields(code + " if r['price'] <= 100", read, said, fields) == []
    assert "test row.get('price') for each row" not in problem
    (flagged,) = unused_named_fields(code, read, said, fields, flags={"price"})
    assert flagged.endswith(
        "'price' is true or false: test row.get('price') for each row, as the sentence says"
    )
    write = next(op for op in plan.operations if op.method == "post")
    assert unused_named_fields(code, write, said, fields) == []  # reads only


IMAGES_SPEC = """
openapi: 3.0.3
info: {title: Images, version: "1"}
paths:
  /images:
    post:
      operationId: uploadImage
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [data], properties: {data: {type: string}}}
      responses:
        "201":
          description: Stored.
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}, width: {type: integer}}}
  /images/{id}/size:
    get:
      operationId: imageSize
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: The size}, "404": {description: Unknown id}}
"""


def test_a_resource_table_the_model_writes_has_known_fields(tmp_path: Path) -> None:
    spec = tmp_path / "images.yaml"
    spec.write_text(IMAGES_SPEC)
    plan = build_plan(load_spec(spec), "images.yaml")
    assert "images" in plan.resources  # inferred, but a model slot writes its rows
    out = tmp_path / "service"
    generate(plan, Options(framework="fastapi", allowed=MINIMAL), out)
    upload, size = slots_for(plan)
    made = "row = store.create('images', {'data': body.data})\nreturn {'id': row['id']}"
    assert SlotFiller(plan, out, Recording([f"```python\n{made}\n```"])).fill(upload).status == (
        "implemented"
    )
    wrong = "row = store.require('images', id)\nreturn {'width': row['width']}"
    right = "row = store.require('images', id)\nreturn {'bytes': len(row['data'])}"
    model = Recording([f"```python\n{wrong}\n```", f"```python\n{right}\n```"])
    report = SlotFiller(plan, out, model).fill(size)
    assert (report.status, report.attempts) == ("implemented", 2)
    assert "rows of 'images' never hold 'width'" in model.seen[1][-1].content


def test_a_listing_of_an_unwritten_table_is_pointed_at_the_upload_folder() -> None:
    from bdev.specfirst.fill.tables import folders_written, unfilled_reads

    upload = (
        "path = safe_join(os.environ['UPLOAD_DIR'], body.file.filename)\n"
        "Path(path).write_bytes(body.file.content)\nreturn {}"
    )
    assert folders_written(upload) == {"UPLOAD_DIR"}
    assert folders_written("return os.environ['UPLOAD_DIR']") == set()  # reads only
    (problem,) = unfilled_reads("return store.list('files')", set(), folders_written(upload))
    assert "keep the data as files in Path(os.environ['UPLOAD_DIR']): read the folder" in problem
    assert "sorted(Path(os.environ['UPLOAD_DIR']).iterdir())" in problem


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        ("name = body.file.filename\nif not name.isalnum():\n    raise ApiError(400, 'x')", True),
        ("if not name.isalnum():\n    raise ApiError(400, 'x')", False),  # a user's name
        ("file_name = body.file.filename\nok = file_name.isalpha()", True),
        ("if not body.file.filename.isalnum():\n    raise ApiError(400, 'x')", True),
        ("if not code.isdigit():\n    raise ApiError(400, 'x')", False),
    ],
)  # fmt: skip
def test_a_file_name_checked_by_character_class_is_sent_back(code: str, refused: bool) -> None:
    from bdev.specfirst.fill.filenames import refuses_every_file_name

    problems = refuses_every_file_name(code)
    assert bool(problems) is refused
    if refused:
        assert "is False for every file name with an extension" in problems[0]


def test_a_download_the_requirements_call_an_attachment_sets_the_header() -> None:
    from bdev.specfirst.fill.effects import attachment_missing

    said = ["GET /files/{name} downloads one file as an attachment (browsers save it)."]
    (problem,) = attachment_missing("return path.read_bytes()", said)
    assert "Content-Disposition" in problem
    header = "return Reply(b, headers={'Content-Disposition': f'attachment; filename={name}'})"
    assert attachment_missing(header, said) == []
    assert attachment_missing("return path.read_bytes()", ["GET /files/{name} shows it."]) == []


def test_on_the_last_attempt_a_requirement_heuristic_no_longer_refuses(tmp_path: Path) -> None:
    plan, out = _counter_service(tmp_path)
    record, read = slots_for(plan)
    assert SlotFiller(plan, out, Recording([RECORD])).fill(record).status == "implemented"
    copied = RECORD.replace("record_visit", "get_visits")
    said: list[str] = []
    report = SlotFiller(plan, out, Recording([copied] * 3), progress=said.append).fill(read)
    # Refused twice; the third copy is kept (a body beats a 501), and the reason is said.
    assert (report.status, report.attempts) == ("implemented", 3)
    assert any("kept despite: this is the code of record_visit" in s for s in said)
    # A hard check (here: a shell string) still refuses on the last attempt.
    shell = (
        "```python\ndef get_visits(*, name: str, store: Store) -> Any:\n"
        "    import os\n    os.system('ls ' + name)\n    return {}\n```"
    )
    assert SlotFiller(plan, out, Recording([shell] * 3)).fill(read).status != "implemented"
    # When the last answer fails a hard check, an earlier one refused by the heuristics
    # alone is kept instead.
    said.clear()
    model = Recording([copied, shell, shell])
    report = SlotFiller(plan, out, model, progress=said.append).fill(read)
    assert (report.status, report.attempts) == ("implemented", 3)
    assert "fill get_visits: kept an earlier answer" in said
    assert "os.system" not in (out / "app" / "handlers.py").read_text()
    # So when it fails the lint (an undefined name), after the heuristics had passed it.
    undefined = copied.replace("return", "return id_ or", 1)
    said.clear()
    report = SlotFiller(
        plan, out, Recording([copied, undefined, undefined]), progress=said.append
    ).fill(read)
    assert report.status == "implemented" and "fill get_visits: kept an earlier answer" in said


def test_a_command_run_from_a_named_list_counts_as_run() -> None:
    from bdev.specfirst.fill.effects import commands_not_run

    code = "command = ['getent', 'hosts', host]\nreturn run_command(command).stdout"
    assert commands_not_run(code, ["getent"]) == []


def test_a_get_by_a_field_the_rows_hold_is_sent_to_find() -> None:
    from bdev.specfirst.fill.tables import lookups_by_field

    holds = {"users": {"username", "password"}}
    (problem,) = lookups_by_field("return store.get('users', username)", holds, {})
    assert problem.endswith("store.find('users', 'username', username)")
    assert lookups_by_field("return store.get('users', user_id)", holds, {}) == []
    assert lookups_by_field("return store.get('links', code)", holds, {}) == []
    # The caller's claim is an id, whatever the model named it.
    claim = "username = principal['sub']\nreturn store.get('users', username)"
    assert lookups_by_field(claim, holds, {}) == []


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (
            "from subprocess import CompletedProcess\ntry:\n    out = run_command(['x'])\n"
            "except CompletedProcess as e:\n    raise ApiError(404, 'no') from e\nreturn {}",
            "line 4: CompletedProcess is not an exception, so `except` cannot catch it (it "
            "fails with a TypeError when anything is raised); run_command() raises nothing",
        ),
        (
            "import subprocess\ntry:\n    x = 1\nexcept (ValueError, subprocess.run):\n    pass",
            "line 4: subprocess.run is not an exception, so `except` cannot catch it; name",
        ),
        ("try:\n    x = 1\nexcept len:\n    pass", "line 3: len is not an exception"),
        # The body's own import taken out (it is added back after the checks).
        ("try:\n    x = 1\nexcept CompletedProcess:\n    pass", "line 3: CompletedProcess is"),
        # Exceptions, and names that cannot be known without importing, pass.
        ("import subprocess\ntry:\n    x = 1\nexcept subprocess.TimeoutExpired:\n    pass", None),
        ("try:\n    x = 1\nexcept (KeyError, ApiError, zipfile.BadZipFile):\n    pass", None),
        ("from somepkg import Thing\ntry:\n    x = 1\nexcept Thing:\n    pass", None),
    ],
)
def test_an_except_clause_must_name_an_exception(code: str, problem: str | None) -> None:
    from bdev.specfirst.fill.catches import non_exceptions_caught

    found = non_exceptions_caught(code)
    assert len(found) == (1 if problem else 0), found
    assert problem is None or found[0].startswith(problem), found


DROP = Path(__file__).parents[2] / "benchmarks" / "heldout" / "01-file-drop"


def test_a_read_of_data_kept_only_in_a_folder_is_shown_the_folder_not_the_store(
    tmp_path: Path,
) -> None:
    describe = (DROP / "describe.md").read_text()
    plan = build_plan(load_spec(DROP / "openapi.yaml"), "openapi.yaml", describe=describe)
    out = tmp_path / "service"
    generate(plan, Options(framework="fastapi", allowed=MINIMAL), out)
    slots = {s.operation_id: s for s in slots_for(plan)}
    listing = (
        "folder = Path(os.environ['UPLOAD_DIR'])\n"
        "return [{'name': p.name, 'size': p.stat().st_size} for p in sorted(folder.iterdir())]"
    )
    before = Recording([f"```python\n{listing}\n```"])
    SlotFiller(plan, out, before).fill(slots["list_files"])  # the writer is not written yet
    assert "store.list(" in before.seen[0][-1].content and "Data:" not in before.seen[0][-1].content
    save = (
        "path = safe_join(os.environ['UPLOAD_DIR'], body.file.filename)\n"
        "path.write_bytes(body.file.content)\nreturn {}"
    )
    upload = SlotFiller(plan, out, Recording([f"```python\n{save}\n```"]))
    assert upload.fill(slots["upload_file"]).status == "implemented"
    from_store = "rows = store.list('files')\nreturn sorted(rows, key=lambda r: r['name'])"
    after = Recording([f"```python\n{from_store}\n```"])
    assert SlotFiller(plan, out, after).fill(slots["list_files"]).status == "implemented"
    prompt = after.seen[0][-1].content
    assert 'Data: the other handlers save it as files in os.environ["UPLOAD_DIR"]' in prompt
    assert "store." not in prompt.split("Operation:")[0]  # the store's helpers are left out
    # Listed anyway, the store becomes the folder's files (the store holds nothing).
    written = (out / "app" / "handlers.py").read_text()
    assert "sorted(Path(os.environ['UPLOAD_DIR']).iterdir()) if p.is_file()" in written


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (
            "row = store.get('pages', name)\nif row is None:\n    row = store.create('pages', "
            "{'id': name, 'visits': 1})\nelse:\n    row['visits'] += 1\n"
            "    store.replace('pages', name, row)\nreturn row",
            5,
        ),
        (
            "row = store.require('links', code)\n"
            "store.update('links', code, {'visits': row.get('visits', 0) + 1})\nreturn row",
            2,
        ),
        # One step, or nothing saved back: nothing to say.
        ("n = store.increment('pages', name, 'visits')\nreturn {'visits': n}", None),
        ("row = store.get('pages', name)\nreturn {'next': row['visits'] + 1}", None),
    ],
)
def test_a_count_read_changed_and_saved_back_is_sent_to_increment(
    code: str, line: int | None
) -> None:
    from bdev.specfirst.fill.counters import lost_updates

    problems = lost_updates(code)
    assert [p.split(":")[0] for p in problems] == ([f"line {line}"] if line else [])
    if line:
        assert "store.increment(" in problems[0] and "lose one change" in problems[0]


def test_a_get_that_writes_is_sent_back_unless_its_requirements_say_it_records() -> None:
    from bdev.specfirst.fill.counters import read_changes_data

    writes = "row = store.get('pages', name)\nstore.replace('pages', name, row)\nreturn row"
    quiet = ['GET /pages/{name} returns `{"page": name, "visits": <count>}`.']
    (problem,) = read_changes_data(writes, "get", quiet)
    assert problem.startswith("line 2: a GET only reads") and "store.replace()" in problem
    counting = ["GET /{code} redirects (302) to the stored URL and counts one visit."]
    assert read_changes_data(writes, "get", counting) == []
    assert read_changes_data(writes, "post", quiet) == []
    # A sentence about another operation says nothing of this one.
    other = ["GET /{code} redirects and counts one visit; GET /links/{code}/stats answers it."]
    assert read_changes_data(writes, "get", other, "/{code}") == []
    assert read_changes_data(writes, "get", ["GET /{code} counts one visit."], "/links/{code}")
    assert read_changes_data("return store.get('pages', name)", "get", quiet) == []


def test_a_named_command_is_run_here_and_what_it_prints_is_shown(tmp_path: Path) -> None:
    from bdev.specfirst.fill.samples import command_samples

    spec = tmp_path / "net.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Net, version: '1'}\npaths:\n  /resolve:\n    get:\n"
        "      operationId: resolve\n      parameters:\n        - {name: host, in: query, "
        "required: true, schema: {type: string}}\n      responses: {'200': {description: ok}}\n"
    )
    (op,) = build_plan(load_spec(spec), "net.yaml").operations
    said = ["GET /resolve?host=NAME runs `getent hosts NAME` and returns its addresses."]
    (sample,) = command_samples(said, op)
    assert sample.startswith("`getent hosts localhost` exits 0 and prints '127.0.0.1")
    assert sample.endswith("`getent hosts no-such-name-bdev` exits 2 and prints nothing")
    # Nothing to show: a file placeholder, a program not installed, a failing run.
    assert command_samples(["GET /x runs `unzip -l FILE` on the upload."], op) == []
    assert command_samples(["GET /x runs `no-such-program-x NAME` (e.g. a)."], op) == []
    assert command_samples(["GET /x prints what `unzip -l` prints for it."], op) == []


@pytest.mark.parametrize(
    ("code", "said", "refused"),
    [
        ("return sorted(rows, key=lambda r: r['id'], reverse=True)", "a list ordered by id.", True),
        ("rows.sort(key=lambda r: r['name'])\nrows.reverse()\nreturn rows", "sorted by name", True),
        ("return rows[::-1]", "Results are ordered by id.", True),
        ("return sorted(rows, key=lambda r: r['id'])", "a list ordered by id.", False),
        (
            "return sorted(rows, key=lambda r: r['at'], reverse=True)",
            "sorted by date, newest first",
            False,
        ),
        ("return sorted(rows, reverse=True)", "returns the rows.", False),  # no order asked
    ],
)
def test_a_listing_reversed_against_its_requirements_is_sent_back(
    code: str, said: str, refused: bool
) -> None:
    from bdev.specfirst.fill.order import reversed_order

    problems = reversed_order(code, [said])
    assert bool(problems) is refused, problems
    if refused:
        assert "requirements ask for it ascending" in problems[0]


def test_a_page_must_show_what_its_requirements_say_it_shows(tmp_path: Path) -> None:
    from bdev.specfirst.fill.mentions import unshown_fields

    spec = tmp_path / "pages.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: P, version: '1'}\npaths:\n  /u/{username}:\n    get:\n"
        "      operationId: page\n      parameters:\n        - {name: username, in: path, "
        "required: true, schema: {type: string}}\n      responses:\n        '200':\n"
        "          description: A page.\n          content: {text/html: {schema: {type: string}}}\n"
    )
    (op,) = build_plan(load_spec(spec), "pages.yaml").operations
    said = ["GET /u/{username} is an HTML page showing the username and the bio."]
    lookup = "user = store.find('users', 'username', username)\nbio = user.get('bio', '')\n"
    (problem,) = unshown_fields(lookup + "return html.escape(bio)", op, said, {"bio"})
    assert problem.startswith("the requirements say the page shows 'username'")
    both = lookup + "page = f'<h1>{html.escape(username)}</h1>'\nreturn page + html.escape(bio)"
    assert unshown_fields(both, op, said, {"bio"}) == []
    from_row = lookup + "return html.escape(user['username']) + html.escape(bio)"
    assert unshown_fields(from_row, op, said, {"bio"}) == []


def test_library_calls_are_named_by_the_requirements_words_and_the_allowed_packages() -> None:
    from bdev.specfirst.fill.idioms import idioms_for

    zipped = ["POST /archives takes a zip and answers its entries in order."]
    (zip_fact,) = idioms_for(zipped, allowed=set())  # the standard library is always there
    assert ".namelist() gives the member names in order" in zip_fact
    images = ["GET /images/{id}/thumbnail returns a PNG thumbnail, never enlarged."]
    assert idioms_for(images, allowed={"flask"}) == []  # Pillow not allowed: not named
    (image_fact,) = idioms_for(images, allowed={"PIL"})
    assert "img.thumbnail((w, h))" in image_fact
    assert idioms_for(["GET /notes lists the notes."], allowed=None) == []
    made = ["POST /links answers a short code for the URL."]
    (code_fact,) = idioms_for(made, allowed=set(), method="post")
    assert code_fact.startswith("secrets.token_urlsafe(6) makes a short random code")
    assert idioms_for(made, allowed=set(), method="get") == []  # only where one is made


def test_a_number_where_increment_takes_a_field_name_is_sent_back() -> None:
    (problem,) = forbidden("code = store.increment('links', 'code', 1)\nreturn {'code': code}")
    assert "the third argument is the name of the field to count ('visits'), not 1" in problem
    assert forbidden("return store.increment('links', code, 'visits', 1)") == []


def test_a_read_answering_a_stored_field_as_a_constant_is_sent_back() -> None:
    from bdev.specfirst.fill.mentions import constant_fields

    plan = plan_for("items.yaml")
    read = next(op for op in plan.operations if op.method == "get")
    fixed = "row = store.require('items', item_id)\nreturn {'name': row['name'], 'price': 0}"
    (problem,) = constant_fields(fixed, read, {"name", "price"})
    assert problem.startswith("'price' is answered as 0 on every path")
    # A constant on one path only (a default for a missing row) is a choice, not a slip.
    default = "row = store.get('items', item_id)\nif row is None:\n    return {'price': 0}\n"
    assert constant_fields(default + "return {'price': row['price']}", read, {"price"}) == []


def test_a_lookup_by_a_dict_where_the_id_goes_is_sent_back() -> None:
    (problem,) = forbidden("return store.get('users', {'name': name})")
    assert "takes the row's id as one value, not {'name': name}" in problem
    assert "store.find(table, field, value)" in problem
