"""An OpenAPI document derived from a request written in prose, for spec-first to build.

    derived = derive_spec(text, model)   # derived.doc is an OpenAPI 3.0 dict

The program finds the operations (each `METHOD /path` the request names) and the
sentences about each one. The model fills one narrow slot per operation: a single call
to the `operation` tool, whose arguments (fields, bounds, status codes) a local model's
grammar holds to the schema. The program then checks the answer against the request's
own words (a field, a bound or a status the request never states is dropped and said)
and assembles the document. A 1.5B model cannot write a whole OpenAPI document, but it
can answer "which fields does this sentence give POST /notes".

The operations and their passages come from `operations`; this module fills, checks
and assembles.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from bdev.errors import BdevError
from bdev.llm.base import Message, Model, ModelError, ToolSpec, Usage, retry_sampling
from bdev.specfirst import wording
from bdev.specfirst.names import snake
from bdev.specfirst.operations import MENTION, Mention, find_operations
from bdev.specfirst.resources import KEY_FIELDS, TOKEN_FIELDS, registers

# Where a service built from a derived document keeps it, beside the build's plan.
DERIVED_FILE = ".bdev/openapi.json"
_TYPES = ("string", "integer", "number", "boolean", "array", "object")
_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,39}$"}
_BOUND = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
_FIELD = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "type": {"type": "string", "enum": list(_TYPES)},
        "required": {"type": "boolean"},
        "min": _BOUND,
        "max": _BOUND,
    },
    "required": ["name", "type", "required", "min", "max"],
}
_SUCCESS = [200, 201, 202, 204]
_SECRET = re.compile(r"pass|secret|token|key", re.IGNORECASE)
_PASSWORD = re.compile(r"pass(?:word|wd|phrase)?$|password", re.IGNORECASE)
_ERRORS = [400, 401, 403, 404, 409, 413, 415, 422]

OPERATION_TOOL = ToolSpec(
    name="operation",
    description=(
        "Describe one HTTP operation exactly as the request states it. `inputs`: what the "
        "caller sends (path and query parameters, the request body's fields); min/max: "
        "the length of a string, the value of a number, or the items of an array, null "
        "when the request gives none. `returns`: what a success answers with, and "
        "`returned_fields` its fields. `errors`: the error statuses the request names. "
        "`login_required`: the caller must present a credential (a key or token)."
    ),
    parameters={
        "type": "object",
        "properties": {
            "inputs": {"type": "array", "items": _FIELD, "maxItems": 12},
            "success": {"type": "integer", "enum": _SUCCESS},
            "returns": {"type": "string", "enum": ["object", "list", "nothing"]},
            "returned_fields": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": _NAME, "type": {"type": "string", "enum": list(_TYPES)}},
                    "required": ["name", "type"],
                },
                "maxItems": 16,
            },
            "errors": {"type": "array", "items": {"type": "integer", "enum": _ERRORS}},
            "login_required": {"type": "boolean"},
        },
        "required": [
            "inputs", "success", "returns", "returned_fields", "errors", "login_required",
        ],
    },
)  # fmt: skip


@dataclasses.dataclass
class Derived:
    doc: dict[str, Any]
    notes: list[str]  # what was dropped or assumed, one line each
    usage: Usage
    failed: list[str]  # operations the model gave no usable answer for (kept, minimal)


Record = Callable[..., object]


def derive_spec(
    text: str, model: Model, *, attempts: int = 3, record: Record | None = None
) -> Derived:
    """The OpenAPI document for the service `text` asks for. Raises BdevError when the
    text names no operation (`METHOD /path`): there is nothing to derive from."""
    log = record or (lambda _kind, **_data: None)
    mentions = find_operations(text)
    if not mentions:
        raise BdevError(
            "the request names no operation (such as `GET /items` or `POST /items`): "
            "there is nothing to build a spec from; name the routes, or give --spec"
        )
    usage = Usage()
    notes: list[str] = []
    failed: list[str] = []
    answers: dict[str, dict[str, Any]] = {}
    credential = wording.credential_sentences(text, MENTION)  # the same for every slot
    for n, mention in enumerate(mentions):
        answer: dict[str, Any] | None = None
        prompt = _prompt(text, mention, credential)
        for attempt in range(1, attempts + 1):
            with retry_sampling(model, attempt):
                try:
                    reply = model.complete(prompt, [OPERATION_TOOL])
                except ModelError as e:
                    log("slot_attempt", operation=mention.label, attempt=attempt, error=str(e))
                    continue
            usage += reply.usage
            calls = [c for c in reply.tool_calls if c.name == OPERATION_TOOL.name]
            problem = _shape_problem(calls[0].arguments) if calls else "no call to `operation`"
            if (
                problem is None and attempt < attempts
            ):  # on the last try, a body-less answer will do
                problem = _body_problem(calls[0].arguments, mention, mentions[:n])
            log(
                "slot_attempt",
                operation=mention.label,
                attempt=attempt,
                problem=problem,
                arguments=calls[0].arguments if calls else None,
                text=reply.content[:400],
            )
            if problem is None:
                answer = calls[0].arguments
                break
        if answer is None:
            failed.append(mention.label)
            answer = _EMPTY_ANSWER
        answers[mention.label] = answer
    doc = _assemble(text, mentions, answers, notes)
    log("phase", phase="derived spec", operations=[m.label for m in mentions], notes=notes)
    return Derived(doc=doc, notes=notes, usage=usage, failed=failed)


_EMPTY_ANSWER: dict[str, Any] = {
    "inputs": [], "success": 200, "returns": "object",
    "returned_fields": [], "errors": [], "login_required": False,
}  # fmt: skip


def _prompt(text: str, mention: Mention, credential: list[str]) -> list[Message]:
    system = (
        "You turn a request for a web service into an API description, one operation at a "
        "time. Answer with one call to the `operation` tool. Use only names, numbers and "
        "status codes the request states; leave out what it does not say."
    )
    user = (
        f"The request:\n\n{text.strip()}\n\n"
        f"Describe the operation {mention.label}. What the request says about it:\n"
        f"{mention.passage}"
    )
    named = [*mention.path_params, *mention.query]
    if named:
        user += f"\n\nIts inputs include {', '.join(named)}."
    if credential:
        user += f"\n\nWhat the request says about credentials: {' '.join(credential)}"
    return [Message(role="system", content=system), Message(role="user", content=user)]


def _body_problem(
    arguments: dict[str, Any], mention: Mention, earlier: list[Mention]
) -> str | None:
    """A method that takes a body whose answer names none of the request's words as a
    body field: asked again, since most often the model put them somewhere else (some
    POSTs take no body, so the last try's answer stands)."""
    if mention.method not in ("POST", "PUT", "PATCH") or wording.request_literal(mention.own):
        return None  # no body, or one the program reads from the body written out
    said = _said(mention, earlier)
    own = set(mention.path_params) | set(mention.query)
    sent = [i["name"] for i in arguments["inputs"] if i["name"] not in own]
    if any(name.lower() in said for name in sent):
        return None
    return f"{mention.method} with no body field the request names"


def _shape_problem(arguments: dict[str, Any]) -> str | None:
    """Why an answer cannot be read: it does not have the schema's shape (a remote model
    is not held to it), or None."""
    try:
        for key in ("inputs", "returned_fields"):
            for item in arguments[key]:
                if not (isinstance(item["name"], str) and item["name"].isidentifier()):
                    return f"{key}: a field name {item['name']!r} is not a name"
                if item["type"] not in _TYPES:
                    return f"{key}: {item['name']} has type {item['type']!r}"
        if arguments["success"] not in _SUCCESS:
            return f"success status {arguments['success']!r}"
        if arguments["returns"] not in ("object", "list", "nothing"):
            return f"returns {arguments['returns']!r}"
    except (KeyError, TypeError) as e:
        return f"missing or malformed {e}"
    return None


def _said(mention: Mention, earlier: list[Mention]) -> set[str]:
    """The words an input of `mention` may be named by: those where the request speaks of
    it, and where it speaks of the operations before when the passage points back ("with
    the same JSON")."""
    if re.search(r"\b(same|those|these)\b", mention.passage, re.IGNORECASE):
        return wording.words(" ".join(m.passage for m in [*earlier, mention]))
    return wording.words(mention.passage)


@dataclasses.dataclass
class _Replies:
    """What the replies assembled so far share: the request's words and numbers, the
    components, which component each returned shape is, and the components the request
    states exactly (a reply it writes out or lists, never merged with another)."""

    words: set[str]
    numbers: set[int]
    notes: list[str]
    schemas: dict[str, Any] = dataclasses.field(default_factory=dict)
    shapes: dict[str, str] = dataclasses.field(default_factory=dict)
    exact: set[str] = dataclasses.field(default_factory=set)


def _assemble(
    text: str, mentions: list[Mention], answers: dict[str, dict[str, Any]], notes: list[str]
) -> dict[str, Any]:
    numbers = wording.numbers(text)
    replies = _Replies(wording.words(text), numbers, notes)
    scheme = wording.credential_scheme(text)
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    any_secured = False
    # Replies written out with a credential in them, by operation: the issuer's alone.
    issued_replies = {
        m.label: set(lit)
        for m in mentions
        if (lit := wording.reply_literal(m.own)) and any(_is_credential(k) for k in lit)
    }
    for n, mention in enumerate(mentions):
        where = mention.label
        answer = _plain_names(answers[mention.label], mention, notes)
        said = _said(mention, mentions[:n])

        op: dict[str, Any] = {
            "operationId": _operation_id(mention),
            "summary": _first_sentence(mention.passage),
            "description": mention.passage,
        }
        inputs = []
        for field in _typed(_written_out(mention, answer["inputs"], notes), mention):
            if wording.is_setting(field["name"]):
                notes.append(f"{where}: dropped `{field['name']}` (a server setting)")
            elif field["name"].lower() in said or field["name"] in mention.query:
                inputs.append(field)
            else:
                notes.append(f"{where}: dropped `{field['name']}` (not where the request says)")
        # Where an input goes is the program's call: the path's own names, the names the
        # mention puts in its query, and for a method without a body, all the others.
        has_body = mention.method in ("POST", "PUT", "PATCH")
        body = [
            f for f in inputs
            if has_body and f["name"] not in mention.path_params and f["name"] not in mention.query
        ]  # fmt: skip
        params = _parameters(mention, [f for f in inputs if f not in body], numbers, notes)
        if params:
            op["parameters"] = params
        upload = has_body and wording.is_multipart(mention.own)
        if upload:
            body = _with_uploads(mention, body, notes)
        if body:
            schema = _object(_nest_items(mention, body, notes), numbers, where, notes)
            media = "multipart/form-data" if upload else "application/json"
            op["requestBody"] = {"required": True, "content": {media: {"schema": schema}}}
        echoed = [] if upload else body  # a file is not answered back
        sets_cookie = bool(
            scheme and scheme.get("in") == "cookie" and wording.sets_cookie(mention.own)
        )
        if sets_cookie:
            cookie = str((scheme or {}).get("name", "session"))
            answer = _without_session_fields(answer, cookie, where, notes)
        issuers = {
            name for other, fields in issued_replies.items() if other != where for name in fields
        }
        op["responses"] = _responses(mention, answer, echoed, replies, issuers)
        issued = _issued(op, replies.schemas)
        if issued:
            notes.append(f"{where}: public, it answers with the credential (`{issued}`)")
        elif sets_cookie:
            notes.append(f"{where}: public, it sets the session cookie")
        elif answer.get("login_required") and wording.says_public(mention.own):
            notes.append(f"{where}: public (the request says anyone may call it)")
            op["responses"].pop("401", None)
        elif (
            answer.get("login_required")
            and mention.method in ("POST", "PUT")
            and registers(mention.path)
        ):
            notes.append(f"{where}: public (it registers an account)")
            op["responses"].pop("401", None)
        elif answer.get("login_required"):
            if scheme:
                op["security"] = [{"credential": []}]
                op["responses"].setdefault("401", {"description": "No valid credential"})
                any_secured = True
            else:
                notes.append(f"{where}: login required, but the request names no credential")
        paths.setdefault(mention.path, {})[mention.method.lower()] = op
    _share_resources(paths, replies.schemas)
    if replies.schemas:
        components["schemas"] = replies.schemas
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": _title(text), "version": "1.0"},
        "paths": paths,
    }
    if any_secured:
        assert scheme is not None
        components["securitySchemes"] = {"credential": scheme}
        # Operations that do not require it are public: said on each, as OpenAPI wants.
        for item in paths.values():
            for op in item.values():
                op.setdefault("security", [])
    if components:
        doc["components"] = components
    return doc


