"""`analyze` on small codebases written into tmp_path, one framework or concern each."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bdev.backend.analyze import analyze
from bdev.backend.facts import BackendFacts, Endpoint
from bdev.errors import BdevError


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def routes(facts: BackendFacts) -> dict[tuple[str, str], Endpoint]:
    return {(e.method, e.path): e for e in facts.endpoints}


def test_flask_blueprints_with_prefixes_factory_and_auth(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask==3.0\nflask-login\n",
            "shop/__init__.py": """
                from flask import Flask
                from shop.api import orders
                from .auth import bp as auth_bp

                def create_app():
                    app = Flask(__name__)
                    app.register_blueprint(orders.bp, url_prefix="/api/orders")
                    app.register_blueprint(auth_bp)
                    return app
            """,
            "shop/api/__init__.py": "",
            "shop/api/orders.py": """
                from flask import Blueprint, request
                from flask_login import login_required

                bp = Blueprint("orders", __name__, url_prefix="/ignored")

                @bp.route("/", methods=["GET", "POST"])
                @login_required
                def orders():
                    return []

                @bp.get("/<int:order_id>")
                def order(order_id):
                    token = request.headers.get("Authorization")
                    return {}

                @bp.route("/public")
                def public():
                    return {}
            """,
            "shop/auth.py": """
                from flask import Blueprint
                bp = Blueprint("auth", __name__, url_prefix="/auth")

                @bp.post("/login")
                def login():
                    return {}
            """,
        },
    )
    facts = analyze(tmp_path)
    assert (facts.language, facts.framework) == ("python", "flask")
    found = routes(facts)
    assert set(found) == {
        ("GET", "/api/orders/"),
        ("POST", "/api/orders/"),
        ("GET", "/api/orders/<int:order_id>"),
        ("GET", "/api/orders/public"),
        ("POST", "/auth/login"),
    }
    listing = found[("GET", "/api/orders/")]
    assert listing.handler == "orders"
    assert listing.location is not None
    assert (listing.location.file, listing.location.line) == ("shop/api/orders.py", 8)
    assert listing.auth_required is True
    assert found[("GET", "/api/orders/<int:order_id>")].auth_required is True  # reads the header
    assert found[("GET", "/api/orders/public")].auth_required is False
    assert facts.entry_point is not None
    assert facts.entry_point.app == "shop:create_app()"
    assert facts.entry_point.command == [
        *("python", "-m", "flask", "--app", "shop:create_app()", "run"),
        *("--port", "{port}"),
    ]
    assert "blueprints" in facts.architecture_patterns
    assert "app factory" in facts.architecture_patterns


def test_django_urls_models_and_migrations(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "Django>=5\npsycopg[binary]\n",
            "manage.py": """
                import os, sys
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_cfg.settings")
                from django.core.management import execute_from_command_line
                execute_from_command_line(sys.argv)
            """,
            "site_cfg/__init__.py": "",
            "site_cfg/settings.py": """
                import os
                ROOT_URLCONF = "site_cfg.urls"
                SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
                DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
            """,
            "site_cfg/urls.py": """
                from django.urls import include, path
                urlpatterns = [
                    path("api/", include("library.urls")),
                    path("health/", include([path("live", lambda r: None)])),
                ]
            """,
            "library/__init__.py": "",
            "library/urls.py": """
                from django.urls import path, re_path
                from . import views
                urlpatterns = [
                    path("books/", views.book_list, name="books"),
                    path("books/<int:pk>/", views.BookDetail.as_view()),
                    re_path(r"^authors/(?P<slug>[-\\w]+)/$", views.author),
                ]
            """,
            "library/views.py": """
                from django.contrib.auth.decorators import login_required
                from django.contrib.auth.mixins import LoginRequiredMixin
                from django.views import View
                from django.views.decorators.http import require_http_methods

                @require_http_methods(["GET", "POST"])
                def book_list(request):
                    ...

                class BookDetail(LoginRequiredMixin, View):
                    def get(self, request, pk): ...
                    def delete(self, request, pk): ...

                @login_required
                def author(request, slug):
                    if request.method == "PUT":
                        ...
            """,
            "library/models.py": """
                from django.db import models

                class Stamped(models.Model):
                    created = models.DateTimeField()
                    class Meta:
                        abstract = True

                class Author(Stamped):
                    name = models.CharField(max_length=100)

                class Book(Stamped):
                    title = models.CharField(max_length=100)
            """,
            "library/migrations/__init__.py": "",
            "library/migrations/0001_initial.py": "from django.db import migrations\n",
            "library/migrations/0002_book_title.py": "from django.db import migrations\n",
        },
    )
    facts = analyze(tmp_path)
    assert facts.framework == "django"
    found = routes(facts)
    assert {
        ("GET", "/api/books/"),
        ("POST", "/api/books/"),
        ("GET", "/api/books/<int:pk>/"),
        ("DELETE", "/api/books/<int:pk>/"),
        ("GET", "/api/authors/(?P<slug>[-\\w]+)/"),
        ("PUT", "/api/authors/(?P<slug>[-\\w]+)/"),
    } <= set(found)
    assert found[("GET", "/api/books/")].auth_required is False
    assert found[("DELETE", "/api/books/<int:pk>/")].auth_required is True
    assert found[("PUT", "/api/authors/(?P<slug>[-\\w]+)/")].auth_required is True
    detail = found[("GET", "/api/books/<int:pk>/")]
    assert detail.handler == "BookDetail"
    assert detail.location is not None and detail.location.file == "library/views.py"
    assert ("GET", "/health/live") in found
    assert facts.data.models == ["Author", "Book"]
    assert facts.data.orm == ["django"]
    assert facts.data.migration_tool == "django"
    assert facts.data.migration_revisions == ["library.0001_initial", "library.0002_book_title"]
    assert facts.data.databases == ["postgresql"]
    assert facts.services == ["postgresql"]
    assert facts.entry_point is not None
    assert facts.entry_point.app == "site_cfg.wsgi:application"
    assert facts.entry_point.command == [
        *("python", "manage.py", "runserver", "{port}", "--noreload"),
    ]
    assert {"DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"} <= set(facts.env_vars)
    assert facts.secrets == []


def test_express_package_json(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": """
                {"name": "api", "main": "server.js", "scripts": {"start": "node server.js"},
                 "dependencies": {"express": "^4.19.0", "pg": "^8", "ioredis": "^5"},
                 "devDependencies": {"jest": "^29"}}
            """,
            "server.js": "const port = process.env.PORT || 3000;\n",
            "test/app.test.js": "test('a', () => {});\nit('b', () => {});\n",
            ".github/workflows/ci.yml": "on: push\n",
        },
    )
    facts = analyze(tmp_path)
    assert (facts.language, facts.framework) == ("javascript", "express")
    assert facts.dependencies == ["express", "ioredis", "jest", "pg"]
    assert facts.data.databases == ["postgresql", "redis"]
    assert facts.services == ["postgresql", "redis"]
    assert facts.env_vars == ["PORT"]
    assert (facts.tests.framework, facts.tests.count) == ("jest", 2)
    assert facts.ci == [".github/workflows/ci.yml"]
    assert facts.entry_point is not None and facts.entry_point.command == ["npm", "start"]


def test_go_gin_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "go.mod": """
                module example.com/svc

                go 1.22

                require (
                    github.com/gin-gonic/gin v1.10.0
                    github.com/jackc/pgx/v5 v5.6.0
                )
            """,
            "main.go": 'package main\nimport "os"\nvar dsn = os.Getenv("DATABASE_URL")\n',
            "main_test.go": "package main\nfunc TestPing(t *testing.T) {}\nfunc TestX(t *T) {}\n",
        },
    )
    facts = analyze(tmp_path)
    assert (facts.language, facts.framework) == ("go", "gin")
    assert "github.com/gin-gonic/gin" in facts.dependencies
    assert facts.data.databases == ["postgresql"]
    assert facts.env_vars == ["DATABASE_URL"]
    assert (facts.tests.framework, facts.tests.count) == ("go test", 2)


@pytest.mark.parametrize(
    ("files", "language", "framework"),
    [
        ({"Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n"}, "ruby", "rails"),
        ({"Cargo.toml": '[package]\nname = "x"\n[dependencies]\naxum = "0.7"\n'}, "rust", "axum"),
        (
            {
                "pom.xml": "<project><dependencies><dependency>"
                "<artifactId>spring-boot-starter-web</artifactId>"
                "</dependency></dependencies></project>"
            },
            "java",
            "spring",
        ),
        ({"Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>'}, "csharp", "aspnetcore"),
    ],
)
def test_other_stacks_by_manifest(tmp_path, files, language, framework) -> None:
    facts = analyze(write(tmp_path, files))
    assert (facts.language, facts.framework) == (language, framework)


def test_not_a_backend(tmp_path: Path) -> None:
    write(tmp_path, {"notes.md": "# hello\n", "script.py": "print('hi')\n"})
    with pytest.raises(BdevError, match="not a backend"):
        analyze(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match="no such file"):
        analyze(tmp_path / "nope")


def test_skipped_directories_are_not_read(tmp_path: Path) -> None:
    app = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/x')\ndef x(): ...\n"
    write(
        tmp_path,
        {
            "main.py": app,
            "node_modules/pkg/app.py": app.replace("/x", "/from-node-modules"),
            ".venv/lib/app.py": app.replace("/x", "/from-venv"),
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/app.py": app.replace("/x", "/from-named-venv"),
            "build/lib/app.py": app.replace("/x", "/from-build"),
        },
    )
    assert [e.path for e in analyze(tmp_path).endpoints] == ["/x"]


def test_fastapi_router_prefixes_dependencies_and_src_layout(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "svc"
                dependencies = ["fastapi", "sqlalchemy>=2", "asyncpg", "redis", "httpx"]
            """,
            "src/svc/__init__.py": "",
            "src/svc/main.py": """
                from fastapi import Depends, FastAPI
                from svc.api.v1 import router as v1
                from svc.deps import require_admin

                app = FastAPI()
                app.include_router(v1, prefix="/api")
                app.include_router(v1, prefix="/admin", dependencies=[Depends(require_admin)])

                @app.get("/livez")
                async def livez():
                    return {}
            """,
            "src/svc/deps.py": """
                from fastapi import Depends
                from fastapi.security import OAuth2PasswordBearer

                scheme = OAuth2PasswordBearer(tokenUrl="token")

                def get_db():
                    yield None

                def caller(tok: str = Depends(scheme)):
                    return tok

                def require_admin(who=Depends(caller)):
                    return who
            """,
            "src/svc/api/__init__.py": "",
            "src/svc/api/v1.py": """
                from typing import Annotated
                from fastapi import APIRouter, Depends, Header
                from pydantic import BaseModel
                from svc import deps

                router = APIRouter(prefix="/v1")

                class Thing(BaseModel):
                    name: str

                class ThingOut(Thing):
                    id: int

                @router.get("/things", response_model=list[ThingOut])
                def things(db=Depends(deps.get_db)):
                    return []

                @router.post("/things")
                def add(thing: Thing, who: Annotated[str, Depends(deps.caller)]) -> ThingOut:
                    ...

                @router.get("/me")
                def me(x_api_key: str = Header()):
                    ...
            """,
            "src/svc/models.py": """
                from sqlalchemy.orm import DeclarativeBase, Mapped

                class Base(DeclarativeBase):
                    pass

                class Thing(Base):
                    __tablename__ = "things"
                    id: Mapped[int]
            """,
        },
    )
    facts = analyze(tmp_path)
    found = routes(facts)
    assert set(found) == {
        ("GET", "/api/v1/things"),
        ("POST", "/api/v1/things"),
        ("GET", "/api/v1/me"),
        ("GET", "/admin/v1/things"),
        ("POST", "/admin/v1/things"),
        ("GET", "/admin/v1/me"),
        ("GET", "/livez"),
    }
    assert found[("GET", "/api/v1/things")].auth_required is False
    assert found[("GET", "/api/v1/things")].response_model == "list[ThingOut]"
    add = found[("POST", "/api/v1/things")]
    assert (add.auth_required, add.request_model, add.response_model) == (True, "Thing", "ThingOut")
    assert found[("GET", "/api/v1/me")].auth_required is True  # API key header
    assert found[("GET", "/admin/v1/things")].auth_required is True  # include dependencies
    assert facts.health_endpoints == ["/livez"]
    assert facts.entry_point is not None
    assert facts.entry_point.app == "svc.main:app"
    assert facts.entry_point.command[3:6] == ["svc.main:app", "--app-dir", "src"]
    assert facts.data.orm == ["sqlalchemy"]
    assert facts.data.models == ["Thing"]
    assert facts.data.databases == ["postgresql", "redis"]
    assert facts.integration_points == []  # declared only; nothing imports them
    assert facts.env_vars == []


