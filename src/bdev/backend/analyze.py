"""`analyze(path)`: what a backend codebase is made of, from its files alone.

No model and no process is involved: manifests are parsed, Python is read as syntax
trees, the rest is matched by name. Each part lives in its own module; this one only
puts the facts together.
"""

from __future__ import annotations

import re
from pathlib import Path

from bdev.backend import data, django_urls, patterns, project, routes
from bdev.backend.configuration import env_vars, secrets
from bdev.backend.context import context_response
from bdev.backend.entry import find_entry
from bdev.backend.facts import BackendFacts, Endpoint
from bdev.backend.openapi import endpoints_from_openapi, find_document, merge_endpoints
from bdev.backend.pyindex import PyIndex
from bdev.backend.stack import detect
from bdev.backend.tree import SourceTree
from bdev.errors import BdevError

__all__ = ["analyze", "context_response", "endpoints_from_openapi", "merge_endpoints"]

HEALTH_SEGMENT = re.compile(
    r"^(health|healthz|healthcheck|health-check|ready|readyz|readiness|live|livez|liveness"
    r"|ping|status)$",
    re.IGNORECASE,
)


def health_paths(endpoints: list[Endpoint]) -> list[str]:
    """Paths whose last segment names a health, readiness or liveness check."""
    found = {
        e.path
        for e in endpoints
        if e.method in ("GET", "HEAD")
        and HEALTH_SEGMENT.match(e.path.rstrip("/").rsplit("/", 1)[-1] or "")
    }
    return sorted(found)


def _python_endpoints(index: PyIndex, framework: str | None) -> list[Endpoint]:
    found = routes.find_endpoints(index)
    if framework == "django":
        found += django_urls.find_endpoints(index)
    return found


def analyze(path: Path) -> BackendFacts:
    """Describe the backend at `path`; BdevError when it is missing or not a backend."""
    root = Path(path).expanduser()
    if not root.exists():
        raise BdevError(f"{path}: no such file or directory")
    if not root.is_dir():
        raise BdevError(f"{path}: not a directory; analyze needs the root of a codebase")
    root = root.resolve()
    tree = SourceTree.scan(root)
    index = PyIndex(tree)
    stack = detect(tree, index)
    if stack.framework is None and not stack.manifests:
        raise BdevError(
            f"{path}: not a backend codebase: no dependency manifest (pyproject.toml, "
            "requirements.txt, package.json, go.mod, ...) and no known web framework found"
        )
    facts = BackendFacts(
        root=str(root),
        language=stack.language,
        framework=stack.framework,
        manifests=stack.manifests,
        dependencies=stack.dependencies,
    )
    facts.entry_point = find_entry(tree, index, stack.language, stack.framework)

    endpoints = _python_endpoints(index, stack.framework) if stack.language == "python" else []
    document = find_document(tree)
    if document is not None:
        facts.openapi_document = document[0]
        endpoints = merge_endpoints(endpoints, endpoints_from_openapi(document[1]))
    facts.endpoints = endpoints
    facts.health_endpoints = health_paths(endpoints)

    facts.data = data.analyze_data(tree, index, stack.dependencies)
    facts.services = data.services(facts.data.databases)
    facts.env_vars = env_vars(tree, list(index.all))
    facts.secrets = secrets(tree, index.by_file)

    facts.tests = project.test_suite(tree, stack.dependencies)
    facts.ci = project.ci_files(tree)
    facts.dockerfile = project.dockerfile(tree)
    facts.architecture_patterns = patterns.architecture_patterns(
        tree, index, stack.framework, facts.data.migration_tool is not None
    )
    facts.integration_points = patterns.integration_points(
        index, stack.language, stack.dependencies, stack.framework
    )
    return facts