def _written_out(
    mention: Mention, inputs: list[dict[str, Any]], notes: list[str]
) -> list[dict[str, Any]]:
    """A body the passage writes out as JSON is that body: its keys are the fields, the
    model's others are dropped and the ones it left out added."""
    literal = wording.request_literal(mention.own)
    if literal is None or mention.method not in ("POST", "PUT", "PATCH"):
        return inputs
    own = {*mention.path_params, *mention.query}
    out = []
    for field in inputs:
        if field["name"] in literal or field["name"] in own:
            out.append(field)
        else:
            notes.append(f"{mention.label}: dropped `{field['name']}` (not in the body shown)")
    given = {f["name"] for f in out}
    for name, kind in literal.items():
        if name not in given:
            out.append({"name": name, "type": kind or "string", "required": True,
                        "min": None, "max": None})  # fmt: skip
    return out


def _typed(fields: list[dict[str, Any]], mention: Mention) -> list[dict[str, Any]]:
    """Fields typed as the passage's words say, over the model's pick: a type written
    before the name ("its new integer id"), a sum of money (19.99 is a price), an id that
    is never a fraction, the values a field is limited to ("one of id, total or
    created") and a point in time (`created_at`, "the time it was recorded")."""
    stated = wording.stated_types(mention.passage)
    out = []
    for f in fields:
        kind = stated.get(f["name"], f["type"])
        if kind == "integer" and wording.is_money(f["name"], mention.passage):
            kind = "number"
        if kind == "number" and re.fullmatch(r"id|\w+_id", f["name"]):
            kind = "integer"
        values = wording.choices(f["name"], mention.passage) if kind == "string" else []
        extra: dict[str, Any] = {"enum": values} if values else {}
        moment = f["name"] not in stated and wording.is_moment(f["name"], mention.passage)
        if moment and kind in ("string", "integer", "number"):
            kind, extra = "string", {"format": "date-time"}
        out.append({**f, "type": kind, **extra})
    return out


