"""A program-led document: bdev lays out the sections, the model writes each one
(`workflow.document`)."""

from __future__ import annotations

from pathlib import Path

from bdev.llm.scripted import ScriptedModel
from bdev.runtime.dispatch import Overrides, Route, RunRequest, WorkflowMode, start
from bdev.runtime.limits import RunStatus
from bdev.runtime.session import find_session, read_events
from bdev.workflow.document import DocumentRun, DocumentTask, checked
from support.runtime import agent_def, make_runner, write_agent

BRIEF = (
    "# Bookshelf\n\nReaders keep a list of books they want to read: add a book (title, "
    "author), list their books, and mark a book as read."
)
BOUNDARIES = (
    "- One service, `bookshelf-api`, owns readers, books and reading state.\n"
    "- Authentication is a bearer token issued by `POST /auth/token`; every books route "
    "checks it and scopes queries to the reader.\n"
    "- Nothing else talks to the database: other clients go through the HTTP API."
)
SCHEMA = (
    "- `readers(id, email unique, password_hash)`; `books(id, reader_id -> readers.id, "
    "title, author, read_at null)` with an index on `(reader_id, read_at)`.\n"
    "- Marking a book read sets `read_at`; listing filters by the token's reader."
)


def answer(text: str) -> dict[str, str]:
    return {"content": text}


def test_sections_come_from_the_task_title() -> None:
    task = DocumentTask.from_title(
        "odyssey/architecture/backend-services.md",
        "Backend architecture: service boundaries, API contracts, database schema and data "
        "flow, security",
        ("odyssey/brief.md",),
    )
    assert task.title == "Backend architecture"
    assert task.sections == (
        "service boundaries",
        "API contracts",
        "database schema and data flow",
        "security",
    )
    single = DocumentTask.from_title("review.md", "Review the design for feasibility")
    assert single.sections == ("Review the design for feasibility",)


def test_each_section_is_one_checked_answer_and_a_copy_of_the_inputs_is_asked_again(
    workspace: Path,
) -> None:
    (workspace / "brief.md").write_text(BRIEF)
    task = DocumentTask("arch.md", "Backend architecture", ("service boundaries", "schema"),
                        ("brief.md",))  # fmt: skip
    copy_of_brief = BRIEF.split("\n\n", 1)[1] + "\n" + BRIEF.split("\n\n", 1)[1]
    runner = make_runner(
        workspace, [answer(copy_of_brief), answer(BOUNDARIES), answer("Too short."), answer(SCHEMA)]
    )
    session_id, result = DocumentRun(runner, task).start("write it", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert result.steps == 4
    text = (workspace / "arch.md").read_text()
    assert text.startswith("# Backend architecture\n")
    assert "## Service boundaries\n\n" + BOUNDARIES in text
    assert "## Schema\n\n" + SCHEMA in text
    assert "Readers keep a list" not in text  # the copied answer was not kept
    events = read_events(find_session(workspace, session_id))
    errors = [e["errors"][0] for e in events if e["type"] == "format_error"]
    assert errors[0].startswith("service boundaries: it repeats the documents")
    assert errors[1].startswith("schema: 2 words: too short")
    sections = [e["section"] for e in events if e["type"] == "phase" and e["name"] == "section"]
    assert sections == ["service boundaries", "schema"]


def test_a_section_no_answer_passes_says_so(workspace: Path) -> None:
    task = DocumentTask("doc.md", "Plan", ("risks",))
    runner = make_runner(workspace, [answer("No.")] * 3)
    _, result = DocumentRun(runner, task).start("write it", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert (
        "## Risks\n\n_Not written: no answer passed bdev's checks._"
        in (workspace / "doc.md").read_text()
    )
    assert "0 of 1 sections" in result.final


def test_headings_and_fences_are_taken_off_an_answer() -> None:
    body, problem = checked("```markdown\n## Security\n" + SCHEMA + "\n```", "")
    assert problem == ""
    assert body == SCHEMA


def test_dispatch_takes_the_document_route_on_a_small_model_only(workspace: Path) -> None:
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text('[models."scripted:doc"]\nsmall = true\n')
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write")
    task = DocumentTask("plan.md", "Plan", ("risks",))

    def request(model: str, turns: list[dict]) -> RunRequest:
        scripted = ScriptedModel.from_turns(turns)
        return RunRequest(
            task="Task plan: write plan.md", workspace=workspace, agent="dev", model=model,
            overrides=Overrides(permission_mode="bypassPermissions"),
            workflow=WorkflowMode.NONE, model_factory=lambda _spec: scripted, document=task,
        )  # fmt: skip

    small = start(request("scripted:doc", [answer(SCHEMA)]))
    assert small.route is Route.DOCUMENT and small.exit_code == 0
    assert SCHEMA in (workspace / "plan.md").read_text()
    # Any other model writes it in the loop, with its tools, as any task.
    call = {"name": "Write", "arguments": {"file_path": "plan.md", "content": "by the loop"}}
    large = start(request("scripted:big", [{"tool_calls": [call]}, {"content": "done"}]))
    assert large.route is Route.LOOP and large.exit_code == 0
    assert (workspace / "plan.md").read_text() == "by the loop"


def test_a_looping_answer_keeps_each_point_once_and_at_most_fifteen() -> None:
    points = [f"- Point {n}: something specific about the books API number {n}." for n in range(20)]
    looping = "\n".join(points[:3] + [points[2]] * 30 + points[3:])
    body, problem = checked(looping, "")
    assert problem == ""
    kept = body.splitlines()
    assert kept == points[:15]
