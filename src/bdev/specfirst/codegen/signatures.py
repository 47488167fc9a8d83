"""The signature of an operation's handler: what the route passes it, with types.

The route (`routes`), the handler's source (`handlers`) and the slot the model completes
(`slots`) all use it, so the three always agree.
"""

from __future__ import annotations

from bdev.specfirst.codegen.credentials import operator_only
from bdev.specfirst.codegen.schemas import SchemaCode
from bdev.specfirst.names import pascal
from bdev.specfirst.plan import Operation, ServicePlan


def body_type(code: SchemaCode, op: Operation) -> str | None:
    if op.body is None:
        return None
    if op.body.encoding == "raw":
        return "bytes"
    if op.body.encoding in ("form", "multipart"):
        name = f"{pascal(op.operation_id)}Form"
        return code.form_model(name, op.body.schema_, files=op.body.encoding == "multipart")
    return code.annotation(op.body.schema_, f"{pascal(op.operation_id)}Body")


def response_type(code: SchemaCode, op: Operation) -> str | None:
    ok = op.success
    if ok is None or ok.schema_ is None or ok.status == "204":
        return None
    return code.annotation(ok.schema_, f"{pascal(op.operation_id)}Response")


def param_type(code: SchemaCode, op: Operation, name: str) -> str:
    param = next(p for p in op.params if p.py_name == name)
    # Constraints were checked by the route; the handler only needs the type.
    base, _ = code.type_and_constraints(param.schema_, pascal(param.name), strict=False)
    return base if param.required or "default" in param.schema_ else f"{base} | None"


def handler_args(
    plan: ServicePlan, op: Operation, code: SchemaCode | None = None
) -> list[tuple[str, str]]:
    """(name, type) of each keyword argument the route passes to the handler."""
    code = code or SchemaCode(plan.document, email_validator=False)
    args = [(p.py_name, param_type(code, op, p.py_name)) for p in op.params]
    body = body_type(code, op)
    if body:
        args.append(("body", body if op.body and op.body.required else f"{body} | None"))
    args.append(("store", "Store"))
    if op.security and not operator_only(plan, op):
        args.append(("principal", "Principal | None"))
    return args


def handler_signature(plan: ServicePlan, op: Operation, code: SchemaCode | None = None) -> str:
    args = ", ".join(f"{name}: {kind}" for name, kind in handler_args(plan, op, code))
    return f"def {op.operation_id}(*, {args}) -> Any:"