def _plain_names(answer: dict[str, Any], mention: Mention, notes: list[str]) -> dict[str, Any]:
    """The answer's reply fields named as the words that describe them say
    (`wording.plain_name`), where that names no other field of the reply."""
    fields = answer["returned_fields"]
    taken = [f["name"] for f in fields]
    renamed = []
    for f in fields:
        plain = wording.plain_name(f["name"], mention.own)
        if plain != f["name"] and plain not in taken:
            notes.append(f"{mention.label}: the reply's `{f['name']}` is `{plain}` (the words)")
            taken.append(plain)
            f = {**f, "name": plain}
        renamed.append(f)
    return {**answer, "returned_fields": renamed}


def _without_session_fields(
    answer: dict[str, Any], cookie: str, where: str, notes: list[str]
) -> dict[str, Any]:
    """The answer of an operation that sets the session cookie, without a reply field
    standing for that session: it travels in the cookie, not in the body."""
    session = {cookie.lower(), "session", "session_id", "sessionid", "sid", "cookie"}
    kept = [f for f in answer["returned_fields"] if f["name"].lower() not in session]
    if len(kept) == len(answer["returned_fields"]):
        return answer
    notes.append(f"{where}: the session is the cookie, not a field of the reply")
    returns = "nothing" if not kept and answer["returns"] == "object" else answer["returns"]
    return {**answer, "returned_fields": kept, "returns": returns}


