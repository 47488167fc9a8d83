"""What `analyze` knows about a backend codebase: plain data, serialisable to JSON.

`analyze` fills it from the files alone; `audit` reads it to boot and measure the
service; the workflow hands it to agents as the answer to their context request.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Location(BaseModel):
    file: str  # relative to the analysed root
    line: int


class Endpoint(BaseModel):
    method: str  # upper case: GET, POST, ...
    path: str  # as the framework declares it, e.g. /items/{item_id}
    handler: str  # function name
    location: Location | None = None
    auth_required: bool | None = None  # None: could not tell
    request_model: str | None = None
    response_model: str | None = None
    source: str = "code"  # "code" (AST) or "openapi" (served/declared document)


class EntryPoint(BaseModel):
    file: str
    # An importable application object, e.g. "app.main:app"; None when not found.
    app: str | None = None
    # How to start the service on a port: "{port}" is filled in by the audit.
    command: list[str] = Field(default_factory=list)


class DataLayer(BaseModel):
    orm: list[str] = Field(default_factory=list)  # e.g. ["sqlalchemy"]
    models: list[str] = Field(default_factory=list)  # model class names
    raw_sql_sites: list[Location] = Field(default_factory=list)
    # The raw SQL sites whose text is built at run time (f-string, +, %, .format()):
    # where injection can happen.
    dynamic_sql_sites: list[Location] = Field(default_factory=list)
    migration_tool: str | None = None  # "alembic" | "django" | None
    migration_revisions: list[str] = Field(default_factory=list)
    databases: list[str] = Field(default_factory=list)  # "postgresql", "sqlite", "redis", ...


class Secret(BaseModel):
    location: Location
    kind: str  # e.g. "hard-coded password", "private key"
    name: str = ""  # the variable it was assigned to, when any


class TestSuite(BaseModel):
    framework: str | None = None  # "pytest" | "unittest" | None
    count: int = 0  # test functions found
    paths: list[str] = Field(default_factory=list)


class BackendFacts(BaseModel):
    root: str
    language: str | None = None  # "python", "javascript", "go", "ruby", ...
    framework: str | None = None  # "fastapi", "flask", "django", "express", ...
    manifests: list[str] = Field(default_factory=list)
    entry_point: EntryPoint | None = None
    endpoints: list[Endpoint] = Field(default_factory=list)
    openapi_document: str | None = None  # a file in the tree, when there is one
    health_endpoints: list[str] = Field(default_factory=list)
    data: DataLayer = Field(default_factory=DataLayer)
    env_vars: list[str] = Field(default_factory=list)
    secrets: list[Secret] = Field(default_factory=list)
    tests: TestSuite = Field(default_factory=TestSuite)
    ci: list[str] = Field(default_factory=list)  # CI config files
    dockerfile: str | None = None
    dependencies: list[str] = Field(default_factory=list)  # declared package names
    # External services the code needs at run time: "postgresql", "redis".
    services: list[str] = Field(default_factory=list)
    architecture_patterns: list[str] = Field(default_factory=list)
    integration_points: list[str] = Field(default_factory=list)
