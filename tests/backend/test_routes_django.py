"""Django's routes as its own resolver sees them: include() prefixes applied, path
converters and regexes rendered as {name}, methods from the view (class-based handlers,
@require_POST), the admin site left out, and handlers placed in the service's files so the
auth that static analysis read stays with each route."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_required
from django.urls import path, re_path
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bdev import sandbox
from bdev.backend import route_table
from bdev.backend.analyze import analyze
from bdev.backend.facts import BackendFacts
from support.trees import write

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"
needs_bwrap = pytest.mark.skipif(sandbox.executable() is None, reason="no bubblewrap")

CATALOG = {
    ("GET", "/api/v1/books/"): "none",
    ("POST", "/api/v1/books/"): "none",
    ("GET", "/api/v1/books/{pk}/"): "required",  # LoginRequiredMixin
    ("DELETE", "/api/v1/books/{pk}/"): "required",
    ("POST", "/api/v1/books/{pk}/return"): "none",  # @require_POST
    ("GET", "/api/v1/me/"): "required",  # @login_required
    ("GET", "/archive/{year}/"): "none",  # re_path; request.method == "POST" in its code
    ("POST", "/archive/{year}/"): "none",
}


def routes(facts: BackendFacts) -> dict[tuple[str, str], str | None]:
    return {(e.method, e.path): e.auth for e in facts.endpoints}


@needs_bwrap
def test_introspection_reads_django_resolver() -> None:
    facts = analyze(SERVICES / "django_catalog", python=sys.executable)
    assert facts.routes_method == "introspection", facts.routes_note
    assert routes(facts) == CATALOG
    assert {e.source for e in facts.endpoints} == {"introspection"}
    # The admin site is Django's own: left out, and said.
    assert "catalog.settings" in facts.routes_note
    assert "left out, served by the framework itself: /admin/" in facts.routes_note
    handlers = {e.path: (e.handler, e.location and e.location.file) for e in facts.endpoints}
    assert handlers["/api/v1/books/{pk}/"] == ("BookDetail", "shelf/views.py")
    assert handlers["/archive/{year}/"] == ("archive", "shelf/views.py")


def test_static_analysis_alone_keeps_the_code_spelling() -> None:
    facts = analyze(SERVICES / "django_catalog")
    assert facts.routes_method == "static"
    assert ("GET", "/api/v1/books/<int:pk>/") in routes(facts)


@needs_bwrap
def test_django_settings_that_fail_fall_back_to_static_with_the_reason(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "django\n",
            "manage.py": """
                import os
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
            """,
            "site_conf/__init__.py": "",
            "site_conf/settings.py": """
                import os
                SECRET_KEY = os.environ["DJANGO_KEY_THAT_IS_NOT_SET"]
                ROOT_URLCONF = "site_conf.urls"
                INSTALLED_APPS = []
            """,
            "site_conf/urls.py": """
                from django.http import HttpResponse
                from django.urls import path

                def ping(request):
                    return HttpResponse("pong")

                urlpatterns = [path("ping/", ping)]
            """,
        },
    )
    facts = analyze(tmp_path, python=sys.executable)
    assert facts.routes_method == "static"
    assert "DJANGO_KEY_THAT_IS_NOT_SET" in facts.routes_note
    assert routes(facts) == {("GET", "/ping/"): "none"}


def view(request):
    return None


@pytest.mark.parametrize(
    ("pattern", "shown"),
    [
        (path("books/<int:pk>/<slug>/", view), "books/{pk}/{slug}/"),
        (re_path(r"^archive/(?P<year>[0-9]{4})/$", view), "archive/{year}/"),
        (re_path(r"^page(?:-(?P<n>\d+))?/$", view), "page-{n}/"),
        (re_path(r"^feed/(\d+)\.json$", view), "feed/{arg0}.json"),
    ],
)
def test_django_patterns_are_rendered_readably(pattern, shown: str) -> None:
    assert route_table.django_path(pattern.pattern) == shown


@pytest.mark.parametrize(
    ("decorated", "methods"),
    [
        (require_POST(view), ["POST"]),
        (require_safe(view), ["GET"]),
        (require_http_methods(["GET", "put"])(view), ["GET", "PUT"]),
        (login_required(require_http_methods(["DELETE"])(view)), ["DELETE"]),
        (login_required(view), None),  # nothing declares them: bdev reads the code
    ],
)
def test_function_view_methods_come_from_its_decorators(decorated, methods) -> None:
    assert route_table.declared_methods(decorated) == methods