def _with_uploads(
    mention: Mention, body: list[dict[str, Any]], notes: list[str]
) -> list[dict[str, Any]]:
    """A multipart body's fields, the file among them as a binary field: the one the
    passage names as the form's field, added when the answer left it out."""
    files = wording.upload_fields(mention.own, [f["name"] for f in body])
    out = [f for f in body if f["name"] not in files]
    for name in files:
        out.append({"name": name, "type": "file", "required": True, "min": None, "max": None})
    if not files:
        notes.append(f"{mention.label}: a multipart upload whose file field is not named")
    return out


def _nest_items(
    mention: Mention, body: list[dict[str, Any]], notes: list[str]
) -> list[dict[str, Any]]:
    """Fields that describe each item of a list input moved into that list's items
    ("`items`, a list of lines, each with a `description` and a `quantity`")."""
    names = [f["name"] for f in body]
    out = list(body)
    for field in body:
        if field["type"] != "array":
            continue
        inner = wording.item_fields(mention.own, field["name"], names)
        if not inner:
            continue
        out = [f for f in out if f["name"] not in inner]
        nested = {**field, "items": [f for f in body if f["name"] in inner]}
        out[out.index(field)] = nested
        notes.append(f"{mention.label}: each of `{field['name']}` has {', '.join(inner)}")
    return out


