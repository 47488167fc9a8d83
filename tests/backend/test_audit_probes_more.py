"""The web probes (template injection, XSS, cookie flags, CSRF, open redirect, command
injection, SQL injection through forms) against the `web_flask` fixture, flawed and
fixed, and the evidence rules each one keeps on hand-made answers."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bdev import sandbox
from bdev.backend.analyze import analyze
from bdev.backend.audit.probes import run_probes
from bdev.backend.audit.procs import free_port
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.auth import parse_auth
from bdev.backend.audit.security.findings import FindingSet
from bdev.backend.audit.security.http import ProbeClient
from bdev.backend.audit.security.probe_cmdi import check_command_injection
from bdev.backend.audit.security.probe_cookies import cookie_observer
from bdev.backend.audit.security.probe_redirect import check_open_redirect
from bdev.backend.audit.security.probe_ssti import check_ssti
from bdev.backend.audit.security.probe_xss import check_reflected_xss
from bdev.backend.audit.security.targets import Target, build_targets
from bdev.backend.audit.startup import running_service
from support.probe_services import SERVICES, fixture_service

WEB = SERVICES / "web_flask"
LOGIN = "login:POST /login username=alice&password=wonderland"
WEB_CWES = {"CWE-1336", "CWE-79", "CWE-1004", "CWE-1275", "CWE-614", "CWE-352", "CWE-601",
            "CWE-78", "CWE-89"}  # fmt: skip


def probe_web(url: str, marker_dir: Path) -> StepResult:
    return run_probes(url, analyze(WEB), None, auth=parse_auth(LOGIN), marker_dir=marker_dir)


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StepResult, Path]]:
    markers = tmp_path_factory.mktemp("markers")
    with fixture_service("web_flask") as url:
        yield probe_web(url, markers), markers


def at(result: StepResult, cwe: str, location_part: str = "") -> list:
    return [f for f in result.findings if f.cwe == cwe and location_part in f.location]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cwe", "location_part", "severity"),
    [
        ("CWE-1336", "GET /{unknown path}", "critical"),
        ("CWE-79", "GET /search?q=", "high"),
        ("CWE-79", "POST /guestbook", "high"),
        ("CWE-1004", "Set-Cookie session", "medium"),
        ("CWE-1275", "Set-Cookie session", "low"),
        ("CWE-614", "Set-Cookie session", "low"),
        ("CWE-352", "POST /comments", "high"),
        ("CWE-601", "GET /go?url=", "medium"),
        ("CWE-78", "GET /ping?host=", "critical"),
        ("CWE-78", "GET /dns?name=", "critical"),
        ("CWE-89", "POST /lookup (form field name)", "critical"),
    ],
)
def test_each_planted_web_flaw_is_found(flawed, cwe: str, location_part: str, severity: str):
    result, _ = flawed
    hits = at(result, cwe, location_part)
    assert hits, f"no {cwe} at {location_part!r}: {[(f.cwe, f.location) for f in result.findings]}"
    assert hits[0].severity == severity


@pytest.mark.slow
def test_template_injection_evidence_is_the_computed_number(flawed):
    [ssti] = at(flawed[0], "CWE-1336")
    expected = ssti.evidence["expected"]
    assert expected in ssti.evidence["response"]["body"]
    assert expected not in ssti.evidence["request"]["url"]  # the payload does not explain it
    assert ssti.evidence["response"]["status"] == 404


@pytest.mark.slow
def test_stored_xss_names_the_request_that_stored_it(flawed):
    [stored] = at(flawed[0], "CWE-79", "POST /guestbook")
    assert stored.evidence["stored_by"]["request"]["method"] == "POST"
    assert stored.evidence["request"]["url"].endswith("/guestbook")
    assert "<script>/*bdevxss" in stored.evidence["response"]["body"]


@pytest.mark.slow
def test_command_injection_proofs(flawed):
    result, markers = flawed
    [silent] = at(result, "CWE-78", "/ping")
    # /ping prints nothing back: only the marker file shows the command ran.
    assert silent.evidence["proof"] == "marker file"
    assert Path(silent.evidence["marker_file"]).parent == markers
    assert list(markers.iterdir()) == []  # markers are cleaned up


@pytest.mark.slow
def test_csrf_evidence_contrasts_with_and_without_the_cookie(flawed):
    [csrf] = at(flawed[0], "CWE-352")
    sent = csrf.evidence["request"]["headers"]
    assert sent["Origin"] == "https://evil.example" and sent["Cookie"].startswith("session=")
    assert sent["Content-Type"] == "application/x-www-form-urlencoded"
    assert "csrf" not in csrf.evidence["request"].get("body", "")
    assert csrf.evidence["anonymous_status"] == 302  # sent to the login page without it


@pytest.mark.slow
def test_fixed_web_service_gives_no_web_finding(tmp_path: Path):
    with fixture_service("web_flask", safe=True) as url:
        result = probe_web(url, tmp_path)
    wrong = [(f.cwe, f.location) for f in result.findings if f.cwe in WEB_CWES]
    assert wrong == []
    assert result.data["auth_checks"]["csrf"] == "checked 1 operation(s)"
    assert result.data["auth"] == {"user_a": "login POST /login"}


@pytest.mark.slow
@pytest.mark.skipif(sandbox.probe() is not None, reason="bubblewrap cannot run here")
def test_the_marker_file_is_seen_from_outside_the_sandbox(tmp_path: Path):
    """The service's /tmp is private in bubblewrap; the audit's work directory (where
    the service log is written) is bound at the same path, so markers go there."""
    root = tmp_path / "web"
    shutil.copytree(WEB, root, ignore=shutil.ignore_patterns("__pycache__"))
    log = tmp_path / "work" / "service.log"
    log.parent.mkdir()
    facts = analyze(root)
    cmd = f"{sys.executable} -m flask --app app run --port {{port}}"
    env = {"PATH": "/usr/bin:/bin", "FIXTURE_SAFE": "0"}
    with running_service(root, facts, port=free_port(), cmd=cmd, env=env, log=log,
                         timeout_s=20) as service:  # fmt: skip
        client = ProbeClient(service.base_url)
        found = FindingSet()
        ping = [t for t in build_targets(facts, None) if t.path == "/ping"]
        check_command_injection(client, ping, found, marker_dir=log.parent)
    [finding] = found.all()
    assert finding.evidence["proof"] == "marker file"
    assert finding.evidence["marker_file"].startswith(str(log.parent))


# --- evidence rules on hand-made answers ------------------------------------------------


def client_for(handler) -> ProbeClient:
    return ProbeClient("http://127.0.0.1:9", transport=httpx.MockTransport(handler))


def echo(content_type: str, escape: bool = False):
    """A service that shows its `q` parameter (and the path) back."""

    def handle(request: httpx.Request) -> httpx.Response:
        shown = request.url.params.get("q", "") + request.url.path
        if escape:
            shown = shown.replace("<", "&lt;").replace(">", "&gt;")
        return httpx.Response(200, text=f"<p>{shown}</p>", headers={"content-type": content_type})

    return handle


SEARCH = [Target("GET", "/search", query_params=["q"])]


def test_raw_echo_of_a_template_is_not_template_injection():
    found = FindingSet()
    check_ssti(client_for(echo("text/html")), SEARCH, found)
    assert found.all() == []


def test_xss_needs_unescaped_script_in_html():
    for handler in (echo("application/json"), echo("text/html", escape=True)):
        found = FindingSet()
        check_reflected_xss(client_for(handler), SEARCH, found)
        assert found.all() == []
    found = FindingSet()
    check_reflected_xss(client_for(echo("text/html; charset=utf-8")), SEARCH, found)
    assert {f.location for f in found.all()} == {
        "GET /search?q=...",
        "GET /{unknown path} (the not-found handler)",
    }


@pytest.mark.parametrize(
    ("location", "external"),
    [
        ("https://bdev-redirect.example/", True),
        ("//bdev-redirect.example/", True),
        ("/\\bdev-redirect.example/", True),
        ("/dashboard", False),
        ("https://127.0.0.1:9/home", False),
    ],
)
def test_open_redirect_is_judged_by_where_a_browser_would_go(location: str, external: bool):
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": location})

    found = FindingSet()
    login = [Target("GET", "/login", query_params=["next"])]
    check_open_redirect(client_for(redirect), login, found)
    assert bool(found.all()) is external


def test_command_output_is_proof_when_no_marker_file_can_be_seen():
    def shell(request: httpx.Request) -> httpx.Response:
        # Evaluates $((A*B)) as a shell would, for payloads that reach `echo`.
        value = request.url.params.get("host", "")
        m = re.search(r"echo (bdevc\w+)\$\(\((\d+)\*(\d+)\)\)Z", value)
        out = f"{m.group(1)}{int(m.group(2)) * int(m.group(3))}Z" if m and ";" in value else ""
        return httpx.Response(200, json={"out": out})

    found = FindingSet()
    target = [Target("GET", "/ping", query_params=["host"])]
    check_command_injection(client_for(shell), target, found, marker_dir=None)
    [finding] = found.all()
    assert finding.evidence["proof"] == "output"
    assert "marker_file" not in finding.evidence


@pytest.mark.parametrize(
    "page",
    [
        "<html><!-- Traceback: No such file: {payload} --></html>",
        "<textarea name=q>{payload}</textarea>",
        "<title>{payload}</title>",
    ],
)
def test_an_unescaped_payload_in_inert_markup_is_not_xss(page: str):
    def inert(request: httpx.Request) -> httpx.Response:
        shown = request.url.params.get("q", "")
        body = page.format(payload=shown)
        return httpx.Response(200, text=body, headers={"content-type": "text/html"})

    found = FindingSet()
    check_reflected_xss(client_for(inert), SEARCH, found)
    assert found.all() == []


def test_which_cookies_are_judged_and_how():
    def cookies(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[
            ("set-cookie", "sessionid=abc; Path=/; HttpOnly; SameSite=Lax; Secure"),
            ("set-cookie", "csrftoken=xyz; Path=/"),  # pages must read it: not judged
            ("set-cookie", "auth_token=; Max-Age=0"),  # a deletion: not judged
            ("set-cookie", "theme=dark"),  # not a session cookie
            ("set-cookie", "remember_me=1; SameSite=None; Secure"),
        ])  # fmt: skip

    found = FindingSet()
    client = client_for(cookies)
    client.observers.append(cookie_observer(found, login_names=set()))
    client.send("GET", "/")
    assert {(f.cwe, f.severity, f.evidence["cookie"]) for f in found.all()} == {
        ("CWE-1004", "medium", "remember_me"),
        ("CWE-1275", "low", "remember_me"),
    }
