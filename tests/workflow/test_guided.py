"""Program-led rounds: bdev picks the file, the model answers with its text, bdev checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bdev.backend.analyze import analyze
from bdev.backend.audit.options import AuditOptions
from bdev.config import GatesConfig
from bdev.runtime.limits import RunStatus
from bdev.runtime.session import find_session, read_events
from bdev.workflow.backend import WorkflowOptions, run_backend_workflow
from bdev.workflow.guided import GuidedRun
from bdev.workflow.locate import locate
from support.runtime import make_runner, write_agent

HEALTH = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    '@app.get("/health")\ndef health() -> dict[str, str]:\n    return {"status": "ok"}\n'
)


def fenced(code: str) -> dict[str, str]:
    return {"content": f"Here it is:\n```python\n{code}```\n"}


def test_locate_prefers_a_named_file_then_route_owners_then_the_entry(workspace: Path) -> None:
    assert locate("create api/app.py with GET /health", workspace, None).path == "api/app.py"
    assert locate("add GET /health", workspace, None).path == "app.py"  # a new service
    (workspace / "main.py").write_text(
        "from fastapi import FastAPI\nfrom orders import router\n\napp = FastAPI()\n"
        "app.include_router(router)\n"
    )
    (workspace / "orders.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/orders")\ndef orders() -> list[int]:\n    return []\n'
    )
    (workspace / "requirements.txt").write_text("fastapi\n")
    facts = analyze(workspace)
    target = locate("paginate GET /orders with limit and offset", workspace, facts)
    assert (target.path, target.reason) == ("orders.py", "owns the routes the request names")
    assert locate("add request logging", workspace, facts).path == "main.py"


def _guided(workspace: Path, turns: list[dict]) -> tuple[GuidedRun, object]:
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    runner = make_runner(workspace, turns)
    return GuidedRun(runner), runner.registry.get("dev")


def test_a_checked_answer_is_written_and_bad_ones_go_back(workspace: Path) -> None:
    turns = [
        {"content": "I created app.py for you."},  # no code at all
        fenced("def health(:\n    pass\n"),  # does not parse
        fenced(HEALTH.replace("FastAPI()", "FastAPi()")),  # an undefined name
    ]
    guided, definition = _guided(workspace, [*turns, fenced(HEALTH)])
    guided.target = None
    session_id, result = guided.start("create app.py with GET /health", definition)
    assert result.status is RunStatus.FORMAT_ERRORS and result.steps == 3
    assert not (workspace / "app.py").exists()  # nothing half-checked reached the workspace
    events = read_events(find_session(workspace, session_id))
    errors = [e["errors"] for e in events if e["type"] == "format_error"]
    assert "no ```python block" in errors[0][0] and "Line 1" in errors[1][0]
    assert "FastAPi" in errors[2][0]

    # The next round (the workflow's feedback) gets the fourth answer: it passes.
    _, again = guided.resume(session_id, "tests failed: GET /health returned 404")
    assert again.status is RunStatus.COMPLETED
    assert (workspace / "app.py").read_text() == HEALTH
    prompts = [
        e["message"]["content"]
        for e in read_events(find_session(workspace, session_id))
        if e["type"] == "message" and e["message"]["role"] == "user"
    ]
    assert "GET /health returned 404" in prompts[-1]


def test_an_unchanged_file_is_not_a_change(workspace: Path) -> None:
    (workspace / "app.py").write_text(HEALTH)
    guided, definition = _guided(workspace, [fenced(HEALTH)] * 3)
    _, result = guided.start("add GET /version to app.py", definition)
    assert result.status is RunStatus.FORMAT_ERRORS
    assert "nothing changed" in result.detail


def test_the_readme_job_program_led_ends_with_tests_run(workspace: Path) -> None:
    """The workflow drives the guided round as it drives the loop: the model writes only
    app.py's text; bdev writes and runs the tests; the gates measure."""
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    turns = [
        fenced(HEALTH),
        {"content": '```python\nassert response.json() == {"status": "ok"}\n```'},  # the slot
    ]
    runner = make_runner(workspace, turns)
    slow_steps = {"services", "migrations", "conformance", "probes", "load", "security"}
    options = WorkflowOptions(
        gates=GatesConfig(p95_max_ms=None, openapi=False, max_rounds=1),
        audit=AuditOptions(python=sys.executable, skip=frozenset(slow_steps)),
    )
    task = 'create app.py with a FastAPI GET /health that returns {"status": "ok"}'
    result = run_backend_workflow(runner, task, runner.registry.get("dev"), options, guided=True)
    assert (workspace / "app.py").read_text() == HEALTH
    gates = {g.name: g for g in result.gates}
    assert gates["tests"].passed and gates["tests"].measured["passed"] == 2
    assert gates["changes"].passed and gates["health"].passed
    delivery = json.loads((result.report_dir / "delivery.json").read_text())
    assert delivery["changes"]["added"] == ["app.py"]
    start = read_events(find_session(workspace, result.session_id))[0]
    assert start["type"] == "session_start" and start["route"] == "program-led"


