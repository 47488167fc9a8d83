"""Step 0: the environment the service's own code runs in (tests, migrations, server).

- `--python` / `[audit] python`: that interpreter as it is; nothing is built.
- No dependency files: bdev's own interpreter, as before.
- bdev's own interpreter already satisfies every declared requirement (and the Python
  version asked for): it is used, nothing is built. This keeps audits of services bdev can
  already run fast and offline.
- Otherwise a virtualenv with what the service declares, plus pytest and coverage when it
  does not declare them, built with uv (or venv + pip) and cached by content.

Tools that never import the service (bandit, pip-audit, schemathesis, the load generator)
stay in bdev's environment.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from bdev.backend.audit import envcache, installers
from bdev.backend.audit.depfiles import Declared, Dependencies, read_dependencies
from bdev.backend.audit.interpreters import Choice, Interpreter, choose, describe, own_interpreter
from bdev.backend.audit.procs import Completed, run_bounded, tail
from bdev.backend.audit.results import StepResult
from bdev.backend.testgen import GENERATED, is_ours

AUDIT_TOOLS = ("pytest", "coverage")  # what the audit runs inside the service's environment
# What bdev's generated test module imports besides the service (the ASGI test client
# needs httpx); installed only when that module is in the tree.
GENERATED_TESTS_TOOLS = ("jsonschema", "httpx")
_CHECK_TOOLS = (
    "import importlib.util as u; "
    "print(' '.join(m for m in ('pytest', 'coverage') if u.find_spec(m) is None))"
)

Progress = Callable[[str], None]


@dataclass
class ServiceEnv:
    python: str  # the interpreter tests, migrations and the server run with
    env: dict[str, str] = field(default_factory=dict)  # added to their environment


class EnvironmentFailure(Exception):
    """The environment could not be made; `result` is the step's record of why."""

    def __init__(self, result: StepResult) -> None:
        super().__init__(result.summary)
        self.result = result


def prepare(
    root: Path,
    workdir: Path,
    *,
    python: str | None,
    timeout_s: float,
    progress: Progress,
    use_uv: bool = True,
) -> tuple[StepResult, ServiceEnv]:
    """The step's result and the environment to use; raises EnvironmentFailure.
    `use_uv=False` builds with venv + pip even where uv is installed."""
    start = time.monotonic()
    if python:
        result, env = _given(python)
    else:
        uv = installers.find_uv() if use_uv else None
        result, env = _for_project(root.resolve(), workdir, timeout_s, progress, uv)
    result.duration_s = round(time.monotonic() - start, 3)
    return result, env


def _given(python: str) -> tuple[StepResult, ServiceEnv]:
    found = describe(python)
    if found is None:
        raise EnvironmentFailure(_error(f"cannot run the given interpreter {python}", {}))
    data: dict[str, Any] = {
        "python": python,
        "python_version": found.version_text,
        "how": "given (--python or [audit] python): used as it is, nothing built",
    }
    missing = _missing_tools(python)
    summary = f"Python {found.version_text} at {python}, as given; nothing built"
    if missing:
        data["missing_tools"] = missing
        summary += f"; it lacks {', '.join(missing)}, which the tests step needs"
    return _ok(summary, data), ServiceEnv(python, _venv_vars(Path(python).parent.parent))


def _for_project(
    root: Path, workdir: Path, timeout_s: float, progress: Progress, uv: str | None
) -> tuple[StepResult, ServiceEnv]:
    deps = read_dependencies(root)
    own = own_interpreter()
    if deps.empty:
        data = {"python": own.path, "python_version": own.version_text, "dependency_files": []}
        data["how"] = "no dependency files: bdev's own interpreter"
        summary = f"no dependency files found: bdev's own Python {own.version_text}"
        return _ok(summary, data), ServiceEnv(own.path)

    choice = choose(deps.python)
    data = _base_data(deps, choice)
    return _virtualenv(deps, choice, workdir, timeout_s, progress, uv, data)


def _virtualenv(
    deps: Dependencies,
    choice: Choice,
    workdir: Path,
    timeout_s: float,
    progress: Progress,
    uv: str | None,
    data: dict[str, Any],
) -> tuple[StepResult, ServiceEnv]:
    """The cached virtualenv for these requirements on this interpreter, built if absent."""
    root = deps.root
    tools = AUDIT_TOOLS + (GENERATED_TESTS_TOOLS if _has_generated_tests(root) else ())
    added = [t for t in tools if canonicalize_name(t) not in deps.names()]
    local = bool(deps.opaque) or any("file:" in line for line in deps.generated)
    key = envcache.cache_key(
        deps.content_digest(), choice.interpreter, added, root if local else None
    )
    target = envcache.cache_root() / key
    data.update(key=key, path=str(target), added=added)

    info = envcache.cached(target)
    if info is not None and describe(str(envcache.env_python(target))) is None:
        envcache.discard(target)  # its base interpreter is gone: build it again
        info = None
    if info is None:
        build = _Build(deps, choice.interpreter, added, workdir, timeout_s, uv)
        info = build.run(target, progress, data)
        data["cache"] = "fresh"
    else:
        data["cache"] = "hit"
    data.update(
        python=str(envcache.env_python(target)),
        installer=info.get("installer"),
        build_s=info.get("build_s"),
    )
    data["how"] = f"virtualenv built with {info.get('installer')} ({data['cache']})"
    if data["cache"] == "fresh":
        head = f"built with {info.get('installer')} in {info.get('build_s', 0):.1f} s"
    else:
        head = f"cached environment (built with {info.get('installer')})"
    summary = (
        f"{head}: Python {choice.interpreter.version_text},"
        f" {len(deps.declared) + len(deps.opaque)} requirements from {_files(deps)}"
        + (f" (+ {', '.join(added)})" if added else "")
    )
    return _ok(_noted(summary, choice), data), ServiceEnv(data["python"], _venv_vars(target))


