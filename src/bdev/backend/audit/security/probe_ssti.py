"""Server-side template injection (CWE-1336): template arithmetic sent in, its result
coming back.

Each run picks two random factors, so the product (say 4817*613 = 2952821) is a number
neither the payload nor a normal answer contains: seeing it means a template engine
evaluated what the probe sent. Payloads go through every string input, and through an
unknown path, since 404 handlers that render the requested URL are a classic spot.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, encode
from bdev.backend.audit.security.inputs import inputs_of
from bdev.backend.audit.security.targets import Target

CWE = "CWE-1336"


@dataclass(frozen=True)
class Arithmetic:
    a: int
    b: int

    @classmethod
    def pick(cls) -> Arithmetic:
        while True:
            found = cls(1000 + secrets.randbelow(9000), 100 + secrets.randbelow(900))
            # The product must not be readable in the payload itself.
            if found.result not in f"{found.a}*{found.b}":
                return found

    @property
    def result(self) -> str:
        return str(self.a * self.b)

    def payloads(self) -> list[str]:
        """Jinja2/Twig/Nunjucks alone first (the common case), then one polyglot for
        Mako/Freemarker/JS (${}), ERB/EJS (<%= %>) and Pug/Ruby (#{})."""
        e = f"{self.a}*{self.b}"
        return ["{{" + e + "}}", "${" + e + "}<%=" + e + "%>#{" + e + "}"]


def evaluated(ex: Exchange, arithmetic: Arithmetic) -> bool:
    return ex.response is not None and arithmetic.result in ex.text


def check_ssti(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    arithmetic = Arithmetic.pick()
    _unknown_path(client, found, arithmetic)
    for t in targets:
        for inp in inputs_of(t):
            if found.has(CWE, t.endpoint):
                break
            for payload in arithmetic.payloads():
                ex = inp.send(client, payload)
                if evaluated(ex, arithmetic):
                    # The same input with the plain text must not show the number.
                    plain = inp.send(client, payload.replace("*", "x"))
                    if evaluated(plain, arithmetic):
                        break
                    _report(found, inp.location, t.endpoint, ex, arithmetic, payload)
                    break


def _unknown_path(client: ProbeClient, found: FindingSet, arithmetic: Arithmetic) -> None:
    for payload in arithmetic.payloads():
        ex = client.send("GET", "/bdev-" + encode(payload), endpoint="GET /{not-found}")
        if evaluated(ex, arithmetic):
            plain = client.send(
                "GET", "/bdev-" + encode(payload.replace("*", "x")), endpoint="GET /{not-found}"
            )
            if not evaluated(plain, arithmetic):
                where = "GET /{unknown path} (the not-found handler)"
                _report(found, where, "GET /{not-found}", ex, arithmetic, payload)
            return


def _report(
    found: FindingSet,
    where: str,
    endpoint: str,
    ex: Exchange,
    arithmetic: Arithmetic,
    payload: str,
) -> None:
    title = (
        f"Server-side template injection: {payload!r} came back evaluated as {arithmetic.result}"
    )
    finding = probe_finding(
        CWE,
        "critical",
        title,
        where,
        ex,
        focus=arithmetic.result,
        payload=payload,
        expected=arithmetic.result,
    )
    found.add(finding, endpoint)
