"""Credentials the task fixes in the environment: an operator's token that the service
compares with a variable, rather than a key or token it issued itself."""

from __future__ import annotations

import re

from bdev.specfirst.plan import Operation, ServicePlan

# An environment variable the paragraph names as a fixed credential: ADMIN_TOKEN, API_KEY.
_CREDENTIAL_VAR = re.compile(r"\b[A-Z][A-Z0-9_]*(?:TOKEN|API_KEY)\b")


def static_credential_vars(describe: str) -> list[str]:
    """Variables whose value the service must accept as a bearer token or API key.

    Spec security schemes say where a credential travels, not what makes it valid; when
    the paragraph says "TOKEN equals the ADMIN_TOKEN environment variable", that is it.
    """
    return sorted(set(_CREDENTIAL_VAR.findall(describe)))


_SENTENCES = re.compile(r"(?<=[.;!?])\s+|\n\s*[-*]\s+")


def static_schemes(plan: ServicePlan) -> dict[str, str]:
    """{apiKey scheme: variable} for each scheme whose parameter a sentence of the
    description names together with one credential variable: "the header X-Admin-Token
    equal to the ADMIN_TOKEN environment variable"."""
    found: dict[str, str] = {}
    for sentence in _SENTENCES.split(plan.describe or ""):
        names = sorted(set(_CREDENTIAL_VAR.findall(sentence)))
        if len(names) != 1:
            continue
        for scheme, s in plan.security_schemes.items():
            named = rf"(?<![\w-]){re.escape(s.param_name)}(?![\w-])"
            if s.kind == "apikey" and re.search(named, sentence, re.I):
                found.setdefault(scheme, names[0])
    return found


def operator_only(plan: ServicePlan, op: Operation) -> bool:
    """Whether every way into the operation is a credential fixed in a variable: the route
    compares it, and there is no caller for the handler to know (no `principal`)."""
    names = {n for alt in op.security for n in alt}
    return bool(names) and not op.owned and names <= static_schemes(plan).keys()
