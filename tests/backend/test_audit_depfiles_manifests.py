"""Dependencies from every manifest format, checked against an offline OSV snapshot (or
honestly "not checked" without one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bdev.backend.audit.manifests import pinned, read_manifests
from bdev.backend.audit.security import advisories
from bdev.backend.audit.security import pip_audit as sec_pip_audit
from bdev.backend.audit.security.dependencies import check_dependencies


@pytest.fixture(autouse=True)
def empty_cache(tmp_path_factory, monkeypatch) -> Path:
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pins_of(root: Path) -> dict[str, tuple[str, str]]:
    pins, _ = pinned(read_manifests(root).declared)
    return {p.name: (p.version, p.source) for p in pins}


def test_nested_requirements_and_includes(tmp_path: Path):
    write(tmp_path, {
        "services/api/requirements.txt": "-r ../../base/requirements-base.txt\nflask==2.0.1\n",
        "base/requirements-base.txt": "requests==2.19.0  # old\n",
        ".venv/requirements.txt": "ignored==1.0\n",
    })  # fmt: skip
    assert pins_of(tmp_path) == {
        "flask": ("2.0.1", "services/api/requirements.txt"),
        "requests": ("2.19.0", "base/requirements-base.txt"),
    }


def test_pyproject_pep621_and_poetry(tmp_path: Path):
    write(tmp_path / "pep621", {
        "pyproject.toml":
            '[project]\nname = "svc"\ndependencies = ["jinja2==2.10", "httpx>=0.27"]\n',
    })  # fmt: skip
    assert pins_of(tmp_path / "pep621") == {"jinja2": ("2.10", "pyproject.toml")}
    write(tmp_path / "poetry", {
        "pyproject.toml": '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\n'
        'python = "^3.11"\nflask = "2.2.0"\nrequests = "^2.31"\n',
    })  # fmt: skip
    assert pins_of(tmp_path / "poetry") == {"flask": ("2.2.0", "pyproject.toml")}


def test_lock_files_pin_what_manifests_leave_open(tmp_path: Path):
    write(tmp_path, {
        "pyproject.toml":
            '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\nflask = "^2.0"\n',
        "poetry.lock": '[[package]]\nname = "flask"\nversion = "2.0.3"\n'
        'groups = ["main"]\n[[package]]\nname = "werkzeug"\nversion = "2.0.2"\n',
        "Pipfile": '[packages]\ndjango = "*"\n',
        "Pipfile.lock": json.dumps({"default": {"django": {"version": "==3.2.1"}},
                                    "develop": {"pytest": {"version": "==7.0.0"}}}),
    })  # fmt: skip
    assert pins_of(tmp_path) == {
        "flask": ("2.0.3", "poetry.lock"),
        "werkzeug": ("2.0.2", "poetry.lock"),
        "django": ("3.2.1", "Pipfile.lock"),
        "pytest": ("7.0.0", "Pipfile.lock"),
    }


def test_setup_cfg_and_setup_py_are_read_without_running_anything(tmp_path: Path):
    write(tmp_path, {
        "setup.cfg": "[options]\ninstall_requires =\n    pyyaml==5.3\n    click>=8\n"
        "[options.extras_require]\ntest =\n    pytest==6.0.0\ndocs =\n    sphinx==1.0\n",
        # Running this would fail: it is parsed, never executed.
        "setup.py": "import no_such_module\nfrom setuptools import setup\n"
        "REQUIRES = ['urllib3==1.25.0']\nsetup(name='svc', install_requires=REQUIRES,\n"
        "      extras_require={'dev': ['black==22.1.0'], 'pdf': ['reportlab==1.0']})\n",
    })  # fmt: skip
    manifests = read_manifests(tmp_path)
    assert {"setup.cfg", "setup.py"} <= set(manifests.files)
    pins, unpinned = pinned(manifests.declared)
    assert {p.name for p in pins} == {"pyyaml", "pytest", "urllib3", "black"}
    assert [u["name"] for u in unpinned] == ["click"]
    assert "setup.cfg" in unpinned[0]["reason"]


def test_a_broken_manifest_is_named_not_fatal(tmp_path: Path):
    write(tmp_path, {"setup.py": "setup(install_requires=[\n", "requirements.txt": "flask==2.0.1"})
    manifests = read_manifests(tmp_path)
    assert manifests.problems and manifests.problems[0].startswith("setup.py: SyntaxError")
    assert pins_of(tmp_path) == {"flask": ("2.0.1", "requirements.txt")}


# --- the offline advisory database ------------------------------------------------------------


def osv_dir(root: Path) -> Path:
    """A tiny OSV export, written here (not real advisories)."""
    records = {
        "TEST-2024-1.json": {
            "id": "TEST-2024-1", "modified": "2024-05-01T00:00:00Z", "summary": "range",
            "aliases": ["CVE-0000-0001"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Flask"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [
                              {"introduced": "0"}, {"fixed": "2.2.5"},
                              {"introduced": "2.3.0"}, {"fixed": "2.3.2"}]}]}],
        },
        "TEST-2024-2.json": {
            "id": "TEST-2024-2", "modified": "2024-06-02T00:00:00Z", "summary": "listed",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                          "versions": ["2.19.0"]}],
        },
        "TEST-2024-3.json": {
            "id": "TEST-2024-3", "modified": "2024-07-03T00:00:00Z", "withdrawn": "2024-07-04",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "httpx"},
                          "versions": ["0.28.1"]}],
        },
        "TEST-2024-4.json": {
            "id": "TEST-2024-4", "modified": "2024-04-04T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [
                              {"introduced": "2.0"}, {"last_affected": "2.10"}]}]}],
        },
        "npm.json": {"id": "NPM-1", "modified": "2025-01-01T00:00:00Z",
                     "affected": [{"package": {"ecosystem": "npm", "name": "flask"},
                                   "versions": ["2.0.1"]}]},
    }  # fmt: skip
    folder = root / "osv"
    folder.mkdir()
    for name, record in records.items():
        (folder / name).write_text(json.dumps(record))
    return folder


@pytest.mark.parametrize(
    ("name", "version", "ids"),
    [
        ("flask", "2.0.1", ["TEST-2024-1"]),
        ("flask", "2.2.5", []),  # the fix
        ("flask", "2.3.1", ["TEST-2024-1"]),  # the second range
        ("flask", "2.3.2", []),
        ("requests", "2.19.0", ["TEST-2024-2"]),
        ("requests", "2.19.1", []),
        ("httpx", "0.28.1", []),  # withdrawn
        ("jinja2", "2.10", ["TEST-2024-4"]),  # last_affected is included
        ("jinja2", "2.10.1", []),
        ("jinja2", "1.9", []),
    ],
)
def test_osv_matching(tmp_path: Path, name: str, version: str, ids: list[str]):
    db = advisories.read_osv(osv_dir(tmp_path))
    assert [r["id"] for r in db.advisories(name, version)] == ids


def test_vulnerable_pin_is_a_finding_with_the_database_date(tmp_path: Path):
    folder = osv_dir(tmp_path)
    service = write(tmp_path / "svc", {"requirements.txt": "Flask==2.0.1\nrequests==2.19.1\n"})
    findings, data = check_dependencies(service, str(folder))
    assert data["status"] == "fail"
    assert data["database"]["date"] == "2025-01-01"  # the newest record, npm's included
    assert data["audited"] == ["flask", "requests"]
    [f] = findings
    assert (f.cwe, f.severity, f.location) == ("CWE-1395", "high", "requirements.txt")
    assert f.evidence["advisories"][0]["id"] == "TEST-2024-1"
    assert f.evidence["fix_versions"] == "2.2.5, 2.3.2"

    write(service, {"requirements.txt": "Flask==2.2.5\nrequests==2.19.1\n"})
    findings, data = check_dependencies(service, str(folder))
    assert (findings, data["status"]) == ([], "pass")


def test_no_database_is_not_checked_with_the_fix(tmp_path: Path, monkeypatch):
    # What pip-audit answers here, where only the package index is reachable.
    skipped = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}]}
    monkeypatch.setattr(sec_pip_audit, "_invoke", lambda pins, timeout_s: (skipped, ""))
    service = write(tmp_path, {"requirements.txt": "flask==2.0.1\n"})
    findings, data = check_dependencies(service)
    assert findings == [] and data["status"] == "not checked"
    assert "no advisory database" in data["reason"] and "bdev advisories update" in data["reason"]
    assert "not found on PyPI" in data["reason"]


def test_a_configured_database_that_is_missing_is_named(tmp_path: Path):
    service = write(tmp_path, {"requirements.txt": "flask==2.0.1\n"})
    _, data = check_dependencies(service, str(tmp_path / "nope"))
    assert data["status"] == "not checked" and str(tmp_path / "nope") in data["reason"]


def test_advisories_update_fills_the_cache_the_audit_then_uses(tmp_path: Path, empty_cache):
    from bdev.cli import _register, app

    _register()
    folder = osv_dir(tmp_path)
    result = CliRunner().invoke(app, ["advisories", "update", "--from", str(folder)])
    assert result.exit_code == 0, result.output
    assert "dated 2025-01-01" in result.output
    db = advisories.locate(None)
    assert db is not None and db.location.startswith(str(empty_cache))
    assert db.records == 3  # PyPI's only, the withdrawn one dropped
    service = write(tmp_path / "svc", {"requirements.txt": "requests==2.19.0\n"})
    findings, data = check_dependencies(service)
    assert data["status"] == "fail" and data["checker"].startswith("OSV advisory snapshot of")
    assert findings[0].evidence["database_date"] == "2025-01-01"

    bad = CliRunner().invoke(app, ["advisories", "update", "--from", str(tmp_path / "none")])
    assert bad.exit_code != 0