def _parameters(
    mention: Mention, fields: list[dict[str, Any]], numbers: set[int], notes: list[str]
) -> list[dict[str, Any]]:
    by_name = {f["name"]: f for f in fields}
    out = []
    for name in mention.path_params:
        field = by_name.pop(name, {"name": name, "type": "string", "required": True})
        kind = field["type"] if field["type"] in ("string", "integer", "number") else "string"
        out.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
    for name in mention.query:
        by_name.setdefault(name, {"name": name, "type": "string", "required": True})
    bodiless = mention.method not in ("POST", "PUT", "PATCH")
    for name in wording.named_parameters(mention.own, bodiless=bodiless):
        if name not in by_name and name not in mention.path_params:
            notes.append(f"{mention.label}: added the `{name}` parameter (the request names it)")
            field = {"name": name, "type": "string", "required": False, "min": None, "max": None}
            by_name[name] = _typed([field], mention)[0]
    for name, field in by_name.items():
        schema = _schema(field, numbers, mention.label, notes)
        if schema.get("type") in ("object", "array"):
            schema = {"type": "string"}  # a query value is one word
        # Optional unless the request says so: "default 20" is not required, whatever the
        # model answers; a name written into the mention's own query is.
        default = re.search(
            rf"\b{re.escape(name)}\b[^.;]*?\bdefault(?:s to| is|:)?\s+(\d+)\b", mention.passage
        )
        if default and schema.get("type") in ("integer", "number"):
            schema["default"] = int(default[1])  # "`limit` (1 to 100, default 20)"
        elif schema.get("enum") and wording.default_word(name, mention.passage) in schema["enum"]:
            schema["default"] = wording.default_word(name, mention.passage)  # "(default id)"
        insists = re.search(r"\b(required|must)\b", mention.passage, re.IGNORECASE)
        required = name in mention.query or bool(field.get("required") and insists)
        out.append({"name": name, "in": "query", "required": required, "schema": schema})
    return out


def _schema(
    field: dict[str, Any], numbers: set[int], where: str, notes: list[str]
) -> dict[str, Any]:
    kind = field["type"]
    if kind == "file":  # the file of a multipart upload
        return {"type": "string", "format": "binary"}
    schema: dict[str, Any] = {"type": kind}
    if field.get("format"):
        schema["format"] = field["format"]
    if field.get("enum"):
        schema["enum"] = field["enum"]
    if kind == "array":
        items = field.get("items")
        schema["items"] = _object(items, numbers, where, notes) if items else {"type": "string"}
    keys = {
        "string": ("minLength", "maxLength"),
        "integer": ("minimum", "maximum"),
        "number": ("minimum", "maximum"),
        "array": ("minItems", "maxItems"),
    }.get(kind)
    for bound, key in zip(("min", "max"), keys or (), strict=False):
        value = field.get(bound)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if value not in numbers:
            notes.append(f"{where}: dropped {field['name']} {bound} {value} (not in the request)")
            continue
        if value < 0 and kind not in ("integer", "number"):
            continue
        schema[key] = value
    if keys and schema.get(keys[0], 0) > schema.get(keys[1], float("inf")):
        notes.append(f"{where}: {field['name']} min is above max; dropped both")
        del schema[keys[0]], schema[keys[1]]
    return schema


