"""Credentials for the probes (`bdev audit --auth`, `--auth2`): what the user may give, and
how a login recipe becomes a credential against the running service.

Accepted forms of one `--auth` value:

- `Header-Name: value`          a header sent as given (`X-Api-Key: abc`);
- `bearer:TOKEN`                `Authorization: Bearer TOKEN`;
- `login:METHOD /path BODY`     a login request; BODY is a JSON object or a form
                                (`user=a&password=b`); the token is found in the JSON answer
                                (a field named token, access_token, jwt, ...), else the
                                cookies it sets are used;
- `@FILE`                       a YAML/JSON login recipe (see `LoginRecipe`), which may name
                                the token's field path or the cookie, and a `register`
                                request to send first (a freshly started service has no users).

The syntax is checked when the options are built (one message naming the flag and what
is wrong); the login itself happens against the running service, just before probing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bdev.backend.audit.security.http import Exchange, ProbeClient
from bdev.errors import BdevError

SYNTAX = (
    "'Header-Name: value', 'bearer:TOKEN', 'login:METHOD /path BODY' "
    "(BODY a JSON object or a=b&c=d form) or '@recipe.yaml'"
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# JSON fields that usually carry the token a login returns, most specific first.
TOKEN_FIELDS = (
    "access_token", "accessToken", "token", "jwt", "id_token", "auth_token", "authToken",
    "session_token", "sessionToken",
)  # fmt: skip
Method = Literal["GET", "POST", "PUT", "PATCH"]


class RequestRecipe(BaseModel):
    """One request of a recipe: method, path and a JSON or form body."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "POST"
    path: str
    json_body: dict[str, Any] | None = None
    form: dict[str, str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _json_alias(cls, data: Any) -> Any:
        # "json" is the natural key in a recipe file; pydantic reserves the attribute name.
        if isinstance(data, dict) and "json" in data:
            data = {**data, "json_body": data["json"]}
            del data["json"]
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            data = {**data, "method": data["method"].upper()}
        return data

    @model_validator(mode="after")
    def _check(self) -> RequestRecipe:
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")
        if self.json_body is not None and self.form is not None:
            raise ValueError("give either json or form, not both")
        return self

    def send(self, client: ProbeClient, what: str) -> Exchange:
        body: dict[str, Any] = {}
        if self.json_body is not None:
            body["json"] = self.json_body
        elif self.form is not None:
            body["form"] = self.form
        return client.send(self.method, self.path, endpoint=what, anonymous=True, **body)


class LoginRecipe(RequestRecipe):
    """A login request and where its answer holds the credential.

    `token`: a dotted path to the token in the JSON answer (`data.access_token`), sent as
    `header: scheme token` (default `Authorization: Bearer ...`). `cookie`: the name of
    the session cookie the answer sets ("*": every cookie it sets). Neither: a field named
    like a token is looked for, then cookies."""

    token: str | None = None
    cookie: str | None = None
    header: str = "Authorization"
    scheme: str = "Bearer"
    # "register" in the recipe (the attribute name would shadow ABCMeta.register).
    register_first: RequestRecipe | None = Field(default=None, alias="register")


@dataclass(frozen=True)
class StaticAuth:
    """A credential given as it is (a header, a bearer token)."""

    headers: dict[str, str]
    source: str


AuthSpec = StaticAuth | LoginRecipe


@dataclass
class Credential:
    """What makes a request authenticated, and how it was obtained."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    source: str = ""
    # The Set-Cookie lines of the session cookies (their flags matter to the CSRF check).
    cookie_lines: list[str] = field(default_factory=list)
    login: Exchange | None = None

    @property
    def uses_cookies(self) -> bool:
        return bool(self.cookies)

    def as_headers(self) -> dict[str, str]:
        out = dict(self.headers)
        if self.cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return out

    @property
    def bearer_token(self) -> str | None:
        for value in self.headers.values():
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        return None


class LoginFailed(Exception):
    """The login recipe did not yield a credential; the message says what came back."""


def parse_auth(text: str, flag: str = "--auth") -> AuthSpec:
    """One `--auth` value as a spec; BdevError naming `flag` when it cannot be used."""
    value = text.strip()
    if value.startswith("@"):
        return _recipe_file(Path(value[1:]).expanduser(), flag)
    if value.lower().startswith("bearer:"):
        token = value.split(":", 1)[1].strip()
        if not token:
            raise BdevError(f"{flag} {text!r}: 'bearer:' needs a token after it")
        return StaticAuth({"Authorization": f"Bearer {token}"}, "bearer token")
    if value.lower().startswith("login:"):
        return _inline_login(value.split(":", 1)[1].strip(), text, flag)
    if value.lower().startswith("header:"):
        value = value.split(":", 1)[1].strip()
    name, sep, header_value = value.partition(":")
    if sep and _HEADER_NAME.match(name.strip()) and header_value.strip():
        return StaticAuth({name.strip(): header_value.strip()}, f"header {name.strip()}")
    raise BdevError(f"{flag} {text!r}: not a credential; use {SYNTAX}")


def _inline_login(rest: str, text: str, flag: str) -> LoginRecipe:
    parts = rest.split(None, 2)
    if len(parts) < 2:
        raise BdevError(
            f"{flag} {text!r}: a login needs a method and a path: 'login:POST /login BODY'"
        )
    method, path = parts[0], parts[1]
    body = parts[2].strip() if len(parts) == 3 else ""
    fields: dict[str, Any] = {"method": method, "path": path}
    if body.startswith("{"):
        try:
            fields["json"] = json.loads(body)
        except json.JSONDecodeError as e:
            raise BdevError(f"{flag} {text!r}: the login body is not valid JSON ({e})") from e
    elif body:
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=False)
        if not pairs:
            raise BdevError(f"{flag} {text!r}: the login body is neither JSON nor a=b&c=d form")
        fields["form"] = dict(pairs)
    return _validated(fields, f"{flag} {text!r}")


def _recipe_file(path: Path, flag: str) -> LoginRecipe:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise BdevError(f"{flag} @{path}: cannot read the recipe ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise BdevError(f"{flag} @{path}: not valid YAML/JSON ({e})") from e
    if not isinstance(data, dict):
        raise BdevError(f"{flag} @{path}: a recipe is a mapping with method, path, json/form")
    return _validated(data, f"{flag} @{path}")


def _validated(fields: dict[str, Any], where: str) -> LoginRecipe:
    try:
        return LoginRecipe.model_validate(fields)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'recipe'}: {err['msg']}"
            for err in e.errors()
        )
        raise BdevError(f"{where}: {problems}") from e


# --- obtaining the credential -----------------------------------------------------------


def obtain(client: ProbeClient, spec: AuthSpec) -> Credential:
    """The credential `spec` stands for; a login recipe is run against the service."""
    if isinstance(spec, StaticAuth):
        headers = dict(spec.headers)
        cookie = next((k for k in headers if k.lower() == "cookie"), None)
        pairs = headers.pop(cookie).split(";") if cookie else []
        cookies = dict(p.strip().split("=", 1) for p in pairs if "=" in p)
        return Credential(headers=headers, cookies=cookies, source=spec.source)
    if spec.register_first is not None:
        # Its answer does not matter: the user may exist already (409) or be created now.
        first = spec.register_first
        first.send(client, f"{first.method} {first.path}")
    ex = spec.send(client, f"{spec.method} {spec.path}")
    where = f"login {spec.method} {spec.path}"
    if ex.response is None:
        raise LoginFailed(f"{where}: no answer ({ex.error})")
    if not 200 <= ex.status < 400:
        raise LoginFailed(f"{where} answered {ex.status}: {ex.text[:200]!r}")
    cookie_lines = ex.response.headers.get_list("set-cookie")
    jar = {
        c.split("=", 1)[0].strip(): c.split("=", 1)[1].split(";", 1)[0]
        for c in cookie_lines
        if "=" in c
    }
    token = _token(ex, spec.token) if spec.cookie is None else None
    if token:
        prefix = f"{spec.scheme} " if spec.scheme else ""
        return Credential(headers={spec.header: prefix + token}, source=where, login=ex)
    if spec.token:
        raise LoginFailed(f"{where}: the answer has no field {spec.token!r}: {ex.text[:200]!r}")
    wanted = {k: v for k, v in jar.items() if spec.cookie in (None, "*", k) and v}
    if not wanted:
        what = f"no cookie {spec.cookie!r}" if spec.cookie else "neither a token field nor a cookie"
        raise LoginFailed(f"{where}: the answer holds {what}: {ex.text[:200]!r}")
    lines = [c for c in cookie_lines if c.split("=", 1)[0].strip() in wanted]
    return Credential(cookies=wanted, source=where, cookie_lines=lines, login=ex)


def _token(ex: Exchange, field_path: str | None) -> str | None:
    try:
        data = ex.response.json() if ex.response is not None else None
    except ValueError:
        return None
    if field_path:
        for part in field_path.split("."):
            data = data.get(part) if isinstance(data, dict) else None
        return data if isinstance(data, str) and data else None
    return _find_token(data, depth=0)


def _find_token(data: Any, depth: int) -> str | None:
    """A token-named string field, looked for a few levels deep ({"data": {"token": ...}})."""
    if not isinstance(data, dict) or depth > 3:
        return None
    for name in TOKEN_FIELDS:
        if isinstance(data.get(name), str) and data[name]:
            return data[name]
    for value in data.values():
        if found := _find_token(value, depth + 1):
            return found
    return None
