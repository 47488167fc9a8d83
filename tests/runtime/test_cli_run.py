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

from support.runtime import write_agent

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
    types = [e["type"] for e in evs]
    assert types[0] == "session_start" and types[-1] == "end"
    assert "tool_start" in types and "tool_end" in types and "model_call" in types


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
            {
                "tool_calls": [
                    {"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}
                ]
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
        if event["type"] == "tool_start" and event["name"] == "Bash":
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
