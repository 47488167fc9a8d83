"""What `analyze` knows about a backend codebase: plain data, serialisable to JSON.

`analyze` fills it from the files alone; `audit` reads it to boot and measure the
service; the workflow hands it to agents as the answer to their context request.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class Location(BaseModel):
    file: str  # relative to the analysed root
    line: int


class Endpoint(BaseModel):
    method: str  # upper case: GET, POST, ...
    path: str  # as the framework declares it, e.g. /items/{item_id}
    handler: str  # function name
    location: Location | None = None
    auth_required: bool | None = None  # None: could not tell
    # "none" | "optional" | "required" (None: could not tell), and the code that shows it;
    # login and registration endpoints are "none" (bdev.backend.auth says why).
    auth: Literal["none", "optional", "required"] | None = None
    auth_evidence: str = ""
    request_model: str | None = None
    response_model: str | None = None
    # "code" (static analysis), "introspection" (the framework's own route table, read by
    # importing the app) or "openapi" (served/declared document).
    source: str = "code"

    @model_validator(mode="after")
    def _levels_agree(self) -> Endpoint:
        """`auth` and `auth_required` say the same thing, whichever the producer set."""
        if self.auth is not None:
            self.auth_required = self.auth == "required"
        elif self.auth_required is not None:
            self.auth = "required" if self.auth_required else "none"
        return self


class EntryPoint(BaseModel):
    file: str
    # An importable application object, e.g. "app.main:app"; None when not found.
    app: str | None = None
    # How to start the service on a port: "{port}" is filled in by the audit.
    command: list[str] = Field(default_factory=list)
    # Where the command comes from ("Procfile line 1 (web)", "framework default (...)"):
    # bdev.backend.startcmd gives the order in which the project's files are read.
    source: str = ""
    port_note: str = ""  # how the audit's port reaches the service, or why it cannot
    fixed_port: int | None = None  # the port the code binds whatever it is told
    alternatives: list[str] = Field(default_factory=list)  # other documented commands


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
    # How the routes were found: "introspection" (the framework's own route table, read by
    # importing the app in the service's environment) or "static" (bdev's reading of the
    # code, prefixes applied); the note says what was read or why introspection was not used.
    routes_method: str = "static"
    routes_note: str = ""
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
