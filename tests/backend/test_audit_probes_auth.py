"""Authenticated probing: `--auth`/`--auth2` syntax, logging in against the running
service, and the checks that need credentials (JWT signatures, IDOR) on the
`authed_api` fixture, flawed and fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from typer.testing import CliRunner

from bdev.backend.analyze import analyze
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.probes import run_probes
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.auth import LoginRecipe, StaticAuth, obtain, parse_auth
from bdev.backend.audit.security.http import ProbeClient
from bdev.backend.audit.security.probe_jwt import forge_bad_signature, forge_none, is_jwt
from bdev.errors import BdevError
from support.probe_services import SERVICES, fixture_service

API = SERVICES / "authed_api"


# --- the syntax -------------------------------------------------------------------------


def test_a_header_and_a_bearer_token():
    assert parse_auth("X-Api-Key: abc") == StaticAuth({"X-Api-Key": "abc"}, "header X-Api-Key")
    assert parse_auth("header:X-Api-Key: a:b").headers == {"X-Api-Key": "a:b"}
    bearer = parse_auth("bearer:tok.en")
    assert isinstance(bearer, StaticAuth)
    assert bearer.headers == {"Authorization": "Bearer tok.en"}


def test_inline_login_with_json_or_form():
    json_login = parse_auth('login:POST /login {"username": "a", "password": "b"}')
    assert isinstance(json_login, LoginRecipe)
    assert (json_login.method, json_login.path) == ("POST", "/login")
    assert json_login.json_body == {"username": "a", "password": "b"}
    form_login = parse_auth("login:post /session user=a&password=p%26q")
    assert isinstance(form_login, LoginRecipe)
    assert form_login.method == "POST"
    assert form_login.form == {"user": "a", "password": "p&q"}


def test_a_recipe_file_with_register_token_path_and_header(tmp_path: Path):
    recipe = tmp_path / "auth.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "register": {"path": "/signup", "json": {"u": "a"}},
                "method": "POST",
                "path": "/login",
                "form": {"u": "a"},
                "token": "data.jwt",
                "header": "X-Token",
                "scheme": "",
            }
        )
    )
    spec = parse_auth(f"@{recipe}")
    assert isinstance(spec, LoginRecipe)
    assert spec.register_first is not None and spec.register_first.json_body == {"u": "a"}
    assert (spec.token, spec.header, spec.scheme) == ("data.jwt", "X-Token", "")
    assert spec.form == {"u": "a"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nonsense", "not a credential; use 'Header-Name: value', 'bearer:TOKEN'"),
        ("bearer:", "needs a token"),
        ("login:POST", "needs a method and a path"),
        ("login:POST /x {oops", "not valid JSON"),
        ("login:DELETE /x", "method"),
        ("login:POST x", "path must start with '/'"),
        ("@/no/such/recipe.yaml", "cannot read the recipe"),
    ],
)
def test_bad_values_name_the_flag_and_the_problem(value: str, message: str):
    with pytest.raises(BdevError, match="--auth2") as e:
        AuditOptions(auth="bearer:x", auth2=value)
    assert message in str(e.value)


def test_a_recipe_file_with_an_unknown_field_is_refused(tmp_path: Path):
    recipe = tmp_path / "r.json"
    recipe.write_text('{"path": "/login", "json": {}, "tokne": "access_token"}')
    with pytest.raises(BdevError, match=r"--auth @.*r\.json: tokne: Extra inputs"):
        parse_auth(f"@{recipe}")


def test_auth2_needs_auth():
    with pytest.raises(BdevError, match=r"--auth2 .* needs --auth"):
        AuditOptions(auth2="bearer:x")


def test_the_cli_reports_a_bad_recipe_in_one_line(tmp_path: Path):
    from bdev.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["audit", str(tmp_path), "--auth", "login:GET"])
    assert result.exit_code != 0
    assert isinstance(result.exception, BdevError)
    assert "--auth 'login:GET': a login needs a method and a path" in str(result.exception)


def test_a_cookie_header_is_a_cookie_credential():
    cred = obtain(ProbeClient("http://127.0.0.1:9"), parse_auth("Cookie: session=a=b; theme=x"))
    assert cred.uses_cookies and cred.cookies == {"session": "a=b", "theme": "x"}
    assert cred.as_headers() == {"Cookie": "session=a=b; theme=x"}


# --- JWT forgeries ----------------------------------------------------------------------


def test_forged_tokens_keep_the_claims_and_lose_the_signature():
    token = jwt.encode({"sub": "7", "role": "user"}, "k" * 32, algorithm="HS256")
    unsigned = forge_none(token)
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    assert unsigned.endswith(".")
    bad = forge_bad_signature(token)
    assert bad.rsplit(".", 1)[0] == token.rsplit(".", 1)[0] and bad != token
    for forged in (unsigned, bad):
        claims = jwt.decode(forged, options={"verify_signature": False})
        assert claims == {"sub": "7", "role": "user"}
        with pytest.raises(jwt.PyJWTError):
            jwt.decode(forged, "k" * 32, algorithms=["HS256"])
    assert is_jwt(token) and not is_jwt("not-a-jwt")


# --- against the service ----------------------------------------------------------------


def recipe(directory: Path, user: str, password: str | None = None) -> str:
    """A recipe file that registers `user` and logs in as them."""
    path = directory / f"{user}.yaml"
    body = {"username": user, "password": f"pw-{user}"}
    path.write_text(
        yaml.safe_dump(
            {
                "register": {"path": "/api/register", "json": body},
                "path": "/api/login",
                "json": {**body, "password": password or body["password"]},
                "token": "data.access_token",
            }
        )
    )
    return f"@{path}"


def probe(url: str, tmp_path: Path, **auth: str) -> StepResult:
    specs = {k: parse_auth(v, f"--{k}") for k, v in auth.items()}
    return run_probes(url, analyze(API), None, marker_dir=tmp_path, **specs)


@pytest.fixture(scope="module")
def flawed_api() -> Iterator[str]:
    with fixture_service("authed_api") as url:
        yield url


@pytest.fixture(scope="module")
def logged_in(flawed_api: str, tmp_path_factory: pytest.TempPathFactory) -> StepResult:
    tmp = tmp_path_factory.mktemp("auth")
    return probe(flawed_api, tmp, auth=recipe(tmp, "ann"), auth2=recipe(tmp, "ben"))


def found(result: StepResult, cwe: str, location_part: str = "") -> list:
    return [f for f in result.findings if f.cwe == cwe and location_part in f.location]


@pytest.mark.slow
def test_both_users_logged_in_through_their_recipes(logged_in: StepResult):
    assert logged_in.data["auth"] == {
        "user_a": "login POST /api/login",
        "user_b": "login POST /api/login",
    }


@pytest.mark.slow
def test_sql_injection_behind_the_login_is_found_only_with_auth(
    logged_in: StepResult, flawed_api: str, tmp_path: Path
):
    [sqli] = found(logged_in, "CWE-89", "/api/search")
    assert sqli.severity == "critical"
    assert sqli.evidence["request"]["headers"]["Authorization"].startswith("Bearer ")
    assert "sqlite3.OperationalError" in sqli.evidence["response"]["body"]
    anonymous = probe(flawed_api, tmp_path)
    assert found(anonymous, "CWE-89", "/api/search") == []
    assert anonymous.data["auth_checks"]["idor"] == [
        "not checked: needs two users (--auth and --auth2)"
    ]
    assert anonymous.data["auth_checks"]["jwt"].startswith("not checked")


@pytest.mark.slow
def test_sql_injection_through_a_json_body_and_a_header(logged_in: StepResult):
    assert found(logged_in, "CWE-89", "/api/lookup (JSON field name)")
    [header] = found(logged_in, "CWE-89", "/api/products (header X-Tenant)")
    assert header.evidence["request"]["headers"]["X-Tenant"].endswith("'")


@pytest.mark.slow
def test_unverified_jwt_signature_is_found(logged_in: StepResult):
    [finding] = found(logged_in, "CWE-347")
    assert finding.severity == "critical"
    assert finding.evidence["anonymous_status"] == 401
    assert finding.evidence["response"]["status"] == 200
    sent = finding.evidence["request"]["headers"]["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(sent)["alg"] == "none"


@pytest.mark.slow
def test_idor_read_change_and_delete_are_found_with_user_b_evidence(logged_in: StepResult):
    by_method = {f.location.split()[0]: f for f in found(logged_in, "CWE-639")}
    assert by_method.keys() == {"GET", "PUT", "DELETE"}
    read = by_method["GET"]
    assert read.evidence["marker"] in read.evidence["response"]["body"]
    created = read.evidence["created_by_user_a"]
    a_token = created["request"]["headers"]["Authorization"]
    b_token = read.evidence["request"]["headers"]["Authorization"]
    assert a_token != b_token  # user B's request, on user A's object
    assert read.evidence["marker"] in created["request"]["body"]
    assert logged_in.data["auth_checks"]["idor"] == [
        "POST /api/notes: checked as user B on DELETE, GET, PUT"
    ]


@pytest.mark.slow
def test_a_failed_login_is_said_and_probing_goes_on(flawed_api: str, tmp_path: Path):
    httpx.post(flawed_api + "/api/register", json={"username": "cy", "password": "pw-cy"})
    result = probe(flawed_api, tmp_path, auth=recipe(tmp_path, "cy", password="wrong"))
    assert result.data["auth"]["user_a"].startswith("failed: login POST /api/login answered 401")
    assert "login failed" in result.summary
    assert "headers" in result.data["checks_run"]  # the anonymous probes still ran


@pytest.mark.slow
def test_fixed_service_gives_none_of_the_auth_findings(tmp_path: Path):
    with fixture_service("authed_api", safe=True) as url:
        result = probe(url, tmp_path, auth=recipe(tmp_path, "ann"), auth2=recipe(tmp_path, "ben"))
    cwes = {f.cwe for f in result.findings}
    assert cwes.isdisjoint({"CWE-89", "CWE-347", "CWE-639"}), result.findings
    # The checks did run: a clean result is not an unexercised one.
    assert result.data["auth_checks"]["jwt"] == "checked on GET /api/me"
    assert result.data["auth_checks"]["idor"] == [
        "POST /api/notes: checked as user B on DELETE, GET, PUT"
    ]
