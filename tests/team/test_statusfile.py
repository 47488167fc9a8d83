"""Status files: the checklist format, errors that name the line, and mark edits that
change one character under a lock and never overwrite a person's edit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bdev.team.board import load_board
from bdev.team.statusfile import (
    Kind,
    Mark,
    StaleLine,
    StatusError,
    parse_status,
    read_status,
    set_mark,
)

GOOD = """# Milestone 1

Some prose a person wrote. - [ ] is not a task when it does not start the line.

## Design
- [x] spec: Write the spec (owner: orchestrator; writes: spec.md)
- [ ] api: Build the API (owner: backend-developer; after: spec; reads: spec.md, notes/; writes: api.md; kind: implement; reviewer: code-reviewer)

## Checks
* [~] qa: Test it (owner: qa-engineer; after: api, spec)
- [!] sec: Security review (owner: security-reviewer; after: api)
"""  # noqa: E501


def test_a_status_file_reads_as_tasks_with_sections(tmp_path: Path) -> None:
    status = parse_status(GOOD, tmp_path / "status.md")
    spec, api, qa, sec = status.tasks
    assert (spec.mark, spec.owner, spec.writes, spec.section) == (
        Mark.DONE, "orchestrator", ("spec.md",), "Design"
    )  # fmt: skip
    assert api.after == ("spec",) and api.reads == ("spec.md", "notes/")
    assert (api.kind, api.reviewer, api.line) == (Kind.IMPLEMENT, "code-reviewer", 7)
    assert (qa.mark, qa.after, qa.section) == (Mark.ACTIVE, ("api", "spec"), "Checks")
    assert sec.mark is Mark.BLOCKED and sec.kind is Kind.DOC


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("- [ ] api Build it (owner: a)", "not a task line; write it as `- [ ] task-id"),
        ("- [ ] api: Build it", "not a task line"),
        ("- [?] api: Build it (owner: a)", "unknown mark [?]"),
        ("- [ ] api: Build it (after: spec)", "task 'api' has no owner"),
        ("- [ ] api: Build (owner: a; by: b)", "'by: b': expected `key: value`"),
        ("- [ ] api: Build (owner: a; owner: b)", "'owner' is given twice"),
        ("- [ ] api: B (owner: a; kind: deploy)", "kind 'deploy': use doc or implement"),
        ("- [ ] api: Build (owner: a; reviewer: )", "'reviewer' is empty"),
        ("- [ ] a/b: Build (owner: a)", "task id 'a/b': use letters, digits"),
        ("- [ ] api: A (owner: a)\n- [ ] api: B (owner: b)", "4: task id 'api' is used twice"),
    ],
)
def test_a_malformed_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "status.md"
    path.write_text(f"# Status\n\n{line}\n")
    with pytest.raises(StatusError) as raised:
        read_status(path)
    where = "" if message[0].isdigit() else "3: "  # the line: file:LINE: what is wrong
    assert str(raised.value).startswith(f"{path}:{where}{message}")


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(StatusError, match=r"no such status file .*bdev team init"):
        read_status(tmp_path / "nope.md")


def test_ticking_changes_one_character_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    text = GOOD.replace("\n", "\r\n") + "trailing words without a newline"
    path.write_bytes(text.encode())
    api = read_status(path).tasks[1]
    ticked = set_mark(api, Mark.DONE)
    after = path.read_bytes().decode()
    assert after == text.replace("- [ ] api:", "- [x] api:")
    assert ticked.mark is Mark.DONE and ticked.text.startswith("- [x] api:")
    assert not list(tmp_path.glob(".status.md.*.tmp"))  # the temp file was renamed
    assert (tmp_path / ".status.md.lock").exists()  # the sidecar lock


def test_a_person_s_edit_since_reading_wins(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    path.write_text(GOOD)
    api = read_status(path).tasks[1]
    # A person adds a line above (the task moves: still found by its id) ...
    path.write_text(GOOD.replace("## Design\n", "## Design\nA new note.\n"))
    assert set_mark(api, Mark.ACTIVE).line == 8
    # ... then changes the task's own line: bdev refuses and says what changed.
    moved = read_status(path).tasks[1]
    path.write_text(path.read_text().replace("Build the API", "Build the API in Go"))
    with pytest.raises(StaleLine, match=r"status.md:8: task 'api' changed since bdev read it"):
        set_mark(moved, Mark.DONE)
    assert "- [~] api: Build the API in Go" in path.read_text()
    # A task a person removed is not brought back.
    path.write_text(GOOD.replace(GOOD.splitlines()[6] + "\n", ""))
    with pytest.raises(StaleLine, match="no longer there"):
        set_mark(moved, Mark.DONE)


def test_concurrent_ticks_of_one_file_all_land(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    path.write_text("# S\n" + "".join(f"- [ ] t{i}: T (owner: a)\n" for i in range(24)))
    tasks = read_status(path).tasks
    threads = [threading.Thread(target=set_mark, args=(t, Mark.DONE)) for t in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_text().count("- [x]") == 24


def test_the_board_orders_ready_tasks_and_checks_dependencies(tmp_path: Path) -> None:
    phases, milestone = tmp_path / "phases.md", tmp_path / "m1.md"
    phases.write_text("- [x] a: A (owner: x)\n- [ ] c: C (owner: x; after: b)\n")
    milestone.write_text("- [ ] b: B (owner: y; after: a)\n- [~] d: D (owner: y; after: a)\n")
    board = load_board([phases, milestone])
    assert [t.id for t in board.ready()] == ["d", "b"]  # the interrupted one first
    c = board.get("c")
    assert c is not None and [(t.id, t.owner) for t in board.waiting_on(c)] == [("b", "y")]

    milestone.write_text("- [ ] b: B (owner: y; after: a, zz)\n")
    with pytest.raises(StatusError, match=r"m1.md:1: after: no task 'zz'"):
        load_board([phases, milestone])
    milestone.write_text("- [ ] b: B (owner: y; after: c)\n")
    with pytest.raises(StatusError, match=r"dependency cycle (c -> b -> c|b -> c -> b)"):
        load_board([phases, milestone])
    milestone.write_text("- [ ] a: again (owner: y)\n")
    with pytest.raises(StatusError, match=r"m1.md:1: task id 'a' is already used at .*phases.md:1"):
        load_board([phases, milestone])