def _object(
    fields: list[dict[str, Any]], numbers: set[int], where: str, notes: list[str]
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f["name"]: _schema(f, numbers, where, notes) for f in fields},
    }
    required = [f["name"] for f in fields if f.get("required")]
    if required:
        schema["required"] = required
    return schema


def _responses(
    mention: Mention,
    answer: dict[str, Any],
    echoed: list[dict[str, Any]],
    replies: _Replies,
    issuers: set[str],
) -> dict[str, Any]:
    """The success and error responses of `mention`. `issuers`: the fields of the replies
    other operations write out with a credential in them (not this one's to answer)."""
    where, notes = mention.label, replies.notes
    # A success status the passage states wins over the model's pick; a read creates
    # nothing, so it answers 200 unless the passage says otherwise.
    said = [n for n in wording.statuses(mention.own) if n in _SUCCESS]
    success = said[0] if len(said) == 1 else int(answer["success"])
    if mention.method == "GET" and not said and success != 200:
        notes.append(f"{where}: success is 200, not {success} (a read)")
        success = 200
    # "redirects (302) to the stored URL": that status, its target the reply.
    moved = [n for n in wording.statuses(mention.own) if 300 <= n < 400]
    redirect = bool(re.search(r"\bredirect", mention.own, re.IGNORECASE)) and (
        len(moved) == 1 or (not moved and not said and mention.method == "GET")
    )
    if redirect:
        # No status stated: 307, the temporary redirect that keeps the method.
        success = moved[0] if moved else 307
    ok: dict[str, Any] = {"description": "Success"}
    returns = "nothing" if redirect else answer["returns"]
    literal = wording.reply_literal(mention.own)
    # "lists the orders of one customer": a read of a collection answering many.
    collection = mention.method == "GET" and not mention.path.rstrip("/").endswith("}")
    last = mention.path.rstrip("/").rpartition("/")[2]
    lists = wording.answers_a_list(mention.own, last)
    if collection and not literal and returns == "object" and lists:
        notes.append(f"{where}: answers a list (the request says it lists them)")
        returns = "list"
        if [f["type"] for f in answer["returned_fields"]] == ["array"]:
            answer = {**answer, "returned_fields": []}  # {"accounts": [...]}: the list itself
    listed = None
    answered = _typed(answer["returned_fields"], mention)
    if literal:
        # The reply written out is the whole reply: its fields, typed as the model says
        # where the value does not show it.
        typed = {f["name"]: f["type"] for f in answered}
        fields = [{"name": k, "type": v or typed.get(k, "string")} for k, v in literal.items()]
        returns = "object" if returns == "nothing" else returns
    else:
        fields = [f for f in answered if f["name"].lower() in replies.words]
        if returns == "object":
            listed = wording.reply_list(mention.own, _resource_name(mention.path).lower())
        if listed:
            fields = _listed(mention, listed, fields, answered, notes)
            echoed = echoed if listed.whole else []
        own = wording.words(mention.own)
        for f in [f for f in fields if f["name"] in issuers and f["name"].lower() not in own]:
            fields.remove(f)  # "log in with POST /login, which answers {access_token}"
            notes.append(f"{where}: dropped `{f['name']}` (another operation's credential reply)")
        for f in [f for f in fields if _is_credential(f["name"])]:
            if not own & set(f["name"].lower().split("_")):
                fields.remove(f)  # "POST /signup {email, password}", then "login returns token"
                notes.append(f"{where}: dropped `{f['name']}` (a credential its words never name)")
        if success == 201 and returns == "object":
            # What was created is answered with what it was created from, secrets aside.
            names = {f["name"] for f in fields}
            for f in echoed:
                if f["name"] not in names and not _SECRET.search(f["name"]):
                    fields.append({"name": f["name"], "type": f["type"]})
    for f in [f for f in fields if _PASSWORD.search(f["name"])]:
        fields.remove(f)
        notes.append(f"{where}: dropped `{f['name']}` from the reply (a password)")
    if success == 201 and not said and any(_is_credential(f["name"]) for f in fields):
        # Handing out a credential creates nothing a client reads back: a login.
        notes.append(f"{where}: success is 200, not 201 (it answers a credential)")
        success = 200
    media = wording.reply_media(mention.own, mention.method)
    if success != 204 and media and not redirect:
        # "answers 200 with the content as text/plain", "a PDF": that, not JSON.
        binary = not media.startswith("text/")
        text_schema = {"type": "string", **({"format": "binary"} if binary else {})}
        ok["content"] = {media: {"schema": text_schema}}
    elif success != 204 and returns != "nothing":
        # A reply the request writes out or lists is exactly that: never merged with
        # what another operation answers on the same path.
        exact = bool(literal) or bool(listed and not listed.whole)
        item = _returned(mention, fields, replies, exact=exact)
        schema = {"type": "array", "items": item} if returns == "list" else item
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(success): ok}
    for code in answer["errors"]:
        if code in replies.numbers:
            responses.setdefault(str(code), {"description": "Error"})
        else:
            notes.append(f"{where}: dropped status {code} (not in the request)")
    return responses


