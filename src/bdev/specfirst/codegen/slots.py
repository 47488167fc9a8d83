"""Slots: the handlers whose body the model writes, and what it may call in them.

An operation the plan left without a kind (nothing mechanical to do) becomes a slot: a
function with the route's exact signature whose body raises `NotImplementedError` under a
marker comment, so the filler can find it and splice a body in.
"""

from __future__ import annotations

from pydantic import BaseModel

from bdev.specfirst.codegen.signatures import handler_signature
from bdev.specfirst.plan import Operation, ServicePlan

# What a slot body may use; named in the model's prompt.
HELPERS = (
    "store.create(table, doc) -> dict",
    "store.get(table, id) -> dict | None",
    "store.list(table, limit=None, offset=0, filters=None) -> list[dict] in id order"
    " (filters: {field: exact value})",
    "store.count(table, filters=None) -> int",
    "store.replace(table, id, doc) -> dict | None",
    "store.update(table, id, changes) -> dict | None",
    "store.delete(table, id) -> bool",
    "store.find(table, field, value) -> dict | None",
    "store.increment(table, id, field, by=1) -> new value (atomic counter; a missing row"
    " starts at 0)",
    "raise ApiError(status, message)",
    "hash_password(password) -> str",
    "verify_password(password, stored) -> bool",
    "create_token(subject, claims=None) -> str",
    "safe_join(base, *parts) -> Path (ApiError 400 outside base)",
    "run_command(args: list[str], timeout=10.0) -> CompletedProcess (.returncode: not 0 when"
    " it failed or found nothing; .stdout: its output as text)",
    "not_option(value) -> value (ApiError 400 when it starts with '-'; wrap request data"
    " passed as a program's argument)",
    "seconds_up() -> int (whole seconds since the service started)",
    "return Reply(content, headers={...}, cookies={...}) to also set headers or cookies",
)

# Names the skeleton defines for slot bodies: a model's own stand-in for one (an empty
# `def hash_password(): pass` "so the code runs") is dropped, never spliced.
PROVIDED_NAMES = frozenset(
    {
        "ApiError", "Reply", "Store", "store", "hash_password", "verify_password", "create_token",
        "safe_join", "run_command", "now_iso", "new_api_key", "key_digest", "Principal",
        "seconds_up", "evaluate_arithmetic", "not_option",
    }
)  # fmt: skip


class Slot(BaseModel):
    """A handler whose body the model fills; until then it answers 501."""

    operation_id: str
    signature: str
    helpers: list[str]
    file: str
    marker: str


def slot_marker(op: Operation) -> str:
    return f"# bdev:slot {op.operation_id}"


def slots_for(plan: ServicePlan, *, single_file: bool = False) -> list[Slot]:
    """The operations without a mechanical body, in spec order."""
    file = "app.py" if single_file else "app/handlers.py"
    return [
        Slot(
            operation_id=op.operation_id,
            signature=handler_signature(plan, op),
            helpers=list(HELPERS),
            file=file,
            marker=slot_marker(op),
        )
        for op in plan.operations
        if op.kind is None
    ]


def fill_order(plan: ServicePlan, slots: list[Slot]) -> list[Slot]:
    """The slots that store data first (POST, PUT, PATCH), then the rest, each group in
    spec order: a read is written knowing how its sibling stored what it reads."""
    writes = {"post", "put", "patch"}
    return sorted(slots, key=lambda s: plan.operation(s.operation_id).method not in writes)
