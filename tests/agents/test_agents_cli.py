from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bdev.agents.registry import BUILTIN_DIR
from bdev.cli.agents_cmd import app
from bdev.errors import BdevError

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def project(tmp_path: Path, write, definition) -> Path:
    write(
        "proj/.claude/agents/reviewer.md", definition(name="security-reviewer", description="Ours.")
    )
    write("proj/.claude/agents/bad.md", "---\nname: bad\ndescription: d\ntools: Bsh\n---\n")
    return tmp_path / "proj"


def test_list_marks_overridden_and_broken(project: Path) -> None:
    result = run("list", "--workspace", str(project))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    ours = next(line for line in lines if "Ours." in line)
    assert "security-reviewer" in ours and "project" in ours and "ok" in ours
    builtin = next(line for line in lines if "security-reviewer" in line and "builtin" in line)
    assert "overridden" in builtin
    bad = next(line for line in lines if "bad.md" in line)
    assert 'unknown tool "Bsh"' in bad and "broken" in bad
    assert "general-purpose" in result.output


def test_list_with_agents_dir(tmp_path: Path, write, definition) -> None:
    write("extra/a.md", definition(name="kafka-expert", description="Kafka [streams] work."))
    result = run("list", "--workspace", str(tmp_path), "--agents-dir", str(tmp_path / "extra"))
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "kafka-expert" in line)
    assert "dir" in row and "Kafka [streams] work." in row  # brackets are not rich markup


def test_show_prints_fields_tools_and_body(tmp_path: Path) -> None:
    result = run("show", "security-reviewer", "--workspace", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "source    builtin" in result.output
    assert "tools     Read, Grep, Glob, LS, Bash" in result.output
    assert "examples  2" in result.output
    assert "CWE-89" in result.output  # the body


def test_show_a_file_path(seeds: list[Path]) -> None:
    result = run("show", str(seeds[0]))
    assert result.exit_code == 0, result.output
    assert "name      Backend-Developer" in result.output
    assert "examples  3" in result.output
    assert "double-encoded" in result.output
    assert "âœ…" in result.output


def test_show_unknown_is_a_user_error(tmp_path: Path) -> None:
    result = run("show", "nope", "--workspace", str(tmp_path))
    assert isinstance(result.exception, BdevError)
    assert "available: backend-developer" in str(result.exception)


def test_validate_discovered_reports_every_problem(project: Path) -> None:
    result = run("validate", "--workspace", str(project))
    assert result.exit_code == 1 and not isinstance(result.exception, ValueError)
    assert ':4: tools: unknown tool "Bsh"' in result.output
    checked = len(list(BUILTIN_DIR.glob("*.md"))) + 2  # the built-ins and the project's two
    assert f"checked {checked} files: 1 error in 1 file, 1 warning" in result.output


def test_validate_discovered_in_a_clean_workspace_passes(tmp_path: Path) -> None:
    result = run("validate", "--workspace", str(tmp_path))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_validate_paths(tmp_path: Path, write, definition) -> None:
    good = write("good.txt", definition())
    result = run("validate", str(good))
    assert result.exit_code == 0, result.output
    assert "checked 1 file: 0 errors in 0 files, 0 warnings" in result.output

    bad = write("bad.md", "---\nname: two words\ntools: Bsh\n---\n")
    result = run("validate", str(good), str(bad))
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "bad.md:" in line]
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in problems] == ["1", "2", "3", "5"]


def test_validate_seeds_pass_with_a_warning(seeds: list[Path]) -> None:
    result = run("validate", str(seeds[0].parent / "000_a2f0cfa23df4a549.txt"))
    assert result.exit_code == 0, result.output
    assert "1 warning" in result.output
    assert run("validate", "--strict", str(seeds[0])).exit_code == 1


def test_validate_a_folder_and_a_missing_file(tmp_path: Path, write, definition) -> None:
    write("defs/a.md", definition(name="a"))
    write("defs/nested/b.md", "---\nname: b\n---\n")
    result = run("validate", str(tmp_path / "defs"), str(tmp_path / "missing.md"))
    assert result.exit_code == 1
    assert "b.md:1: description: missing (required)" in result.output
    assert "missing.md:1: file: cannot read" in result.output
    assert "checked 3 files: 2 errors in 2 files, 1 warning" in result.output