# A listed reply's field the model did not name: a size, length or count is a number.
_COUNTED = re.compile(r"(?:^|_)(?:size|length|count|visits|age|number)$")


def _listed(
    mention: Mention,
    listed: wording.ReplyList,
    fields: list[dict[str, Any]],
    answered: list[dict[str, Any]],
    notes: list[str],
) -> list[dict[str, Any]]:
    """The reply the passage lists ("with its integer id, its title and the content's
    length"): those fields, each the model's where it named it, the rest added; with
    "it" among them, the model's fields too. `answered`: the model's fields, typed."""
    by_name = {f["name"].lower(): f for f in answered}
    out = list(fields) if listed.whole else []
    for names in listed.names:
        if any(f["name"].lower() in names for f in out):
            continue
        hit = next((by_name[n] for n in names if n in by_name), None)
        if hit is None:
            kind = "integer" if _COUNTED.search(names[-1]) else "string"
            hit = _typed([{"name": names[-1], "type": kind}], mention)[0]
            notes.append(f"{mention.label}: the reply has `{names[-1]}` (the request lists it)")
        out.append(hit)
    dropped = [f["name"] for f in fields if f not in out]
    if dropped:
        notes.append(f"{mention.label}: dropped {', '.join(dropped)} from the reply (not listed)")
    return out


def _returned(
    mention: Mention, fields: list[dict[str, Any]], replies: _Replies, *, exact: bool = False
) -> dict[str, Any]:
    """A returned object: one component per shape, named after the path's resource, so
    that operations returning the same thing share it (spec-first sees one resource).
    `exact`: the request states this reply's fields, so no other answer adds to them."""
    if not fields:
        return {"type": "object"}
    properties = {
        f["name"]: {"type": f["type"], **({"format": f["format"]} if f.get("format") else {})}
        for f in fields
    }
    for schema in properties.values():
        if schema["type"] == "array":
            schema["items"] = {}
    # By names alone: the same fields typed differently are still the same resource.
    shape = json.dumps(sorted(properties))
    shapes = replies.shapes
    name = _resource_name(mention.path)
    known: dict[str, Any] = replies.schemas.get(name) or {}
    mergeable = bool(known) and not exact and name not in replies.exact
    if shape not in shapes and mergeable and "id" in properties and "id" in known["properties"]:
        # Two answers on one resource's path, each with its `id`: one resource, each
        # answer naming part of it ("lists the orders" says `created`, POST `customer`).
        for prop, schema in properties.items():
            if prop not in known["properties"]:
                known["properties"][prop] = schema
                known["required"].append(prop)
        shapes[shape] = name
    if shape not in shapes and known:
        # Not merged, still the same resource: a field both name has the type it had
        # first ("its integer id" on the POST, an `id` the model typed string on a GET).
        for prop, schema in properties.items():
            first = known["properties"].get(prop)
            if first and "type" in first and schema["type"] != first["type"]:
                properties[prop] = dict(first)
    if shape not in shapes:
        unique, n = name, 2
        while unique in replies.schemas:
            unique, n = f"{name}{n}", n + 1
        replies.schemas[unique] = {
            "type": "object",
            "properties": properties,
            "required": list(properties),
        }
        shapes[shape] = unique
        if exact:
            replies.exact.add(unique)
    return {"$ref": f"#/components/schemas/{shapes[shape]}"}