ORDERS = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\nORDERS = [1, 2, 3]\n\n\n"
    '@app.get("/orders")\ndef list_orders() -> list[int]:\n    return ORDERS\n\n\n'
    'if __name__ == "__main__":\n    import uvicorn\n\n    uvicorn.run(app)\n'
)


def _orders_service(workspace: Path) -> object:
    (workspace / "app.py").write_text(ORDERS)
    (workspace / "requirements.txt").write_text("fastapi\n")
    return analyze(workspace)


def test_a_named_existing_route_is_a_handler_slot_and_a_new_one_an_append_slot(
    workspace: Path,
) -> None:
    facts = _orders_service(workspace)
    target = locate("paginate `GET /orders` and add GET /orders/{id}", workspace, facts)
    assert [(s.kind, s.function, s.route) for s in target.slots] == [
        ("function", "list_orders", "GET /orders"),
        ("append", "", "GET /orders/{}"),
    ]
    assert [s.kind for s in locate("tidy app.py", workspace, facts).slots] == ["file"]


def test_handler_and_new_route_answers_are_spliced_in_with_their_imports(
    workspace: Path,
) -> None:
    facts = _orders_service(workspace)
    handler = (
        "from fastapi import Query\n\n"
        '@app.get("/orders")\ndef list_orders(limit: int = Query(10, ge=1)) -> list[int]:\n'
        "    return ORDERS[:limit]\n"
    )
    new_route = (
        "from __future__ import annotations\n"
        "from fastapi import HTTPException\nfrom app import ORDERS, app\n\n"
        '@app.get("/orders/{order_id}")\ndef get_order(order_id: int) -> int:\n'
        "    if order_id not in ORDERS:\n        raise HTTPException(404)\n"
        "    return order_id\n"
    )
    guided, definition = _guided(workspace, [fenced(handler), fenced(new_route)])
    guided.facts = facts
    _, result = guided.start("paginate GET /orders and add GET /orders/{id}", definition)
    assert result.status is RunStatus.COMPLETED and result.steps == 2
    text = (workspace / "app.py").read_text()
    assert "from fastapi import Query" in text and "from fastapi import HTTPException" in text
    assert "return ORDERS[:limit]" in text and "return ORDERS\n" not in text
    # The new route sits before the __main__ block, which is kept.
    assert text.index("def get_order") < text.index('if __name__ == "__main__":')
    assert text.count("def list_orders") == 1
    assert "from app import" not in text  # the module's import of itself is dropped
    assert "__future__" not in text  # it would land below other imports and not compile


def test_a_new_route_named_like_an_existing_handler_is_added_under_a_name_of_its_own(
    workspace: Path,
) -> None:
    facts = _orders_service(workspace)
    reused = (
        "from fastapi import HTTPException\n\n"
        '@app.get("/orders/{order_id}")\ndef list_orders(order_id: int) -> int:\n'
        "    if order_id not in ORDERS:\n        raise HTTPException(404)\n"
        "    return order_id\n"
    )
    guided, definition = _guided(workspace, [fenced(reused)])
    guided.facts = facts
    _, result = guided.start("add GET /orders/{id}", definition)
    assert result.status is RunStatus.COMPLETED and result.steps == 1
    text = (workspace / "app.py").read_text()
    assert text.count("def list_orders(") == 1 and "def get_orders(order_id: int)" in text


