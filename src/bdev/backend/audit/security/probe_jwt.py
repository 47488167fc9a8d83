"""JWTs accepted without a valid signature (CWE-347).

Needs a bearer JWT (from `--auth`). First an operation is found that the token opens
and that refuses an anonymous request (401/403): that contrast is what makes a later 2xx
meaningful. Then the same claims are sent with `alg: none` and no signature, and with
the original header but a wrong signature; a 2xx to either is the finding.
"""

from __future__ import annotations

import base64

import jwt

from bdev.backend.audit.security.auth import Credential
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path
from bdev.backend.audit.security.targets import Target

CWE = "CWE-347"
MAX_CANDIDATES = 6


def is_jwt(token: str) -> bool:
    try:
        jwt.get_unverified_header(token)
        jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return True


def forge_none(token: str) -> str:
    """The token's claims under `alg: none`, unsigned."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key="", algorithm="none")  # PyJWT: "" is no key


def forge_bad_signature(token: str) -> str:
    """The token with its header and claims as they were and a signature that is wrong."""
    head, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) or b"\0"
    flipped = bytes(b ^ 0xFF for b in raw)
    return f"{head}.{body}." + base64.urlsafe_b64encode(flipped).rstrip(b"=").decode()


def _guarded_operation(
    client: ProbeClient, targets: list[Target], credential: Credential
) -> tuple[Target, Exchange] | None:
    """A GET the token opens and an anonymous request cannot: (target, authorised answer)."""
    gets = [t for t in targets if t.method == "GET"]
    gets.sort(key=lambda t: (t.auth_required is not True, bool(t.path_params)))
    for t in gets[:MAX_CANDIDATES]:
        path = build_path(t.path, t.path_values())
        anonymous = client.send("GET", path, endpoint=t.endpoint, anonymous=True)
        if anonymous.status not in (401, 403):
            continue
        authorised = client.send("GET", path, endpoint=t.endpoint, as_user=credential.as_headers())
        if 200 <= authorised.status < 300:
            return t, anonymous
    return None


def check_jwt(
    client: ProbeClient, targets: list[Target], found: FindingSet, credential: Credential | None
) -> str:
    """Run the check; returns what was (not) checked, for the step's data."""
    token = credential.bearer_token if credential else None
    if credential is None or token is None or not is_jwt(token):
        return "not checked: no bearer JWT (give one with --auth)"
    guarded = _guarded_operation(client, targets, credential)
    if guarded is None:
        return "not checked: no operation refuses anonymous requests and accepts the token"
    t, anonymous = guarded
    path = build_path(t.path, t.path_values())
    header = next(k for k, v in credential.headers.items() if token in v)
    accepted: list[tuple[str, Exchange]] = []
    for what, forged in (
        ("alg 'none' (unsigned)", forge_none(token)),
        ("a wrong signature", forge_bad_signature(token)),
    ):
        headers = {**credential.as_headers(), header: f"Bearer {forged}"}
        ex = client.send("GET", path, endpoint=t.endpoint, as_user=headers)
        if 200 <= ex.status < 300:
            accepted.append((what, ex))
    if accepted:
        kinds = " and ".join(what for what, _ in accepted)
        title = f"JWT signature not verified: tokens with {kinds} are accepted on {t.path}"
        finding = probe_finding(
            CWE,
            "critical",
            title,
            t.endpoint,
            accepted[0][1],
            anonymous_status=anonymous.status,
            forged=[what for what, _ in accepted],
        )
        found.add(finding, t.endpoint)
    return f"checked on {t.endpoint}"