def _resource_name(path: str) -> str:
    words = [w for w in path.split("/") if w and not w.startswith("{")]
    word = re.sub(r"[^A-Za-z0-9]", "", (words[-1] if words else "item").title()) or "Item"
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word if word[0].isalpha() else f"Item{word}"


def _operation_id(mention: Mention) -> str:
    words = [f"by_{w[1:-1]}" if w.startswith("{") else w for w in mention.path.split("/") if w]
    return snake("_".join([mention.method.lower(), *words]) or mention.method.lower())


def _share_resources(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """What one operation's answer says about a resource serves the others on its path:
    an object returned without fields is the resource's (GET /notes/{id} returns the Note
    POST /notes returned), and a path parameter the resource has takes its type."""
    for path, item in paths.items():
        resource = schemas.get(_resource_name(path))
        if resource is None:
            continue
        ref = {"$ref": f"#/components/schemas/{_resource_name(path)}"}
        for op in item.values():
            for response in op["responses"].values():
                content = response.get("content", {}).get("application/json", {})
                schema = content.get("schema")
                if schema == {"type": "object"}:
                    content["schema"] = ref
                elif schema == {"type": "array", "items": {"type": "object"}}:
                    content["schema"] = {"type": "array", "items": ref}
            for schema in _returned_objects(op, schemas):
                for name, prop in schema["properties"].items():
                    if prop != {"type": "array", "items": {}}:
                        continue
                    # A page's `items` (or `notes` on /notes) hold the resource; a list
                    # named for something else ("its IP addresses") holds plain values.
                    page = name in _CONTAINERS or name.lower() == path.rstrip("/").split("/")[-1]
                    prop["items"] = ref if page else {"type": "string"}
            for param in op.get("parameters", []):
                known = resource["properties"].get(param["name"])
                if param["in"] == "path" and known and known["type"] in ("integer", "string"):
                    param["schema"] = {"type": known["type"]}


# The names a page gives the list of what it pages through.
_CONTAINERS = frozenset({"items", "results", "data", "entries", "records", "rows", "page"})


def _returned_objects(op: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for response in op["responses"].values():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        name = schema.get("$ref", "").rpartition("/")[2]
        if name in schemas:
            found.append(schemas[name])
    return found


# `session_token`, `refresh_token`, `apiKey`: named as a credential is.
_CREDENTIAL_FIELD = re.compile(r"(?:_token|_key|Token|Key)$")


def _is_credential(name: str) -> bool:
    return name in (*TOKEN_FIELDS, *KEY_FIELDS) or bool(_CREDENTIAL_FIELD.search(name))


def _issued(op: dict[str, Any], schemas: dict[str, Any]) -> str | None:
    """The credential field an operation answers with (it hands out what the others
    need, so it cannot need it), or None."""
    for schema in _returned_objects(op, schemas):
        for name in schema["properties"]:
            if _is_credential(name):
                return str(name)
    return None


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return first if len(first) <= 120 else first[:117].rstrip() + "..."


def _title(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return first[:60].rstrip(" .,;:") or "Service"