def test_starlette_and_aiohttp_route_tables(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "starlette\n",
            "app.py": """
                from starlette.applications import Starlette
                from starlette.routing import Mount, Route

                async def home(request): ...
                async def user(request): ...

                app = Starlette(routes=[
                    Route("/", home),
                    Mount("/users", routes=[Route("/{id:int}", user, methods=["GET", "PUT"])]),
                ])
            """,
        },
    )
    assert set(routes(analyze(tmp_path))) == {
        ("GET", "/"),
        ("GET", "/users/{id:int}"),
        ("PUT", "/users/{id:int}"),
    }

    aio = tmp_path / "aio"
    write(
        aio,
        {
            "requirements.txt": "aiohttp\n",
            "server.py": """
                from aiohttp import web

                routes = web.RouteTableDef()

                @routes.get("/ping")
                async def ping(request): ...

                async def create(request): ...

                def make_app(argv=None):
                    app = web.Application()
                    app.add_routes(routes)
                    app.add_routes([web.post("/items", create)])
                    app.router.add_get("/status", ping)
                    return app
            """,
        },
    )
    facts = analyze(aio)
    assert facts.framework == "aiohttp"
    assert set(routes(facts)) == {("GET", "/ping"), ("POST", "/items"), ("GET", "/status")}
    assert facts.health_endpoints == ["/ping", "/status"]
    assert facts.entry_point is not None and "server:make_app" in facts.entry_point.command


