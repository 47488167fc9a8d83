"""How the project is tested, built and delivered: test suite, CI, Docker."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from bdev.backend.facts import TestSuite
from bdev.backend.pyast import class_bases, imported_modules
from bdev.backend.tree import SourceTree, is_test_file

CI_FILES = (
    ".gitlab-ci.yml",
    ".travis.yml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    "cloudbuild.yaml",
)
CI_DIRS = (".github/workflows/", ".circleci/", ".ci/", ".buildkite/", ".woodpecker/")
JS_TEST = re.compile(r"^\s*(?:it|test)(?:\.each\(.*?\))?\s*\(", re.MULTILINE)
GO_TEST = re.compile(r"^func Test\w*\(", re.MULTILINE)
JS_TEST_RUNNERS = ("vitest", "jest", "mocha", "ava", "tap")


def _python_tests(tree: ast.Module) -> int:
    count = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            count += 1
        elif isinstance(node, ast.ClassDef) and (
            node.name.startswith("Test") or "TestCase" in class_bases(node)
        ):
            count += sum(
                1
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            )
    return count


def _test_roots(files: list[str]) -> list[str]:
    """The top-most folders holding test files (or the files, when at the top level)."""
    roots: set[str] = set()
    for rel in files:
        parts = PurePosixPath(rel).parts
        index = next((i for i, p in enumerate(parts[:-1]) if p in ("tests", "test")), None)
        roots.add("/".join(parts[: index + 1]) if index is not None else rel)
    return sorted(r for r in roots if not any(r.startswith(o + "/") for o in roots if o != r))


def _uses_pytest(tree: SourceTree, files: list[str]) -> bool:
    if tree.named("pytest.ini", "conftest.py"):
        return True
    for config in tree.named("pyproject.toml", "setup.cfg", "tox.ini"):
        if re.search(r"^\[(tool:)?pytest|^\[tool\.pytest", tree.text(config), re.MULTILINE):
            return True
    for rel in files:
        module = tree.module(rel)
        if module and any(m.split(".")[0] == "pytest" for m in imported_modules(module)):
            return True
    return any("TestCase" not in tree.text(f) for f in files)  # bare test functions


def test_suite(tree: SourceTree, dependencies: list[str]) -> TestSuite:
    python = [
        f
        for f in tree.python_files
        if is_test_file(f) and PurePosixPath(f).name not in ("conftest.py", "__init__.py")
    ]
    python = [
        f
        for f in python
        if PurePosixPath(f).name.startswith("test") or PurePosixPath(f).stem.endswith("_test")
    ]
    count = sum(_python_tests(m) for f in python if (m := tree.module(f)) is not None)
    if python and count:
        framework = "pytest" if _uses_pytest(tree, python) else "unittest"
        return TestSuite(framework=framework, count=count, paths=_test_roots(python))

    go = [f for f in tree.files if f.endswith("_test.go")]
    if go:
        count = sum(len(GO_TEST.findall(tree.text(f))) for f in go)
        return TestSuite(framework="go test", count=count, paths=_test_roots(go))

    js = [
        f for f in tree.files if re.search(r"\.(test|spec)\.[cm]?[jt]sx?$", f) or "__tests__/" in f
    ]
    if js:
        runner = next((r for r in JS_TEST_RUNNERS if r in dependencies), None)
        count = sum(len(JS_TEST.findall(tree.text(f))) for f in js)
        return TestSuite(framework=runner, count=count, paths=_test_roots(js))
    return TestSuite()


def ci_files(tree: SourceTree) -> list[str]:
    return [
        f
        for f in tree.files
        if PurePosixPath(f).name in CI_FILES or any(f.startswith(d) for d in CI_DIRS)
    ]


def dockerfile(tree: SourceTree) -> str | None:
    candidates = [
        f
        for f in tree.files
        if PurePosixPath(f).name == "Dockerfile"
        or PurePosixPath(f).name.startswith("Dockerfile.")
        or f.endswith(".dockerfile")
    ]
    return min(candidates, key=lambda f: (f.count("/"), len(f), f)) if candidates else None