def test_a_handler_answer_without_the_handler_goes_back(workspace: Path) -> None:
    facts = _orders_service(workspace)
    wrong = '@app.get("/orders")\ndef orders() -> list[int]:\n    return []\n'
    guided, definition = _guided(workspace, [fenced(wrong)] * 3)
    guided.facts = facts
    _, result = guided.start("paginate GET /orders", definition)
    assert result.status is RunStatus.FORMAT_ERRORS
    assert "must define the function `list_orders`" in result.detail
    assert (workspace / "app.py").read_text() == ORDERS


def test_an_answer_defining_the_handler_twice_goes_back(workspace: Path) -> None:
    facts = _orders_service(workspace)
    body = "def list_orders() -> list[int]:\n    return ORDERS[:10]\n"
    twice = f'{body}\n\n@app.get("/orders")\n{body}'
    once = f'@app.get("/orders")\n{body}'
    guided, definition = _guided(workspace, [fenced(twice), fenced(once)])
    guided.facts = facts
    _, result = guided.start("paginate GET /orders", definition)
    assert result.status is RunStatus.COMPLETED and result.steps == 2
    text = (workspace / "app.py").read_text()
    assert text.count("def list_orders") == 1 and "ORDERS[:10]" in text


def test_a_handler_answered_without_its_decorator_keeps_its_route(workspace: Path) -> None:
    facts = _orders_service(workspace)
    bare = "def list_orders() -> list[int]:\n    return ORDERS[:10]\n"
    guided, definition = _guided(workspace, [fenced(bare)])
    guided.facts = facts
    _, result = guided.start("paginate GET /orders", definition)
    assert result.status is RunStatus.COMPLETED
    text = (workspace / "app.py").read_text()
    assert '@app.get("/orders")\ndef list_orders() -> list[int]:\n    return ORDERS[:10]' in text


def test_a_request_naming_no_file_or_route_goes_to_the_file_with_its_words(
    workspace: Path,
) -> None:
    (workspace / "app.py").write_text(
        "from fastapi import FastAPI\nfrom billing import total\n\napp = FastAPI()\n\n\n"
        '@app.get("/invoices/{invoice_id}")\ndef invoice(invoice_id: int) -> int:\n'
        "    return total(invoice_id)\n"
    )
    (workspace / "billing.py").write_text(
        "def discount_of(subtotal_cents: int, percent: int) -> int:\n"
        "    # rounds the discount to the nearest cent\n"
        "    return subtotal_cents * percent // 100\n\n\n"
        "def total(invoice_id: int) -> int:\n    return invoice_id\n"
    )
    (workspace / "requirements.txt").write_text("fastapi\n")
    task = "The discount is rounded down; round it to the nearest cent, halves up."
    target = locate(task, workspace, analyze(workspace))
    assert (target.path, target.reason) == ("billing.py", "shares the most words with the request")
    # No word that tells the files apart: the entry module.
    assert locate("make it faster", workspace, analyze(workspace)).path == "app.py"


def test_a_requested_migration_is_the_next_numbered_file_checked_on_sqlite(
    workspace: Path,
) -> None:
    (workspace / "migrations").mkdir()
    (workspace / "migrations" / "0001_create_notes.sql").write_text(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"
    )
    (workspace / "app.py").write_text(ORDERS)
    (workspace / "requirements.txt").write_text("fastapi\n")
    task = "Notes need a pinned flag: add a `pinned` column through a new migration."
    target = locate(task, workspace, analyze(workspace))
    migration = target.slots[0]
    assert (migration.kind, migration.file) == (
        "migration",
        "migrations/0002_pinned.sql",
    )
    words_only = locate(task.replace("`", ""), workspace, analyze(workspace)).slots[0]
    assert words_only.file == "migrations/0002_notes_pinned_flag_column.sql"
    wrong = {"content": "```sql\nALTER TABLE note ADD COLUMN pinned INTEGER;\n```"}
    right = {"content": "```sql\nALTER TABLE notes ADD COLUMN pinned INTEGER DEFAULT 0;\n```"}
    guided, definition = _guided(workspace, [wrong, right, fenced(ORDERS + "\n# pinned\n")])
    guided.facts = analyze(workspace)
    session_id, result = guided.start(task, definition)
    assert result.status is RunStatus.COMPLETED, result.detail
    written = (workspace / migration.file).read_text()
    assert written == "ALTER TABLE notes ADD COLUMN pinned INTEGER DEFAULT 0;\n"
    errors = [
        e["errors"]
        for e in read_events(find_session(workspace, session_id))
        if e["type"] == "format_error"
    ]
    assert "no such table: note" in errors[0][0]


