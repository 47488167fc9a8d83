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
    location: Literal["path", "query", "header"]
    required: bool
    schema_: dict[str, Any] = Field(alias="schema")
    description: str = ""


class Body(_Plain):
    media_type: str
    required: bool
    schema_: dict[str, Any] = Field(alias="schema")


class Response(_Plain):
    status: str
    description: str = ""
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    example: Any = None
    text: bool = False  # a text/* body instead of JSON: the handler returns a str


class SecurityScheme(_Plain):
    name: str
    # bearer covers http/bearer and oauth2 (tokens this service signs itself).
    kind: Literal["bearer", "apikey"]
    location: Literal["header", "query"] = "header"
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
        """The first documented 2xx response (what a handler's return value becomes)."""
        codes = sorted(c for c in self.responses if c.startswith("2") and c[1:].isdigit())
        return self.responses[codes[0]] if codes else None

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
    document: dict[str, Any]

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)
