"""bdev's offline docs: installed distributions found by name, their docs by topic, and
the MCP tool names and rules that reach them."""

from __future__ import annotations

from importlib import metadata

import pytest

from bdev.errors import BdevError
from bdev.mcp import libdocs
from bdev.mcp.names import matches, server_of, tool_name
from bdev.tools.policy import Rule


def test_a_library_is_found_by_its_name_or_its_import_name() -> None:
    assert libdocs.resolve("Jinja2")[0].id == "/pypi/jinja2"
    assert libdocs.resolve("yaml")[0].name == metadata.distribution("PyYAML").metadata["Name"]
    assert libdocs.resolve("no-package-is-called-this") == []


def test_docs_put_the_topic_first_and_keep_to_the_budget() -> None:
    text = libdocs.docs("/pypi/jinja2", topic="sandboxed environment", tokens=600)
    assert text.startswith(f"# Jinja2 {metadata.version('jinja2')}\n")
    titles = [part.split("\n", 1)[0] for part in text.split("\n## ")[1:]]
    assert "SandboxedEnvironment" in titles[0]
    assert any(t.startswith("class jinja2.sandbox.SandboxedEnvironment(") for t in titles[:3])
    assert len(text) <= 600 * libdocs.CHARS_PER_TOKEN + 100
    assert "more sections left out" in text
    bigger = libdocs.docs("/pypi/jinja2", topic="sandboxed environment", tokens=3000)
    assert len(bigger) > len(text)


def test_docs_without_a_topic_start_with_the_readme_and_ids_may_be_loose() -> None:
    text = libdocs.docs("/pallets/jinja@3", tokens=500)  # a Context7-style id
    assert "\n## README" in text
    with pytest.raises(LookupError, match="no installed library 'nothing-here'"):
        libdocs.docs("nothing-here")


def test_docstrings_are_read_without_importing(tmp_path, monkeypatch) -> None:
    site = tmp_path / "site"
    pkg = site / "boomlib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        'raise SystemExit("imported!")\n'
        "def fetch(url: str, retries: int = 3):\n"
        '    """Fetch a URL, retrying on timeouts."""\n'
    )
    info = site / "boomlib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: boomlib\nVersion: 1.0\nSummary: Booms.\n"
    )
    (info / "RECORD").write_text("boomlib/__init__.py,,\n")
    text = libdocs.docs("boomlib", topic="retry timeouts", sites=(str(site),))
    assert "## boomlib.fetch(url: str, retries: int=3)\nFetch a URL, retrying on timeouts." in text


def test_mcp_names_patterns_and_rules_agree() -> None:
    assert tool_name("context7", "get-library-docs") == "mcp__context7__get-library-docs"
    assert tool_name("fs", "read file.v2") == "mcp__fs__read_file_v2"
    assert server_of("mcp__db__*") == "db"
    name = "mcp__db__query"
    for pattern, covered in (
        ("mcp__db", True), ("mcp__db__*", True), ("mcp__db__query", True),
        ("mcp__db__drop", False), ("mcp__dbx", False), ("mcp__d", False),
    ):  # fmt: skip
        assert matches(pattern, name) is covered
        assert Rule.parse(pattern).covers(name) is covered
    with pytest.raises(BdevError, match="an MCP rule names tools, nothing in"):
        Rule.parse("mcp__db(query)")


def test_a_library_is_found_by_the_words_of_its_summary() -> None:
    assert "/pypi/jinja2" in [lib.id for lib in libdocs.resolve("template engine")]
