"""Routes with the prefixes the framework applies, read from the code and from the
framework itself, and each route's auth level (none / optional / required) with evidence.

The fixtures are modelled on public services where bdev got this wrong: a Flask blog whose
blueprints are imported inside its factory, a FastAPI app whose prefix comes from settings,
an aiohttp app that registers routes on `app.router` inside `setup_routes(app)`.
Introspection imports them with this interpreter (the dev environment has Flask, FastAPI
and aiohttp), inside the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bdev import sandbox
from bdev.backend.analyze import analyze
from bdev.backend.auth import is_login_endpoint
from bdev.backend.facts import BackendFacts
from support.trees import write

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"
needs_bwrap = pytest.mark.skipif(sandbox.executable() is None, reason="no bubblewrap")


def routes(facts: BackendFacts) -> dict[tuple[str, str], str | None]:
    return {(e.method, e.path): e.auth for e in facts.endpoints}


BLOG = {
    ("GET", "/auth/login"): "none",
    ("POST", "/auth/login"): "none",
    ("GET", "/auth/logout"): "required",
    ("POST", "/auth/register"): "none",
    ("GET", "/"): "optional",
    ("GET", "/user/<username>"): "none",
    ("GET", "/edit_profile"): "required",
    ("POST", "/edit_profile"): "required",
    ("POST", "/api/tokens"): "none",  # a basic-auth login: credentials are its input
    ("GET", "/api/users/<int:id>"): "required",
    ("GET", "/api/users"): "none",
}
REALWORLD = {
    ("POST", "/api/users/login"): "none",
    ("POST", "/api/users"): "none",
    ("GET", "/api/profiles/{username}"): "none",
    ("PUT", "/api/profiles/{username}/follow"): "required",
    ("GET", "/api/articles"): "optional",
    ("POST", "/api/articles"): "required",
    ("GET", "/api/health"): "none",
}
SCHOOL = {
    ("GET", "/"): "none",
    ("GET", "/students/"): "none",
    ("POST", "/students/"): "none",
    ("GET", "/students/{student_id}"): "none",
    ("*", "/login/"): "none",
    ("POST", "/evaluate"): "required",
    ("GET", "/ping"): "none",
    ("GET", "/courses"): "none",
    ("GET", "/admin/dashboard"): "none",
}
EXPECTED = {"blog_blueprints": BLOG, "realworld_fastapi": REALWORLD, "school_aiohttp": SCHOOL}


# --- static analysis ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_static_routes_carry_every_prefix_and_auth_level(name: str) -> None:
    facts = analyze(SERVICES / name)
    assert facts.routes_method == "static"
    assert routes(facts) == EXPECTED[name]


def test_auth_evidence_names_the_code_that_shows_it() -> None:
    facts = analyze(SERVICES / "realworld_fastapi")
    evidence = {(e.method, e.path): e.auth_evidence for e in facts.endpoints}
    assert "required=False" in evidence[("GET", "/api/articles")]
    assert evidence[("POST", "/api/articles")] == "Depends(get_current_user_authorizer())"
    blog = {e.path: e.auth_evidence for e in analyze(SERVICES / "blog_blueprints").endpoints}
    assert "current_user.is_authenticated" in blog["/"]
    assert blog["/edit_profile"] == "@login_required"
    assert blog["/api/tokens"].startswith("login/registration endpoint")


def test_view_that_refuses_anonymous_callers_is_required(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": """
                from flask import Flask, abort, g, redirect, session

                app = Flask(__name__)

                @app.get("/me")
                def me():
                    if not session.get("user_id"):
                        abort(401)
                    return "me"

                @app.get("/feed")
                def feed():
                    if g.user is None:
                        return redirect("/login")
                    return "feed"

                @app.get("/home")
                def home():
                    if session.get("user_id"):
                        return "hello again"
                    return "hello"
            """,
        },
    )
    assert routes(analyze(tmp_path)) == {
        ("GET", "/me"): "required",
        ("GET", "/feed"): "required",
        ("GET", "/home"): "optional",
    }


def test_optional_dependencies_and_prefix_constants(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "app/__init__.py": "",
            "app/settings.py": """
                import os
                API_V1 = "/api/v1"
                USERS = os.environ.get("USERS_PREFIX", "/users")
            """,
            "app/main.py": """
                from typing import Optional
                from fastapi import APIRouter, Depends, FastAPI
                from fastapi.security import HTTPBearer
                from app.settings import API_V1, USERS

                maybe_bearer = HTTPBearer(auto_error=False)
                router = APIRouter(prefix=USERS)

                def get_current_user_optional(token=Depends(maybe_bearer)):
                    return token

                def get_current_user(token=Depends(HTTPBearer())):
                    return token

                @router.get("/feed")
                def feed(user=Depends(get_current_user_optional)):
                    return {}

                @router.get("/public")
                def public(token: Optional[str] = Depends(maybe_bearer)):
                    return {}

                @router.get("/maybe")
                def maybe(user: Optional[dict] = Depends(get_current_user)):
                    return {}

                @router.post("/me")
                def me(user=Depends(get_current_user)):
                    return {}

                app = FastAPI()
                app.include_router(router, prefix=f"{API_V1}")
            """,
        },
    )
    assert routes(analyze(tmp_path)) == {
        ("GET", "/api/v1/users/feed"): "optional",
        ("GET", "/api/v1/users/public"): "optional",
        ("GET", "/api/v1/users/maybe"): "optional",
        ("POST", "/api/v1/users/me"): "required",
    }


# --- introspection --------------------------------------------------------------------------


@needs_bwrap
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_introspection_reads_the_framework_route_table(name: str) -> None:
    facts = analyze(SERVICES / name, python=sys.executable)
    assert facts.routes_method == "introspection", facts.routes_note
    assert {e.source for e in facts.endpoints} == {"introspection"}
    assert routes(facts) == EXPECTED[name]
    # Handlers are located in the service's tree, relative to its root.
    assert all(e.location and not e.location.file.startswith("/") for e in facts.endpoints)


@needs_bwrap
def test_introspection_finds_routes_the_code_does_not_spell_out(tmp_path: Path) -> None:
    """A prefix computed at import time: static analysis cannot know it, the framework does."""
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": """
                from flask import Blueprint, Flask

                VERSION = 2
                app = Flask(__name__)
                for name in ("alpha", "beta"):
                    bp = Blueprint(name, __name__, url_prefix="/v" + str(VERSION) + "/" + name)
                    bp.add_url_rule("/items", view_func=lambda: "[]", endpoint="items")
                    app.register_blueprint(bp)

                @app.get("/health")
                def health():
                    return "ok"
            """,
        },
    )
    static = analyze(tmp_path)
    assert ("GET", "/v2/alpha/items") not in routes(static)
    found = analyze(tmp_path, python=sys.executable)
    assert found.routes_method == "introspection"
    assert {("GET", "/v2/alpha/items"), ("GET", "/v2/beta/items"), ("GET", "/health")} == set(
        routes(found)
    )
    assert "static" in found.routes_note  # Flask's own static route is left out, and said


@needs_bwrap
def test_introspection_failure_falls_back_to_static_with_the_reason(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": """
                import os
                from flask import Flask

                app = Flask(__name__)
                app.config["SECRET_KEY"] = os.environ["SECRET_KEY_THAT_IS_NOT_SET"]

                @app.get("/ping")
                def ping():
                    return "pong"
            """,
        },
    )
    facts = analyze(tmp_path, python=sys.executable)
    assert facts.routes_method == "static"
    assert "SECRET_KEY_THAT_IS_NOT_SET" in facts.routes_note
    assert routes(facts) == {("GET", "/ping"): "none"}


@needs_bwrap
def test_importing_the_app_cannot_write_into_its_tree(tmp_path: Path) -> None:
    """The import runs read-only: a database created at import time must not appear."""
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": """
                import sqlite3
                from flask import Flask

                try:
                    sqlite3.connect("created_at_import.db").execute("CREATE TABLE t (x)")
                except sqlite3.OperationalError:
                    pass
                app = Flask(__name__)

                @app.get("/ping")
                def ping():
                    return "pong"
            """,
        },
    )
    facts = analyze(tmp_path, python=sys.executable)
    assert facts.routes_method == "introspection", facts.routes_note
    assert not (tmp_path / "created_at_import.db").exists()


@pytest.mark.parametrize(
    ("handler", "path", "login"),
    [
        ("login", "/auth/login", True),
        ("user_login", "/api/session", True),
        ("signIn", "/x", True),
        ("create", "/api/v1/sign-up", True),
        ("get_token", "/api/tokens", True),
        ("refresh_token", "/api/tokens/refresh", False),
        ("logout", "/auth/logout", False),
        ("profile", "/users/<name>", False),
    ],
)
def test_login_endpoints_are_told_apart(handler: str, path: str, login: bool) -> None:
    assert is_login_endpoint(handler, path) is login
