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
from bdev.backend.introspect import introspect, use_table
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


def refresh_routes(
    root: Path, facts: BackendFacts, *, python: str, env: dict[str, str], workdir: Path
) -> None:
    """Read the routes from the framework (the audit, once the service's environment is
    built): `facts` gets them, or keeps the static ones with the reason in routes_note.
    Endpoints known only from an OpenAPI document are kept."""
    if facts.language != "python":
        return
    index = PyIndex(SourceTree.scan(root))
    documented = [e for e in facts.endpoints if e.source == "openapi"]
    static = [e for e in facts.endpoints if e.source != "openapi"]
    table = introspect(root, index, facts.framework, static, python=python, env=env,
                       workdir=workdir)  # fmt: skip
    use_table(facts, table, static)
    facts.endpoints = merge_endpoints(facts.endpoints, documented)
    facts.health_endpoints = health_paths(facts.endpoints)


def analyze(path: Path, *, python: str | None = None) -> BackendFacts:
    """Describe the backend at `path`; BdevError when it is missing or not a backend.
    With `python` (an interpreter with the service's dependencies), the routes are read
    from the framework itself by importing the app in the sandbox (bdev.backend.introspect);
    otherwise, or when that fails, from the code."""
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
    facts.routes_note = "read from the code; pass --python to read them from the framework"
    if python and stack.language == "python":
        table = introspect(root, index, stack.framework, endpoints, python=python)
        use_table(facts, table, endpoints)
        endpoints = facts.endpoints
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