def test_a_whole_module_answer_to_a_handler_slot_keeps_only_what_is_new(
    workspace: Path,
) -> None:
    facts = _orders_service(workspace)
    whole = ORDERS.replace(
        "def list_orders() -> list[int]:\n    return ORDERS\n",
        "def list_orders(limit: int = 10) -> list[int]:\n    return clip(ORDERS, limit)\n\n\n"
        "def clip(items: list[int], limit: int) -> list[int]:\n    return items[:limit]\n",
    )
    guided, definition = _guided(workspace, [fenced(whole)])
    guided.facts = facts
    _, result = guided.start("paginate GET /orders", definition)
    assert result.status is RunStatus.COMPLETED, result.detail
    text = (workspace / "app.py").read_text()
    # One app, one ORDERS, one __main__ block: only the handler and the new helper came in.
    assert text.count("app = FastAPI()") == 1 and text.count("ORDERS = [") == 1
    assert text.count('if __name__ == "__main__":') == 1
    assert "return clip(ORDERS, limit)" in text and "def clip(" in text


def test_the_requests_expectations_are_written_first_and_checked_in_the_first_round(
    workspace: Path,
) -> None:
    _orders_service(workspace)
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    handler = '@app.get("/orders")\ndef list_orders() -> list[int]:\n    return {}\n'
    turns = [
        {"content": "```python\nassert data == [3, 2, 1]\n```"},  # asked before any change
        fenced(handler.format("ORDERS[:2]")),  # breaks nothing the service tested, but...
        fenced(handler.format("sorted(ORDERS, reverse=True)")),  # what the request states
    ]
    runner = make_runner(workspace, turns)
    slow_steps = {"services", "migrations", "conformance", "probes", "load", "security"}
    options = WorkflowOptions(
        gates=GatesConfig(p95_max_ms=None, openapi=False, health=False, max_rounds=1),
        audit=AuditOptions(python=sys.executable, skip=frozenset(slow_steps)),
    )
    task = "GET /orders must list the orders newest first (highest number first)"
    result = run_backend_workflow(runner, task, runner.registry.get("dev"), options, guided=True)
    assert "return sorted(ORDERS, reverse=True)" in (workspace / "app.py").read_text()
    events = read_events(find_session(workspace, result.session_id))
    checks = [e for e in events if e["type"] == "check"]
    assert [c["failing"] for c in checks] == [
        ["tests/test_api_generated::test_get_orders_matches_the_request"],
        [],
    ]
    written = (workspace / "tests" / "test_api_generated.py").read_text()
    assert "assert data == [3, 2, 1]" in written
    tests = next(g for g in result.gates if g.name == "tests")
    assert tests.passed and tests.measured["passed"] >= 2  # bdev's checks and the request's


def test_a_route_added_in_one_round_is_a_handler_to_change_in_the_next(workspace: Path) -> None:
    facts = _orders_service(workspace)
    new_route = '@app.get("/orders/{order_id}")\ndef get_order(order_id: int) -> int:\n'
    first = new_route + "    return order_id\n"
    second = new_route + "    if order_id not in ORDERS:\n        raise KeyError\n    return 1\n"
    guided, definition = _guided(workspace, [fenced(first), fenced(second)])
    guided.facts = facts
    session_id, _ = guided.start("add GET /orders/{id}", definition)
    assert [s.kind for s in guided.target.slots] == ["append"]
    guided.resume(session_id, "GET /orders/9 answered 200, not 404")
    assert [(s.kind, s.function) for s in guided.target.slots] == [("function", "get_order")]
    text = (workspace / "app.py").read_text()
    assert text.count("def get_order") == 1 and "raise KeyError" in text


