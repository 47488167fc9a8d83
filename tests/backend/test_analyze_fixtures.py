"""`analyze` on the fixture services that the audit also measures, and the good FastAPI
fixture's own promises (its tests pass, bandit finds nothing high)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bdev.backend.analyze import analyze, context_response

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"
GOOD = SERVICES / "good_fastapi"


def test_good_fastapi_facts() -> None:
    facts = analyze(GOOD)
    assert (facts.language, facts.framework) == ("python", "fastapi")
    assert facts.entry_point is not None
    assert facts.entry_point.file == "app/main.py"
    assert facts.entry_point.app == "app.main:app"
    assert "{port}" in facts.entry_point.command

    found = {
        (e.method, e.path): (e.handler, e.location.line if e.location else None, e.auth_required)
        for e in facts.endpoints
    }
    items = GOOD / "app" / "routers" / "items.py"
    lines = items.read_text().splitlines()

    def line_of(handler: str) -> int:
        return next(i for i, text in enumerate(lines, 1) if f"def {handler}(" in text)

    assert found == {
        ("GET", "/health"): ("health", found[("GET", "/health")][1], False),
        ("GET", "/ready"): ("ready", found[("GET", "/ready")][1], False),
        ("GET", "/items"): ("list_items", line_of("list_items"), False),
        ("POST", "/items"): ("create_item", line_of("create_item"), True),
        ("GET", "/items/{item_id}"): ("get_item", line_of("get_item"), False),
        ("DELETE", "/items/{item_id}"): ("delete_item", line_of("delete_item"), True),
    }
    create = next(e for e in facts.endpoints if e.handler == "create_item")
    assert (create.request_model, create.response_model) == ("ItemIn", "Item")
    assert create.location is not None and create.location.file == "app/routers/items.py"

    assert facts.health_endpoints == ["/health", "/ready"]
    assert facts.dockerfile == "Dockerfile"
    assert facts.manifests == ["requirements.txt"]
    assert {"JWT_SECRET", "DATABASE_PATH"} <= set(facts.env_vars)
    assert facts.secrets == []
    assert facts.data.databases == ["sqlite"]
    assert facts.data.raw_sql_sites and facts.data.dynamic_sql_sites == []
    assert facts.services == []
    assert facts.tests.framework == "pytest"
    assert facts.tests.count == sum(
        text.count("\ndef test_") + text.startswith("def test_")
        for text in (p.read_text() for p in (GOOD / "tests").glob("test_*.py"))
    )


def test_flawed_flask_facts() -> None:
    facts = analyze(SERVICES / "flawed_flask")
    assert facts.framework == "flask"
    assert facts.entry_point is not None and facts.entry_point.app == "app:app"
    admin = [e for e in facts.endpoints if e.path.startswith("/admin")]
    assert admin and all(e.auth_required is False for e in admin)
    assert any(s.name == "secret_key" for s in facts.secrets)
    assert facts.data.dynamic_sql_sites  # the f-string query behind GET /users


def test_alembic_pg_facts() -> None:
    facts = analyze(SERVICES / "alembic_pg")
    assert facts.data.migration_tool == "alembic"
    assert len(facts.data.migration_revisions) >= 1
    assert "sqlalchemy" in facts.data.orm and facts.data.models
    assert "postgresql" in facts.services
    assert "DATABASE_URL" in facts.env_vars


def test_context_response_shape() -> None:
    context = context_response(analyze(GOOD))
    assert set(context) == {
        "tech_stack",
        "architecture_patterns",
        "database_systems",
        "api_requirements",
        "performance_targets",
        "integration_points",
    }
    assert context["tech_stack"]["framework"] == "fastapi"
    assert context["api_requirements"]["endpoint_count"] == 6
    assert "POST /items [auth]" in context["api_requirements"]["endpoints"]
    targets = context["performance_targets"]
    assert targets["kind"] == "targets"
    assert targets["response_time_p95_ms"] == {"target": "< 100", "measured": None}
    json.dumps(context)  # plain JSON all the way down


@pytest.mark.slow
def test_good_fastapi_passes_its_own_tests(tmp_path: Path) -> None:
    copy = shutil.copytree(GOOD, tmp_path / "svc", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_good_fastapi_has_no_high_bandit_findings() -> None:
    result = subprocess.run(  # bandit is one of bdev's declared instruments
        [sys.executable, "-m", "bandit", "-r", str(GOOD / "app"), "-f", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    high = [r for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert report["errors"] == [] and high == []
