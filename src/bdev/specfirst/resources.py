"""The plan's resources: which operations imply stored state, which are mechanical CRUD.

A resource is a parameter-free collection path (`/items`) whose POST stores its JSON
body: the success response echoes every field sent and adds only what a store sets
itself (an id, timestamps). `POST /calculate {expression} -> {result}` is therefore not a
resource but business logic. The item path is the collection plus one parameter
(`/items/{id}`). Operations on those two paths get a mechanical body over the store when
the spec leaves nothing to decide (a list whose query parameters are all pagers or field
filters); register/login on a `users` table too. Anything else is a slot for the model.

`infer_resources` records these decisions on the plan (each operation's kind, resource
and ownership, the tables, the API-key table); code generation only reads them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bdev.specfirst.names import snake
from bdev.specfirst.plan import Kind, Operation, Resource, ServicePlan
from bdev.specfirst.refs import deref
from bdev.specfirst.shapes import merged_properties

_REGISTER = {"register", "signup", "sign-up", "sign_up"}
_LOGIN = {"login", "signin", "sign-in", "sign_in", "token"}
_ITEM_KINDS: dict[str, Kind] = {
    "get": "get",
    "put": "replace",
    "patch": "update",
    "delete": "delete",
}
TOKEN_FIELDS = ("access_token", "accessToken", "token", "jwt")
KEY_FIELDS = ("api_key", "apiKey", "apikey", "key")
_OWNED_KINDS = frozenset({"create", "list", "get", "replace", "update", "delete"})
PAGE_SIZE_PARAMS = ("limit", "page_size", "pageSize", "per_page", "perPage", "size")
# Fields a documented 409 most likely keys on, most specific first.
UNIQUE_FIELDS = ("email", "username", "login", "slug", "sku", "code", "name")
PAGER_PARAMS = frozenset({*PAGE_SIZE_PARAMS, "offset", "page"})


def infer_resources(plan: ServicePlan) -> dict[str, Resource]:
    doc = plan.document
    resources: dict[str, Resource] = {}
    cookie = session_cookie_scheme(plan)
    for op in plan.operations:
        segments = op.path.strip("/").split("/")
        last = segments[-1]
        if op.method == "post" and _has_password(doc, op):
            if last.lower() in _REGISTER:
                op.kind, op.resource = "register", "users"
            elif last.lower() in _LOGIN and (_token_field(doc, op) or cookie):
                op.kind, op.resource = "login", "users"
                if not _token_field(doc, op):
                    plan.session_cookie = cookie
            continue
        if op.method != "post" or "{" in op.path or not last or not _object_body(doc, op):
            continue
        table = snake(last)
        ok = op.success
        schema = deref(doc, ok.schema_) if ok and ok.schema_ else None
        id_kind = deref(doc, merged_properties(doc, schema)[0].get("id", {})).get("type")
        if issued_key_field(plan, op) and id_kind is not None:
            resources[table] = Resource(
                table=table, collection_path=op.path, item_schema=schema,
                id_type="integer" if id_kind == "integer" else "string",
            )  # fmt: skip
            op.kind, op.resource, plan.key_table = "issue_key", table, table
            continue
        stores = _stores_body(doc, op)
        if not stores and id_kind is None:
            continue  # the reply is computed and nothing gets an id: no table
        resources[table] = Resource(
            table=table,
            collection_path=op.path,
            item_schema=schema,
            id_type="integer" if id_kind == "integer" else "string",
        )
        fields = merged_properties(doc, _body_schema(doc, op))[0]
        if not stores or ("409" in op.responses and unique_field(fields) is None):
            continue  # kept in a table, but the model writes how (or what conflicts)
        op.kind, op.resource = "create", table

    for op in plan.operations:
        if op.kind:
            continue
        for res in resources.values():
            if op.path == res.collection_path and op.method == "get":
                if _plain_list(doc, op, res):
                    op.kind, op.resource = "list", res.table
            elif (
                _is_item_path(op.path, res.collection_path)
                and op.method in _ITEM_KINDS
                and _answers_json(op)  # an HTML page or a file of the row: a slot renders it
            ):
                id_param = next(p for p in op.params if p.location == "path")
                res.item_path = op.path
                res.id_type = "integer" if id_param.schema_.get("type") == "integer" else "string"
                props = (res.item_schema or {}).get("properties", {})
                res.id_field = (
                    "id" if "id" in props or id_param.name not in props else id_param.name
                )
                op.kind, op.resource = _ITEM_KINDS[op.method], res.table
    register = next((op for op in plan.operations if op.kind == "register"), None)
    if register:
        # The users' ids are of the type the registration reply documents.
        reply = merged_properties(doc, register.success.schema_ if register.success else None)[0]
        id_kind = deref(doc, reply.get("id", {})).get("type")
        id_type: Literal["integer", "string"] = "integer" if id_kind == "integer" else "string"
        resources.setdefault(
            "users", Resource(table="users", collection_path="/users", id_type=id_type)
        )
    else:
        for op in plan.operations:  # login without register has no users to check
            if op.kind == "login":
                op.kind = op.resource = None
        plan.session_cookie = None
    _scope_to_callers(plan)
    return resources


def _answers_json(op: Operation) -> bool:
    """Whether the success reply is the row as JSON (or nothing), which is all a
    mechanical read, replace, update or delete answers."""
    ok = op.success
    media = (ok.media_type or "") if ok else ""
    return not media or media == "application/json" or media.endswith("+json")


def session_cookie_scheme(plan: ServicePlan) -> str | None:
    """The one apiKey-in-cookie scheme a login could set as its session, if any."""
    cookies = [n for n, s in plan.security_schemes.items()
               if s.kind == "apikey" and s.location == "cookie"]  # fmt: skip
    return cookies[0] if len(cookies) == 1 else None


def _scope_to_callers(plan: ServicePlan) -> None:
    """When callers have identities, what one of them stores through a secured
    operation is theirs: the secure default against reading others' rows (CWE-639)."""
    identities = plan.key_table is not None or any(op.kind == "login" for op in plan.operations)
    for op in plan.operations:
        op.owned = bool(
            identities
            and op.security
            and op.kind in _OWNED_KINDS
            and op.resource not in (plan.key_table, "users")
        )


