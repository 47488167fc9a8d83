"""The normalised plan of a service: what `bdev new` generates and the model later fills.

Schemas are kept as they appear in the spec (with `$ref`s into `components.schemas`), so
code generation can name the generated classes; everything else is resolved here.
Plain data only: how an operation becomes code (its handler's signature, its slot) is
code generation's business (`codegen.slots`), so nothing here imports it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# What a mechanical handler does; None means the operation is a slot for the model.
Kind = Literal[
    "create", "list", "get", "replace", "update", "delete", "register", "login", "issue_key"
]


class _Plain(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Param(_Plain):
    name: str
    py_name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool
    schema_: dict[str, Any] = Field(alias="schema")
    description: str = ""


class Body(_Plain):
    media_type: str
    required: bool
    schema_: dict[str, Any] = Field(alias="schema")
    # How it travels: a JSON document, form fields (urlencoded), form fields and files
    # (multipart/form-data), or raw bytes of any other media type (an image upload).
    encoding: Literal["json", "form", "multipart", "raw"] = "json"


class Response(_Plain):
    status: str
    description: str = ""
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    example: Any = None
    text: bool = False  # a text/* body instead of JSON: the handler returns a str
    # A body that is not JSON (a PDF, an image, an HTML page): the handler returns its
    # bytes (or text) and the route sends them with this media type.
    media_type: str | None = None


class SecurityScheme(_Plain):
    name: str
    # bearer covers http/bearer, oauth2 and openIdConnect (tokens this service signs
    # itself); basic is HTTP basic authentication (users from APP_BASIC_AUTH).
    kind: Literal["bearer", "apikey", "basic"]
    location: Literal["header", "query", "cookie"] = "header"
    param_name: str = "Authorization"


class Operation(_Plain):
    operation_id: str
    method: str
    path: str
    summary: str = ""
    description: str = ""
    tags: list[str] = []
    params: list[Param] = []
    body: Body | None = None
    responses: dict[str, Response] = {}
    # Alternatives (any one suffices), each naming schemes that all must pass.
    security: list[dict[str, list[str]]] = []
    kind: Kind | None = None
    resource: str | None = None
    # Mechanical CRUD scoped to the caller: rows carry their creator, others see 404.
    owned: bool = False

    @property
    def success(self) -> Response | None:
        """The first documented 2xx response (what a handler's return value becomes), or
        the first redirect of an operation that only redirects."""
        for first in ("2", "3"):
            codes = sorted(c for c in self.responses if c.startswith(first) and c.isdigit())
            if codes:
                return self.responses[codes[0]]
        return None

    @property
    def success_status(self) -> int:
        ok = self.success
        if ok:
            return int(ok.status)
        return 201 if self.method == "post" else 204 if self.method == "delete" else 200


class Resource(_Plain):
    """A stored collection inferred from CRUD-shaped operations: one table."""

    table: str
    collection_path: str
    item_path: str | None = None
    id_field: str = "id"
    id_type: Literal["integer", "string"] = "string"
    item_schema: dict[str, Any] | None = None


class ServicePlan(_Plain):
    title: str
    version: str
    openapi: str
    describe: str | None = None
    # The path of the first server URL ("/api/v1"): every operation is served under it.
    base_path: str = ""
    operations: list[Operation]
    schemas: dict[str, dict[str, Any]] = {}
    security_schemes: dict[str, SecurityScheme] = {}
    resources: dict[str, Resource] = {}
    # The table whose POST hands out API keys (`{id, api_key}`): the apiKey scheme's users.
    key_table: str | None = None
    # The cookie apiKey scheme whose cookie the login sets (a signed session token), when
    # the login replies with no token of its own: the cookie is the session.
    session_cookie: str | None = None
    # Operations the document's global `security` covered but that issue the credential
    # it asks for (register, login, token refresh): served without one. id -> why.
    made_public: dict[str, str] = {}
    # Parts of the document the service does not serve (webhooks and callbacks are
    # requests it would send, not receive), each with its JSON path.
    not_served: list[str] = []
    document: dict[str, Any]

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)
