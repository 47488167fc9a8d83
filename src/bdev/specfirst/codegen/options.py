"""How to render a plan: framework, layout, allowed packages, run address.

Its own module because both the service modules (`render`) and the tests (`testgen`)
are rendered with it, and `render` uses `testgen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Framework = Literal["fastapi", "flask"]


@dataclass
class Options:
    framework: Framework = "fastapi"
    single_file: bool = False
    # Normalised distribution names the service may import (from --requirements);
    # None means the defaults below.
    allowed: frozenset[str] | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Where the service reads its signing secret and its database (the task may name them).
    secret_env: str = "APP_SECRET_KEY"
    database_env: str = "DATABASE_URL"
    # "Do not create any additional files": only the service's own code is written beside
    # it; tests, the plan and reports go under .bdev/.
    no_extra_files: bool = False
    # The generated tests live under .bdev/ (they import pytest, which a task's package
    # list may not allow in the service's folder).
    private_tests: bool = False
    # The task's other environment variables (a folder, an operator's token): the
    # generated tests and the verification set them, as the deployment would.
    settings: tuple[str, ...] = ()

    def allows(self, package: str) -> bool:
        """Whether the service may use `package`; without --requirements, only the
        defaults (email-validator is opt-in: the fallback pattern check needs nothing).
        FastAPI cannot be installed without pydantic and starlette, so it allows them."""
        allowed = _UNRESTRICTED if self.allowed is None else self.allowed
        return package in allowed or (package in _WITH_FASTAPI and "fastapi" in allowed)

    @property
    def plain_models(self) -> bool:
        """Whether the models are the standard-library stand-in for pydantic: a Flask
        service whose allowed requirements leave pydantic out."""
        return self.framework == "flask" and not self.allows("pydantic")


_UNRESTRICTED = frozenset({"fastapi", "uvicorn", "pydantic", "flask", "pyjwt", "psycopg"})
_WITH_FASTAPI = frozenset({"pydantic", "starlette"})


SettingKind = Literal["folder", "file", "token"]


def setting_kind(name: str) -> SettingKind | None:
    """What a setting named by the task holds, read from its name (`UPLOAD_DIR` a folder,
    `REPORT_FILE` a file, `ADMIN_TOKEN` a token); None when the name does not say."""
    words = set(name.upper().split("_"))
    if words & {"DIR", "DIRECTORY", "FOLDER", "ROOT", "STORAGE", "UPLOADS"}:
        return "folder"
    if words & {"FILE", "PATH"}:
        return "file"
    if words & {"TOKEN", "KEY", "PASSWORD", "SECRET", "PASS"}:
        return "token"
    return None