# Words of an operation that hands out a token: with a token in its reply, it is one.
_ISSUE_WORDS = frozenset({*_LOGIN, "login", "logon", "signin", "session", "sessions", "refresh"})
_REGISTER_WORDS = frozenset({"register", "signup", "registration"})


def issued_credential(doc: dict[str, Any], op: Operation) -> str | None:
    """Why `op` hands out the credentials others need (so it cannot require one), or None.

    Registration by its words (`POST /register`, operationId `signUp`); a login, token
    or refresh operation by its words *and* a token in its success reply, so that
    `POST /tokens/revoke` or `GET /sessions` stay protected.
    """
    if op.method not in ("post", "put"):
        return None
    words = _words(op.path, op.operation_id)
    if words & _REGISTER_WORDS:
        return "registers an account: callers have no credentials before it"
    if words & _ISSUE_WORDS and _replies_token(doc, op):
        return "issues the token the other operations require"
    return None


def registers(path: str, operation_id: str = "") -> bool:
    """Whether an operation's words say it registers an account (`POST /auth/sign-up`)."""
    return bool(_words(path, operation_id) & _REGISTER_WORDS)


def _words(path: str, operation_id: str) -> set[str]:
    words = set(snake(operation_id).split("_"))
    for segment in path.lower().strip("/").split("/"):
        if not segment.startswith("{"):
            words.add(segment)
            words |= set(snake(segment).split("_"))
    return words | {w.replace("_", "").replace("-", "") for w in words}


def issued_key_field(plan: ServicePlan, op: Operation) -> str | None:
    """The reply field of a POST that hands out API keys for the spec's apiKey scheme."""
    if not any(s.kind == "apikey" for s in plan.security_schemes.values()) or op.security:
        return None
    reply = merged_properties(plan.document, op.success.schema_ if op.success else None)[0]
    sent = merged_properties(plan.document, _body_schema(plan.document, op))[0]
    return next((f for f in KEY_FIELDS if f in reply and f not in sent), None)


def _is_item_path(path: str, collection: str) -> bool:
    rest = path[len(collection) :]
    return (
        path.startswith(collection + "/")
        and rest.count("/") == 1
        and rest[1:].startswith("{")
        and rest.endswith("}")
    )


def _body_schema(doc: dict[str, Any], op: Operation) -> dict[str, Any]:
    return deref(doc, op.body.schema_) if op.body else {}


def _object_body(doc: dict[str, Any], op: Operation) -> bool:
    schema = _body_schema(doc, op)
    return schema.get("type") == "object" or "properties" in schema or "allOf" in schema


def unique_field(fields: dict[str, Any]) -> str | None:
    return next((f for f in UNIQUE_FIELDS if f in fields), None)


def _stores_body(doc: dict[str, Any], op: Operation) -> bool:
    """True when the POST's success response is its body plus store-set fields."""
    if not _object_body(doc, op) or op.success is None:
        return False
    if not op.success.schema_:
        return op.success.status == "201"  # "Created", with nothing to compute for a reply
    props, required = merged_properties(doc, op.success.schema_)
    sent = set(merged_properties(doc, op.body.schema_ if op.body else {})[0])
    if not props or not sent or not sent <= set(props):
        return False
    if not required - sent and op.success.status != "201":
        return False  # its own input back, and not "Created": an action (a lookup), not a row
    return all(_store_set(name, deref(doc, props.get(name, {}))) for name in required - sent)


def _store_set(name: str, schema: dict[str, Any]) -> bool:
    """A field the store fills without business logic: the id or a timestamp."""
    return name == "id" or schema.get("format") == "date-time"


def _plain_list(doc: dict[str, Any], op: Operation, res: Resource) -> bool:
    """A GET on the collection whose query parameters are pagers or equality filters.

    Anything else (`q` for a text search, `sort`) means behaviour the spec describes in
    words: the model writes it.
    """
    fields = set(merged_properties(doc, res.item_schema)[0])
    return all(
        p.location != "query" or p.name in fields or p.name in PAGER_PARAMS for p in op.params
    )


def _has_password(doc: dict[str, Any], op: Operation) -> bool:
    return "password" in _body_schema(doc, op).get("properties", {})


def token_field(props: dict[str, Any]) -> str | None:
    """The reply field that carries a login's token: a usual name first, else any other
    `*_token` (`session_token`, `authToken`) but a refresh or CSRF token."""
    usual = next((f for f in TOKEN_FIELDS if f in props), None)
    return usual or next((f for f in props if _OTHER_TOKEN.search(f)), None)


_OTHER_TOKEN = re.compile(r"^(?!refresh|csrf|xsrf)[a-z]+(?:_token|Token)$", re.I)


def _token_field(doc: dict[str, Any], op: Operation) -> str | None:
    ok = op.success
    return token_field(deref(doc, ok.schema_).get("properties", {}) if ok and ok.schema_ else {})


def _replies_token(doc: dict[str, Any], op: Operation) -> bool:
    ok = op.success
    props = merged_properties(doc, ok.schema_)[0] if ok and ok.schema_ else {}
    return any(f in props for f in (*TOKEN_FIELDS, "id_token", "idToken", "refresh_token"))
