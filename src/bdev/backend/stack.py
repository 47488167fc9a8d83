"""Language, framework and declared dependencies, from manifests and Python imports."""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bdev.backend.pyast import last_name, str_list
from bdev.backend.pyindex import PyIndex
from bdev.backend.tree import SourceTree, is_test_file

PYTHON_MANIFESTS = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile")
OTHER_MANIFESTS = {
    "package.json": "javascript",
    "go.mod": "go",
    "Gemfile": "ruby",
    "pom.xml": "java",
    "build.gradle": "java",
    "build.gradle.kts": "kotlin",
    "Cargo.toml": "rust",
}
# First match wins: FastAPI is built on Starlette, so a FastAPI app imports both.
PYTHON_FRAMEWORKS = ("fastapi", "django", "flask", "aiohttp", "starlette")
# (language, framework) by a dependency name found in a non-Python manifest.
MANIFEST_FRAMEWORKS = {
    "javascript": [
        ("@nestjs/core", "nestjs"),
        ("express", "express"),
        ("fastify", "fastify"),
        ("koa", "koa"),
        ("@hapi/hapi", "hapi"),
    ],
    "go": [
        ("github.com/gin-gonic/gin", "gin"),
        ("github.com/labstack/echo", "echo"),
        ("github.com/gofiber/fiber", "fiber"),
        ("github.com/go-chi/chi", "chi"),
        ("github.com/gorilla/mux", "gorilla"),
    ],
    "ruby": [("rails", "rails"), ("sinatra", "sinatra")],
    "java": [("spring-boot", "spring"), ("quarkus", "quarkus"), ("micronaut", "micronaut")],
    "kotlin": [("spring-boot", "spring"), ("ktor", "ktor")],
    "csharp": [("Microsoft.AspNetCore", "aspnetcore"), ("Microsoft.NET.Sdk.Web", "aspnetcore")],
    "rust": [("actix-web", "actix"), ("axum", "axum"), ("rocket", "rocket"), ("warp", "warp")],
}