def test_secrets_with_file_and_line(tmp_path: Path) -> None:
    aws = "AKIA" + "IOSFODNN7EXAMPLQ"  # split so that this file does not trip scanners
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": f"""
                import os
                from flask import Flask

                app = Flask(__name__)
                app.config["SECRET_KEY"] = "9f8a7c6b5d4e3f2a1b0c"
                DB_PASSWORD = "hunter2-Prod!"
                API_KEY = os.getenv("API_KEY", "sk_live_51Habcdef")
                TOKEN_URL = "https://auth.example.org/token"
                password_placeholder = "changeme"
                JWT_SECRET = os.environ.get("JWT_SECRET", "dev-only-change-me")
                AWS_ID = "{aws}"
                DSN = "postgresql://app:s3cretpass@db:5432/app"
            """,
            "deploy/key.pem": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE...\n",
            ".env": "REDIS_URL=redis://localhost\nSTRIPE_API_KEY=rk_live_0123456789abc\n",
            "tests/test_app.py": 'PASSWORD = "test-only-pw-1234"\ndef test_x(): ...\n',
        },
    )
    found = {(s.location.file, s.location.line, s.kind) for s in analyze(tmp_path).secrets}
    assert found == {
        ("app.py", 5, "hard-coded secret"),
        ("app.py", 6, "hard-coded password"),
        ("app.py", 7, "hard-coded API key (environment fallback)"),
        ("app.py", 11, "AWS access key id"),
        ("app.py", 12, "password in connection URL"),
        ("deploy/key.pem", 1, "private key"),
        (".env", 2, "hard-coded API key"),
    }


def test_raw_sql_and_dynamic_sql(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": """
                import sqlite3
                from flask import Flask
                from sqlalchemy import text
                app = Flask(__name__)
                db = sqlite3.connect(":memory:")

                def find(name, order):
                    db.execute("SELECT * FROM users WHERE name = ?", (name,))
                    db.execute(f"SELECT * FROM users WHERE name = '{name}'")
                    q = "SELECT * FROM users ORDER BY " + order
                    db.execute(q)
                    db.execute("DELETE FROM users WHERE id = %s" % name)
                    db.execute(text("UPDATE users SET name = '{}'".format(name)))
                    s = "SELECT 1"
                    s += " FROM users WHERE x = " + name
                    db.execute(s)
                    db.execute("PRAGMA foreign_keys = ON")
            """,
        },
    )
    data = analyze(tmp_path).data
    assert [site.line for site in data.raw_sql_sites] == [8, 9, 11, 12, 13, 16]
    assert [site.line for site in data.dynamic_sql_sites] == [9, 11, 12, 13, 16]
    assert data.databases == ["sqlite"]


def test_alembic_revisions_in_chain_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi\nsqlalchemy\nalembic\npsycopg\n",
            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "alembic.ini": "[alembic]\nsqlalchemy.url = postgresql+psycopg://localhost/app\n",
            "migrations/env.py": "",
            "migrations/versions/b2_add.py": 'revision = "b2"\ndown_revision = "a1"\n',
            "migrations/versions/a1_init.py": 'revision: str = "a1"\ndown_revision = None\n',
            "migrations/versions/c3_more.py": 'revision = "c3"\ndown_revision = "b2"\n',
        },
    )
    data = analyze(tmp_path).data
    assert (data.migration_tool, data.migration_revisions) == ("alembic", ["a1", "b2", "c3"])
    assert data.databases == ["postgresql"]


def test_settings_env_vars_and_integrations(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi\npydantic-settings\n",
            "main.py": """
                import os
                from os import environ
                import httpx, redis
                from celery import Celery
                from fastapi import FastAPI
                from pydantic import Field
                from pydantic_settings import BaseSettings, SettingsConfigDict

                class Settings(BaseSettings):
                    model_config = SettingsConfigDict(env_prefix="APP_")
                    db_url: str = "sqlite:///x.db"
                    token: str = Field("", validation_alias="UPSTREAM_TOKEN")

                app = FastAPI()
                LEVEL = os.environ["LOG_LEVEL"]
                HOME = environ.get("HOME_DIR")
            """,
        },
    )
    facts = analyze(tmp_path)
    assert facts.env_vars == ["APP_DB_URL", "HOME_DIR", "LOG_LEVEL", "UPSTREAM_TOKEN"]
    assert facts.integration_points == [
        "cache: Redis",
        "message queue: Celery",
        "outbound HTTP: httpx",
    ]
    assert "typed settings from the environment (pydantic-settings)" in (
        facts.architecture_patterns
    )
    assert facts.data.databases == ["redis", "sqlite"]


def test_auth_unclear_under_app_wide_hook_and_alias_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "main.py": """
                from typing import Annotated
                from fastapi import Depends, FastAPI, Request
                from auth import current_user

                CurrentUser = Annotated[str, Depends(current_user)]
                app = FastAPI()

                @app.middleware("http")
                async def check_jwt(request: Request, call_next):
                    if not request.headers.get("authorization"):
                        ...
                    return await call_next(request)

                @app.get("/open")
                def open_(): ...

                @app.get("/mine")
                def mine(user: CurrentUser): ...
            """,
            "auth.py": "def current_user():\n    return 'x'\n",
        },
    )
    found = routes(analyze(tmp_path))
    assert found[("GET", "/open")].auth_required is None  # the middleware may cover it
    assert found[("GET", "/mine")].auth_required is True