def test_a_later_round_may_rewrite_a_helper_the_run_added(workspace: Path) -> None:
    facts = _orders_service(workspace)
    route = '@app.get("/orders/{order_id}")\ndef get_order(order_id: int) -> int:\n'
    first = "def allowed(order_id):\n    return False\n\n\n" + route
    first += "    if not allowed(order_id):\n        raise PermissionError\n    return order_id\n"
    fixed = "def allowed(order_id):\n    return order_id in ORDERS\n\n\n" + route
    fixed += "    if not allowed(order_id):\n        raise KeyError\n    return order_id\n"
    # The service's own `list_orders` is not the run's: an answer's copy of it is ignored.
    fixed += '\n\n@app.get("/orders")\ndef list_orders() -> list[int]:\n    return []\n'
    guided, definition = _guided(workspace, [fenced(first), fenced(fixed)])
    guided.facts = facts
    session_id, _ = guided.start("add GET /orders/{id}", definition)
    guided.resume(session_id, "GET /orders/3 answered 500, not 200")
    text = (workspace / "app.py").read_text()
    assert text.count("def allowed") == 1 and "return order_id in ORDERS" in text
    assert "return False" not in text and "raise KeyError" in text
    assert "return []" not in text  # the service's handler stays as the request found it
    prompts = [
        e["message"]["content"]
        for e in read_events(find_session(workspace, session_id))
        if e["type"] == "message" and e["message"]["role"] == "user"
    ]
    assert "This change added `allowed` earlier" in prompts[-1]
    assert "added `allowed`" not in prompts[0]


LIBRARY = """from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

app = FastAPI()
bearer = HTTPBearer(auto_error=False)


def member_id(cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> int:
    if cred is None:
        raise HTTPException(401)
    return 1


@app.post("/books/{book_id}/borrow")
def borrow(book_id: int, member: Annotated[int, Depends(member_id)]) -> dict:
    return {}
"""


def test_a_new_route_is_told_how_the_file_s_routes_take_their_caller(workspace: Path) -> None:
    (workspace / "app.py").write_text(LIBRARY)
    (workspace / "requirements.txt").write_text("fastapi\n")
    facts = analyze(workspace)
    loans = (
        '@app.get("/me/loans")\n'
        "def my_loans(member: Annotated[int, Depends(member_id)]) -> list[int]:\n"
        "    return [member]\n"
    )
    guided, definition = _guided(workspace, [fenced(loans)])
    guided.facts = facts
    session_id, result = guided.start("add GET /me/loans for the calling member", definition)
    assert result.status is RunStatus.COMPLETED
    events = read_events(find_session(workspace, session_id))
    prompts = [e["message"]["content"] for e in events
               if e["type"] == "message" and e["message"]["role"] == "user"]  # fmt: skip
    assert "as `borrow` does: `member: Annotated[int, Depends(member_id)]`" in prompts[0]


PRODUCTS = (
    "import sqlite3\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
    'CONN = sqlite3.connect(":memory:", check_same_thread=False)\n\n\n'
    '@app.get("/products")\ndef products(vendor: str) -> list[str]:\n'
    "    sql = f\"SELECT sku FROM products WHERE vendor = '{vendor}' ORDER BY sku\"\n"
    "    return [r[0] for r in CONN.execute(sql)]\n"
)


def test_an_injection_fix_answered_with_the_same_f_string_gets_parameters(
    workspace: Path,
) -> None:
    # A small model asked to close an injection hands the f-string back unchanged.
    (workspace / "app.py").write_text(PRODUCTS)
    (workspace / "requirements.txt").write_text("fastapi\n")
    handler = PRODUCTS[PRODUCTS.index("@app.get") :]
    guided, definition = _guided(workspace, [fenced(handler)])
    guided.facts = analyze(workspace)
    _, result = guided.start("fix the SQL injection in GET /products", definition)
    assert result.status is RunStatus.COMPLETED and result.steps == 1
    fixed = (workspace / "app.py").read_text()
    assert "vendor = :vendor" in fixed and "CONN.execute(sql, sql_params)" in fixed


def test_a_statement_the_module_holds_is_not_added_again_however_it_is_quoted() -> None:
    import ast

    from bdev.workflow.splice import add_code

    source = 'from flask import Flask\n\napp = Flask(__name__)\napp.config["LIMIT"] = 1024 * 1024\n'
    # Change task 06 at 6852ace: the module's own line, sent back with other quotes, was
    # added once per round.
    code = "app.config['LIMIT'] = 1024*1024\n\n\n@app.get('/x')\ndef x():\n    return ''\n"
    new = add_code(source, ast.parse(code), code, "app")
    assert new.count("LIMIT") == 1 and "def x():" in new