@dataclass
class Stack:
    language: str | None = None
    framework: str | None = None
    manifests: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    """PEP 503 form of a Python distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    # Only the name is needed, so a regex does; `packaging` is not a dependency of bdev.
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "git+", "http:", "https:", "file:", ".")):
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
    return normalise(match.group()) if match else None


def _requirements(text: str) -> list[str]:
    return [n for n in map(requirement_name, text.splitlines()) if n]


def _pyproject(text: str) -> list[str]:
    data = tomllib.loads(text)
    project = data.get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    for group in data.get("dependency-groups", {}).values():
        lines.extend(x for x in group if isinstance(x, str))
    poetry = data.get("tool", {}).get("poetry", {})
    lines.extend(k for k in poetry.get("dependencies", {}) if k.lower() != "python")
    for group in poetry.get("group", {}).values():
        lines.extend(group.get("dependencies", {}))
    return [n for n in map(requirement_name, lines) if n]


def _setup_cfg(text: str) -> list[str]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    lines = parser.get("options", "install_requires", fallback="").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            lines.extend(value.splitlines())
    return [n for n in map(requirement_name, lines) if n]


def _setup_py(tree: ast.Module | None) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Call) and last_name(node.func) == "setup":
            for kw in node.keywords:
                if kw.arg == "install_requires":
                    names.extend(n for n in map(requirement_name, str_list(kw.value)) if n)
    return names


def _pipfile(text: str) -> list[str]:
    data = tomllib.loads(text)
    return [normalise(k) for section in ("packages", "dev-packages") for k in data.get(section, {})]


def _package_json(text: str) -> list[str]:
    data = json.loads(text)
    names: list[str] = []
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        names.extend(data.get(section, {}) or {})
    return names


def _go_mod(text: str) -> list[str]:
    # `require x v1` lines and the lines of `require ( ... )` blocks.
    names = re.findall(r"^\s*require\s+([^\s(]+)\s+v", text, re.M)
    for block in re.findall(r"^\s*require\s*\((.*?)\)", text, re.M | re.S):
        names.extend(re.findall(r"^\s*([^\s/]+/[^\s]+)\s+v", block, re.M))
    return names


def _gemfile(text: str) -> list[str]:
    return re.findall(r"""^\s*gem\s+['"]([^'"]+)['"]""", text, re.M)


def _xml_artifacts(text: str) -> list[str]:
    root = ET.fromstring(text)
    return [
        el.text.strip()
        for el in root.iter()
        if el.tag.rsplit("}", 1)[-1] == "artifactId" and el.text and el.text.strip()
    ]


def _gradle(text: str) -> list[str]:
    # "group:artifact:version" coordinates and Spring Boot's plugin id.
    names = [
        m.split(":")[1] for m in re.findall(r"""['"]([\w.-]+:[\w.-]+)(?::[^'"]*)?['"]""", text)
    ]
    if "org.springframework.boot" in text:
        names.append("spring-boot")
    return names


def _csproj(text: str) -> list[str]:
    root = ET.fromstring(text)
    names = [el.get("Include", "") for el in root.iter("PackageReference")]
    sdk = root.get("Sdk")
    return [n for n in [*names, sdk or ""] if n]


def _cargo(text: str) -> list[str]:
    data = tomllib.loads(text)
    return [*data.get("dependencies", {}), *data.get("dev-dependencies", {})]


def _read_manifest(tree: SourceTree, rel: str) -> list[str]:
    name = PurePosixPath(rel).name
    text = tree.text(rel)
    if name == "setup.py":
        return _setup_py(tree.module(rel))
    if name.endswith(".csproj"):
        return _csproj(text)
    if name.startswith("requirements") and name.endswith((".txt", ".in")):
        return _requirements(text)
    readers = {
        "pyproject.toml": _pyproject,
        "setup.cfg": _setup_cfg,
        "Pipfile": _pipfile,
        "package.json": _package_json,
        "go.mod": _go_mod,
        "Gemfile": _gemfile,
        "pom.xml": _xml_artifacts,
        "build.gradle": _gradle,
        "build.gradle.kts": _gradle,
        "Cargo.toml": _cargo,
    }
    return readers[name](text)


def _is_manifest(rel: str) -> bool:
    path = PurePosixPath(rel)
    name = path.name
    if name in PYTHON_MANIFESTS or name in OTHER_MANIFESTS or name.endswith(".csproj"):
        return True
    # requirements.txt, requirements-dev.txt, requirements/base.txt
    in_req_dir = path.parent.name == "requirements" and name.endswith(".txt")
    return in_req_dir or (name.startswith("requirements") and name.endswith((".txt", ".in")))


def _manifest_language(rel: str) -> str:
    name = PurePosixPath(rel).name
    if name.endswith(".csproj"):
        return "csharp"
    return OTHER_MANIFESTS.get(name, "python")


def _python_framework(index: PyIndex, deps: set[str]) -> str | None:
    imported = {m.split(".")[0] for mod in index.all for m in mod.imported}
    for name in PYTHON_FRAMEWORKS:
        if name in imported:
            return name
    for name in PYTHON_FRAMEWORKS:
        if name in deps:
            return name
    return None


def detect(tree: SourceTree, index: PyIndex) -> Stack:
    """What the tree is written in and with; manifests that fail to parse are skipped
    (a broken manifest should not hide the rest of the analysis)."""
    # Manifests under tests/ belong to fixtures, not to the service.
    stack = Stack(manifests=[f for f in tree.files if _is_manifest(f) and not is_test_file(f)])
    stack.manifests.sort(key=lambda f: (f.count("/"), f))
    deps_by_language: dict[str, list[str]] = {}
    for rel in stack.manifests:
        try:
            names = _read_manifest(tree, rel)
        except (ValueError, KeyError, TypeError, AttributeError, ET.ParseError, configparser.Error):
            names = []  # tomllib and json decode errors are ValueErrors
        deps_by_language.setdefault(_manifest_language(rel), []).extend(names)

    python_deps = set(deps_by_language.get("python", []))
    framework = _python_framework(index, python_deps)
    if framework:
        stack.language, stack.framework = "python", framework
    else:
        for language, candidates in MANIFEST_FRAMEWORKS.items():
            names = deps_by_language.get(language, [])
            hit = next((fw for dep, fw in candidates if any(dep in n for n in names)), None)
            if hit:
                stack.language, stack.framework = language, hit
                break
        if stack.language is None and stack.manifests:
            stack.language = _manifest_language(stack.manifests[0])
    if stack.language == "javascript" and any(f.endswith(".ts") for f in tree.files):
        stack.language = "typescript"

    # The service's own dependencies: a docs site's package.json beside a Python API
    # does not count.
    manifest_language = "javascript" if stack.language == "typescript" else stack.language
    stack.dependencies = sorted(set(deps_by_language.get(manifest_language or "", [])))
    return stack
