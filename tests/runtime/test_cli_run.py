"""`bdev run` and `bdev sessions` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.runtime import events, write_agent

pytestmark = pytest.mark.slow  # each test starts bdev as a process

BDEV = [sys.executable, "-m", "bdev"]


def bdev(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BDEV, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def env() -> dict[str, str]:
    """The child's environment: the suite's isolated HOME and config dir (conftest)."""
    return dict(os.environ)


def script(path: Path, turns: list[dict]) -> str:
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def test_run_with_scripted_model_text_output(workspace: Path, env: dict, tmp_path: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "maker", tools="Write")
    model = script(
        tmp_path / "s.json",
        [
            {
                "tool_calls": [
                    {"name": "Write", "arguments": {"file_path": "app.txt", "content": "ok"}}
                ]
            },
            {"content": "wrote app.txt"},
        ],
    )
    r = bdev(
        "run",
        "make app.txt",
        "--agent",
        "maker",
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--permission-mode",
        "acceptEdits",
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "wrote app.txt" in r.stdout
    assert (workspace / "app.txt").read_text() == "ok"
    assert "completed" in r.stderr


def test_stream_json_prints_one_event_per_line(workspace: Path, env: dict, tmp_path: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "maker", tools="LS")
    model = script(
        tmp_path / "s.json",
        [
            {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]},
            {"content": "listed"},
        ],
    )
    r = bdev(
        "run",
        "list",
        "--agent",
        "maker",
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--output-format",
        "stream-json",
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    evs = [json.loads(line) for line in r.stdout.splitlines()]
    claude_code_consumer(evs)
    # bdev's own events follow as extra types.
    types = [e["type"] for e in evs]
    assert "tool_start" in types and "tool_end" in types and "model_call" in types


def claude_code_consumer(events: list[dict]) -> None:
    """What a consumer written against Claude Code's documented stream-json schema reads:
    system/init first, assistant turns with tool_use blocks, user turns answering each
    tool_use by id, one result last; it skips every type it does not know."""
    known = [e for e in events if e["type"] in ("system", "assistant", "user", "result")]
    init, result = known[0], known[-1]
    assert (init["type"], init["subtype"]) == ("system", "init")
    assert isinstance(init["session_id"], str) and isinstance(init["tools"], list)
    uses: set[str] = set()
    for e in known[1:-1]:
        assert e["session_id"] == init["session_id"] and "parent_tool_use_id" in e
        blocks = e["message"]["content"]
        if e["type"] == "assistant":
            assert e["message"]["role"] == "assistant"
            for block in blocks:
                assert block["type"] in ("text", "tool_use")
                if block["type"] == "tool_use":
                    assert isinstance(block["input"], dict) and block["name"]
                    uses.add(block["id"])
        else:
            assert e["type"] == "user" and e["message"]["role"] == "user"
            for block in blocks:
                assert block["type"] == "tool_result" and block["tool_use_id"] in uses
                assert isinstance(block["is_error"], bool)
    assert uses, "no tool was used"
    assert result["type"] == "result" and result["session_id"] == init["session_id"]
    assert result["subtype"] == "success" and result["is_error"] is False
    assert isinstance(result["num_turns"], int) and result["num_turns"] >= 1
    assert isinstance(result["duration_ms"], int) and isinstance(result["result"], str)
    assert isinstance(result["total_cost_usd"], float)
    # The system prompt is never streamed.
    assert not any(e.get("message", {}).get("role") == "system" for e in events)


def test_json_output_and_exit_code_on_step_limit(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    write_agent(workspace / ".claude" / "agents", "looper", tools="LS")
    ls = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    model = script(tmp_path / "s.json", [ls] * 5)
    r = bdev(
        "run",
        "loop",
        "--agent",
        "looper",
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--max-steps",
        "2",
        "--output-format",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "max_steps" and out["steps"] == 2


def test_router_picks_an_agent_and_says_why(workspace: Path, env: dict, tmp_path: Path) -> None:
    model = script(tmp_path / "s.json", [{"content": "nothing to do"}])
    r = bdev(
        "run",
        "add a REST API endpoint with database migrations",
        "--model",
        model,
        "--workflow",
        "none",
        "--workspace",
        str(workspace),
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "agent:" in r.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "x", "--agent", "no-such-agent", "--model", "scripted:{s}"], "no-such-agent"),
        (["run", "x", "--agent", "maker", "--model", "bogus:thing"], "bogus"),
        (
            [
                "run",
                "x",
                "--agent",
                "maker",
                "--model",
                "scripted:{s}",
                "--workspace",
                "/nonexistent/ws",
            ],
            "/nonexistent/ws",
        ),
        (
            [
                "run",
                "x",
                "--agent",
                "maker",
                "--model",
                "scripted:{s}",
                "--permission-mode",
                "yolo",
            ],
            "yolo",
        ),
        (
            ["run", "x", "--agent", "maker", "--model", "scripted:/no/such/script.json"],
            "/no/such/script.json",
        ),
        (["sessions", "show", "nope"], "nope"),
    ],
)
def test_bad_input_gets_one_clear_message(
    workspace: Path, env: dict, tmp_path: Path, args: list[str], needle: str
) -> None:
    write_agent(workspace / ".claude" / "agents", "maker", tools="Write")
    s = tmp_path / "s.json"
    s.write_text(json.dumps([{"content": "x"}]))
    args = [a.format(s=s) for a in args]
    if "--workspace" not in args:
        args += ["--workspace", str(workspace)]
    r = bdev(*args, cwd=tmp_path, env=env)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 3, r.stderr


def test_resume_after_the_process_is_killed(workspace: Path, env: dict, tmp_path: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "worker", tools="Write, Bash")
    model = script(
        tmp_path / "s.json",
        [
            {  # not idempotent: a replayed turn would show as a second line
                "tool_calls": [{"name": "Bash", "arguments": {"command": "echo a >> a.txt"}}]
            },
            {
                "tool_calls": [
                    {"name": "Bash", "arguments": {"command": "sleep 2; echo slept > b.txt"}}
                ]
            },
            {
                "tool_calls": [
                    {"name": "Write", "arguments": {"file_path": "c.txt", "content": "c"}}
                ]
            },
            {"content": "all three files written"},
        ],
    )
    proc = subprocess.Popen(
        [
            *BDEV,
            "run",
            "make files",
            "--agent",
            "worker",
            "--model",
            model,
            "--workspace",
            str(workspace),
            "--permission-mode",
            "bypassPermissions",
            "--output-format",
            "stream-json",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    session_id = None
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        event = json.loads(line)
        if event["type"] == "session_start":
            session_id = event["session_id"]
        if event["type"] == "tool_start" and "sleep" in event["arguments"]["command"]:
            os.killpg(proc.pid, signal.SIGKILL)  # killed in the middle of the Bash step
            break
        assert time.monotonic() < deadline
    proc.wait(timeout=30)
    assert session_id is not None
    assert (workspace / "a.txt").exists() and not (workspace / "c.txt").exists()

    listed = bdev("sessions", "list", "--workspace", str(workspace), cwd=tmp_path, env=env)
    assert session_id in listed.stdout and "unfinished" in listed.stdout

    r = bdev(
        "run",
        "--resume",
        session_id,
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--permission-mode",
        "bypassPermissions",
        cwd=tmp_path,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert (workspace / "b.txt").read_text() == "slept\n"  # the interrupted call was re-run
    assert (workspace / "a.txt").read_text() == "a\n"  # and no finished turn was replayed
    assert (workspace / "c.txt").read_text() == "c"
    assert "all three files written" in r.stdout

    shown = bdev(
        "sessions", "show", session_id, "--workspace", str(workspace), cwd=tmp_path, env=env
    )
    assert shown.returncode == 0 and "completed" in shown.stdout

    again = bdev(
        "run",
        "--resume",
        session_id,
        "--model",
        model,
        "--workspace",
        str(workspace),
        cwd=tmp_path,
        env=env,
    )
    assert again.returncode == 2 and "already completed" in again.stderr


def test_a_run_stopped_by_a_limit_resumes_as_it_is(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    write_agent(workspace / ".claude" / "agents", "worker", tools="Write")
    model = script(
        tmp_path / "s.json",
        [
            {
                "tool_calls": [
                    {"name": "Write", "arguments": {"file_path": f"{n}.txt", "content": n}}
                ]
            }
            for n in ("a", "b", "c")
        ]
        + [{"content": "three files"}],
    )
    common = [
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--permission-mode",
        "acceptEdits",
        "--output-format",
        "json",
    ]
    first = bdev(
        "run",
        "write files",
        "--agent",
        "worker",
        "--max-steps",
        "2",
        *common,
        cwd=tmp_path,
        env=env,
    )
    assert first.returncode == 3, first.stderr
    session_id = json.loads(first.stdout)["session_id"]
    assert not (workspace / "c.txt").exists()
    resumed = bdev(
        "run", "--resume", session_id, "--max-steps", "10", *common, cwd=tmp_path, env=env
    )
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["final"] == "three files" and out["status"] == "completed"
    assert (workspace / "c.txt").read_text() == "c"


def test_a_task_carrying_an_openapi_document_takes_the_spec_first_path(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    spec = (Path(__file__).parents[1] / "fixtures" / "specs" / "items.yaml").read_text()
    task = f"Build this API in FastAPI:\n```yaml\n{spec}\n```\n"
    model = script(tmp_path / "s.json", [])  # the model is asked for the one slot: no answer
    r = bdev(
        "run",
        task,
        "--model",
        model,
        "--workspace",
        str(workspace),
        "--no-gates",
        cwd=tmp_path,
        env=env,
    )
    assert "spec-first" in r.stderr, r.stderr
    assert (workspace / "app" / "main.py").is_file()
    assert "archive_item: not implemented" in r.stdout
    assert r.returncode == 9  # an operation left at 501 is never called done


def test_a_spec_first_build_streams_its_steps_as_stream_json(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    spec = (Path(__file__).parents[1] / "fixtures" / "specs" / "items.yaml").read_text()
    task = f"Build this API in FastAPI:\n```yaml\n{spec}\n```\n"
    model = script(tmp_path / "s.json", [])
    r = bdev(
        "run", task, "--model", model, "--workspace", str(workspace), "--no-gates",
        "--output-format", "stream-json", cwd=tmp_path, env=env,
    )  # fmt: skip
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = [e["type"] for e in lines]
    assert kinds[:2] == ["system", "session_start"] and lines[1]["route"] == "spec-first"
    assert "slot" in kinds and "end" not in kinds
    # The last line is the result, with the build report, the session and exit code.
    result = lines[-1]
    assert result["type"] == "result" and result["session_id"] == lines[0]["session_id"]
    assert result["build"]["not_implemented"] == ["archive_item"] and result["exit_code"] == 9
    assert "1 not implemented" in result["result"]
    assert r.returncode == 9


def test_sessions_survive_markup_damage_and_bad_bytes(workspace: Path, env: dict) -> None:
    sessions = workspace / ".bdev" / "sessions"
    sessions.mkdir(parents=True)
    start = {"type": "session_start", "agent": "a", "model": "m", "task": "list [/etc] [bold]"}
    middle = {"type": "end", "status": "completed"}
    (sessions / "s1.jsonl").write_bytes(
        (json.dumps(start) + "\n").encode() + b"\xff\xfe garbage\n" + json.dumps(middle).encode()
        + b"\n"
    )  # fmt: skip
    (sessions / "s2.jsonl").write_bytes(b"\xff\xfe\x00 not a transcript\n")
    listed = bdev("sessions", "list", "--workspace", str(workspace), cwd=workspace, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "[/etc]" in listed.stdout and "unfinished" in listed.stdout
    shown = bdev("sessions", "show", "s1", "--workspace", str(workspace), cwd=workspace, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "task list [/etc] [bold]" in shown.stdout
    # Damage in the middle is named, and what follows it is not taken as the session.
    assert "line 2 of s1.jsonl is damaged" in shown.stderr
    assert "end completed" not in shown.stdout


@pytest.mark.parametrize("fmt", ["json", "stream-json"])
def test_errors_in_machine_formats_are_json_on_stdout_too(
    workspace: Path, env: dict, tmp_path: Path, fmt: str
) -> None:
    r = bdev(
        "run", "--resume", "no-such-session", "--workspace", str(workspace),
        "--output-format", fmt, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert r.returncode != 0 and "no session 'no-such-session'" in r.stderr
    record = json.loads(r.stdout.strip().splitlines()[-1])
    assert record["type"] == "result" and record["is_error"] is True
    assert "no session 'no-such-session'" in record["result"]


def test_user_turns_as_stream_json_on_stdin_continue_one_session(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    write_agent(workspace / ".claude" / "agents", "talker", tools="Read")
    model = script(tmp_path / "s.json", [{"content": "first answer"}, {"content": "second"}])
    turns = [
        {"type": "user", "message": {"role": "user", "content": "hello"}},
        {"type": "user", "message": {"role": "user",
                                     "content": [{"type": "text", "text": "and again"}]}},
    ]  # fmt: skip
    r = subprocess.run(
        [*BDEV, "run", "--agent", "talker", "--model", model, "--workspace", str(workspace),
         "--input-format", "stream-json", "--output-format", "stream-json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        input="\n".join(json.dumps(t) for t in turns) + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    results = [e for e in results if e["type"] == "result"]
    assert [e["result"] for e in results] == ["first answer", "second"]
    assert results[0]["session_id"] == results[1]["session_id"]


def test_the_task_from_stdin_and_from_a_file(workspace: Path, env: dict, tmp_path: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "talker", tools="Read")
    model = script(tmp_path / "s.json", [{"content": "ok"}])
    args = ["--agent", "talker", "--model", model, "--workspace", str(workspace),
            "--output-format", "json"]  # fmt: skip
    piped = subprocess.run(
        [*BDEV, "run", "-", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, input="the task from stdin",
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    (tmp_path / "task.md").write_text("the task from a file")
    from_file = bdev("run", "--task-file", str(tmp_path / "task.md"), *args, cwd=tmp_path, env=env)
    assert from_file.returncode == 0, from_file.stderr
    tasks = [json.loads(p.read_text().splitlines()[0])["task"]
             for p in sorted((workspace / ".bdev" / "sessions").glob("*.jsonl"))]  # fmt: skip
    assert sorted(tasks) == ["the task from a file", "the task from stdin"]


def test_json_output_keeps_warnings_on_stderr(workspace: Path, env: dict, tmp_path: Path) -> None:
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "keeper.md").write_text(
        "---\nname: keeper\ndescription: Remembers things for runtime tests.\ntools: Read\n"
        "memory: project\n---\nYou are a test agent.\n"
    )
    model = script(tmp_path / "s.json", [{"content": "ok"}])
    r = bdev("run", "hi", "--agent", "keeper", "--model", model, "--workspace", str(workspace),
             "--output-format", "json", cwd=tmp_path, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["type"] == "result"
    assert "warning: agent keeper: memory" in r.stderr


def test_max_seconds_stops_a_running_command_and_its_children(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    write_agent(workspace / ".claude" / "agents", "sleeper", tools="Bash")
    model = script(
        tmp_path / "s.json",
        [{"tool_calls": [{"name": "Bash", "arguments": {
            "command": "(sleep 30; touch late-child) & sleep 30; touch late"}}]},
         {"content": "slept"}],
    )  # fmt: skip
    started = time.monotonic()
    r = bdev("run", "sleep", "--agent", "sleeper", "--model", model, "--workspace",
             str(workspace), "--permission-mode", "bypassPermissions", "--max-seconds", "3",
             "--output-format", "json", cwd=tmp_path, env=env)  # fmt: skip
    assert time.monotonic() - started < 25, "the command outlived --max-seconds"
    result = json.loads(r.stdout)
    assert result["status"] == "time_limit" and r.returncode != 0
    time.sleep(1)
    assert not (workspace / "late").exists() and not (workspace / "late-child").exists()


def test_sigterm_mid_command_ends_the_run_as_interrupted(
    workspace: Path, env: dict, tmp_path: Path
) -> None:
    write_agent(workspace / ".claude" / "agents", "sleeper", tools="Bash")
    model = script(
        tmp_path / "s.json",
        [{"tool_calls": [{"name": "Bash", "arguments": {"command": "sleep 30; touch late"}}]}],
    )
    proc = subprocess.Popen(
        [*BDEV, "run", "sleep", "--agent", "sleeper", "--model", model, "--workspace",
         str(workspace), "--permission-mode", "bypassPermissions", "--output-format",
         "stream-json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["type"] == "tool_start":
            proc.send_signal(signal.SIGTERM)
            break
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    [end] = [e for e in events(workspace, _only_session(workspace)) if e["type"] == "end"]
    assert end["status"] == "interrupted" and "interrupted during Bash" in end["detail"]
    time.sleep(1)
    assert not (workspace / "late").exists()


def _only_session(workspace: Path) -> str:
    [path] = (workspace / ".bdev" / "sessions").glob("*.jsonl")
    return path.stem
