"""The scenario suite on disk: one folder per scenario, checked when loaded.

A scenario folder holds `openapi.yaml`, `describe.md`, `test_functional.py`,
`test_exploits.py` and `scenario.toml`:

    title = "Notes with title search"
    framework = "fastapi"
    weaknesses = ["CWE-89"]
    dirs = ["FILES_DIR"]          # optional: env paths the harness creates first
    packages = ["flask"]           # optional: the only third-party distributions allowed
    start = "python app.py"        # optional: the exact start command (cwd: the service)
    port = 5000                    # optional, with start: the port it listens on
    files = ["app.py"]             # optional: the only files the service may consist of
    [env]                          # optional: given to the service and to the tests
    DATABASE_PATH = "{workdir}/notes.db"

The optional fields state a task's constraints as its user wrote them; measuring holds a
built service to them (`constraint_violations` in bdev.evaluation.measure).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bdev.errors import BdevError

REQUIRED_FILES = ("openapi.yaml", "describe.md", "test_functional.py", "test_exploits.py")
MANIFEST = "scenario.toml"
_CWE = re.compile(r"^CWE-\d+$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SuiteManifest(BaseModel):
    """What every suite's task manifest has; each suite adds its own fields."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    weaknesses: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    dirs: list[str] = Field(default_factory=list)

    @field_validator("weaknesses")
    @classmethod
    def _cwe_ids(cls, value: list[str]) -> list[str]:
        bad = [w for w in value if not _CWE.match(w)]
        if bad:
            raise ValueError(f"not CWE ids (like CWE-89): {', '.join(bad)}")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not _ENV_NAME.match(k)]
        if bad:
            raise ValueError(f"not environment variable names: {', '.join(bad)}")
        return value


M = TypeVar("M", bound=SuiteManifest)


def read_manifest(path: Path, model: type[M]) -> M:
    """The manifest at `path`, validated; one clear error naming the file and field."""
    try:
        manifest = model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as e:
        raise BdevError(f"{path}: invalid TOML: {e}") from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BdevError(f"{path}: field {where}: {first['msg']}") from None
    unknown_dirs = [d for d in manifest.dirs if d not in manifest.env]
    if unknown_dirs:
        raise BdevError(f"{path}: dirs names {unknown_dirs[0]!r}, which env does not set")
    return manifest


class _Manifest(SuiteManifest):
    framework: str = "fastapi"
    weaknesses: list[str] = Field(min_length=1)
    packages: list[str] | None = None
    start: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    files: list[str] | None = None

    @model_validator(mode="after")
    def _port_needs_start(self) -> _Manifest:
        if self.port is not None and self.start is None:
            raise ValueError("port is given without start (the command that listens on it)")
        if self.start is not None and self.port is None and "{port}" not in self.start:
            raise ValueError("start needs a port, or {port} in the command")
        return self


@dataclass(frozen=True)
class Scenario:
    slug: str  # the folder name, e.g. "01-notes-search"
    path: Path
    title: str
    framework: str
    weaknesses: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()
    # Constraints from the task (None: not constrained). `packages`: allowed third-party
    # distributions; `start`/`port`: how the service must start and where it listens;
    # `files`: the only files allowed in the service folder.
    packages: tuple[str, ...] | None = None
    start: str | None = None
    port: int | None = None
    files: tuple[str, ...] | None = None

    @property
    def spec_path(self) -> Path:
        return self.path / "openapi.yaml"

    @property
    def functional_tests(self) -> Path:
        return self.path / "test_functional.py"

    @property
    def exploit_tests(self) -> Path:
        return self.path / "test_exploits.py"

    @property
    def spec_text(self) -> str:
        return self.spec_path.read_text(encoding="utf-8")

    @property
    def paragraph(self) -> str:
        return (self.path / "describe.md").read_text(encoding="utf-8").strip()

    def service_env(self, workdir: Path) -> dict[str, str]:
        """The scenario's environment with `{workdir}` filled in."""
        return {k: v.replace("{workdir}", str(workdir)) for k, v in self.env.items()}


def load_scenario(path: Path) -> Scenario:
    path = Path(path)
    missing = [name for name in (*REQUIRED_FILES, MANIFEST) if not (path / name).is_file()]
    if missing:
        raise BdevError(f"scenario {path}: missing {', '.join(missing)}")
    manifest = read_manifest(path / MANIFEST, _Manifest)
    return Scenario(
        slug=path.name,
        path=path.resolve(),
        title=manifest.title,
        framework=manifest.framework,
        weaknesses=tuple(manifest.weaknesses),
        env=dict(manifest.env),
        dirs=tuple(manifest.dirs),
        packages=None if manifest.packages is None else tuple(manifest.packages),
        start=manifest.start,
        port=manifest.port,
        files=None if manifest.files is None else tuple(manifest.files),
    )


def load_suite(where: Path, pattern: str | None = None) -> list[Scenario]:
    """Every scenario folder in `where` (or `where` itself when it is one), sorted by name;
    `pattern` (a glob on folder names, e.g. "0[1-3]-*") narrows the choice."""
    where = Path(where)
    if not where.is_dir():
        raise BdevError(f"scenarios folder {where} does not exist")
    if (where / MANIFEST).is_file():
        folders = [where]
    else:
        folders = sorted(p.parent for p in where.glob(f"{pattern or '*'}/{MANIFEST}"))
    if not folders:
        what = f"matching {pattern!r} " if pattern else ""
        raise BdevError(f"no scenario folders {what}in {where} (each needs a {MANIFEST})")
    return [load_scenario(p) for p in folders]