@dataclass
class _Build:
    """One virtualenv build: create, install, commit into the cache."""

    deps: Dependencies
    base: Interpreter
    added: list[str]
    workdir: Path
    timeout_s: float
    uv: str | None

    @property
    def tool(self) -> str:
        return "uv" if self.uv else "pip"

    def run(self, target: Path, progress: Progress, data: dict[str, Any]) -> dict[str, Any]:
        count = len(self.deps.declared) + len(self.deps.opaque)
        progress(
            f"environment: building the service's environment with {self.tool}"
            f" (Python {self.base.version_text}): {count} requirements…"
        )
        start = time.monotonic()
        deadline = start + self.timeout_s
        with envcache.build_dir(target) as venv:
            for label, argv, env in self._commands(venv):
                run = run_bounded(
                    argv,
                    cwd=self.deps.root,
                    timeout_s=max(1.0, deadline - time.monotonic()),
                    log=self.workdir / f"environment-{label}.log",
                    env=env,
                    # pip/uv themselves, not the service's code: they need the index, the
                    # user's installer configuration (PIP_*, certificates) and caches.
                    sandboxed=False,
                )
                if run.returncode != 0:
                    raise EnvironmentFailure(self._failed(label, run, data))
            info = {
                "installer": self.tool,
                "python_version": self.base.version_text,
                "base_python": self.base.path,
                "build_s": round(time.monotonic() - start, 3),
                "dependency_files": self.deps.files,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            envcache.commit(venv, target, info)
        return info

    def _commands(self, venv: Path) -> list[tuple[str, list[str], dict[str, str]]]:
        generated = self.workdir / "bdev-requirements.txt"
        generated.write_text("".join(f"{line}\n" for line in self.deps.generated))
        files = [*self.deps.requirement_files, *([generated] if self.deps.generated else [])]
        reqs = [arg for f in files for arg in ("-r", str(f))]
        python = str(envcache.env_python(venv))
        if self.uv:
            settings = installers.pip_settings()
            env = installers.uv_env(settings)
            install = [self.uv, "pip", "install", "--python", python, *settings.uv_args()]
            return [
                (
                    "create",
                    [self.uv, "venv", "--quiet", "--python", self.base.path, str(venv)],
                    env,
                ),
                ("install", [*install, *reqs, *self.added], env),
            ]
        env = installers.pip_env()
        return [
            ("create", [self.base.path, "-m", "venv", str(venv)], env),
            (
                "install",
                [python, "-m", "pip", "install", "--progress-bar", "off", *reqs, *self.added],
                env,
            ),
        ]

    def _failed(self, label: str, run: Completed, data: dict[str, Any]) -> StepResult:
        tool = self.tool
        data = {**data, "installer": tool, "installer_output_tail": tail(run.output, 15)}
        if run.timed_out:
            return _error(
                f"building the environment with {tool} timed out after {self.timeout_s:g} s", data
            )
        if label == "create":
            why = installers.explain_failure(run.output, []).reason
            return _error(f"could not create a virtualenv with {tool}: {why}", data)
        added = [Declared(t, "added by bdev") for t in self.added]
        failure = installers.explain_failure(
            run.output, [*self.deps.declared, *self.deps.opaque, *added]
        )
        data.update(
            failing_requirement=failure.requirement,
            declared_in=failure.source,
            reason=failure.reason,
        )
        which = (
            f"{failure.requirement} ({failure.source})" if failure.requirement else "a requirement"
        )
        return _error(
            f"could not install the service's dependencies with {tool}: {which}: {failure.reason}",
            data,
        )


def _has_generated_tests(root: Path) -> bool:
    path = root / GENERATED
    return path.is_file() and is_ours(path)


def _missing_tools(python: str) -> list[str]:
    try:
        run = subprocess.run(
            [python, "-c", _CHECK_TOOLS], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return run.stdout.split() if run.returncode == 0 else []


def _venv_vars(env_dir: Path) -> dict[str, str]:
    """Console scripts of a virtualenv (uvicorn, gunicorn, alembic) come before others."""
    if not (env_dir / "pyvenv.cfg").is_file():
        return {}
    path = f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"PATH": path, "VIRTUAL_ENV": str(env_dir)}


def _base_data(deps: Dependencies, choice: Choice) -> dict[str, Any]:
    data: dict[str, Any] = {
        "python": choice.interpreter.path,
        "python_version": choice.interpreter.version_text,
        "python_choice": choice.reason,
        "dependency_files": deps.files,
        "requirements": len(deps.declared) + len(deps.opaque),
    }
    if choice.note:
        data["python_note"] = choice.note
    return data


def _files(deps: Dependencies) -> str:
    shown = deps.files[:4]
    return ", ".join(shown) + (f" and {len(deps.files) - 4} more" if len(deps.files) > 4 else "")


def _noted(summary: str, choice: Choice) -> str:
    return f"{summary}; note: {choice.note}" if choice.note else summary


def _ok(summary: str, data: dict[str, Any]) -> StepResult:
    return StepResult(name="environment", status="ok", summary=summary, data=data)


def _error(summary: str, data: dict[str, Any]) -> StepResult:
    return StepResult(name="environment", status="error", summary=summary, data=data)
