"""How severe each kind of security finding is, decided in one place.

Rubric for what the probes and the secret scan *confirm* (by CWE):

| CWE | weakness | severity |
| --- | --- | --- |
| CWE-89 | SQL injection, confirmed (boolean rows differ, or SQL error text) | critical |
| CWE-89 | SQL injection, suspected (a 500 only the payload triggers) | high |
| CWE-78 | OS command injection | critical |
| CWE-22 | path traversal that read a file outside the app (`root:x:0:0`) | high |
| CWE-306 | no authentication on an admin/internal route, or one that leaks credentials | high |
| CWE-306 | no authentication on another privileged-looking route | medium |
| CWE-489 / CWE-215 | interactive debugger console reachable (code execution) | critical |
| CWE-489 / CWE-215 | debug error pages served | high |
| CWE-489 | debug mode switched on in code only | medium |
| CWE-798 | hard-coded secret in the source | high |
| CWE-942 | any Origin reflected with credentials allowed | high |
| CWE-942 | `*` with credentials allowed (browsers refuse it, the intent is wrong) | medium |
| CWE-209 | stack trace in an error response | medium |
| CWE-400 / CWE-770 | a ~10 MB body accepted without a size limit | medium |
| CWE-693 | missing security headers | low (info when only HSTS is missing: plain HTTP) |
| CWE-1395 | dependency with a published vulnerability (pip-audit) | high |

Bandit findings are graded from bandit's own two axes, because a static rule only
suspects: severity x confidence ->

| bandit severity \\ confidence | HIGH | MEDIUM | LOW |
| --- | --- | --- | --- |
| HIGH | high | high | medium |
| MEDIUM | medium | medium | low |
| LOW | low | low | info |

Evidence and context then adjust a grade (`merge.py` applies it across tools):

- A finding a probe confirmed over HTTP takes the probe's severity, whatever a scanner's
  confidence said: a static SQL injection in the handler of a route a probe broke into
  becomes critical (high when the probe only suspected it).
- A credential in an example or CI file (docker-compose*.yml, .env.example/.sample/
  .template, .github/workflows, other CI configuration, tests) is low, and says why: such
  files configure throwaway containers, not the deployment.

A step's status is "failed" when any finding is medium or worse, else "ok".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Literal

from bdev.backend.audit.results import Finding, Severity

ORDER: dict[Severity, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

_BANDIT: dict[tuple[str, str], Severity] = {
    ("HIGH", "HIGH"): "high",
    ("HIGH", "MEDIUM"): "high",
    ("HIGH", "LOW"): "medium",
    ("MEDIUM", "HIGH"): "medium",
    ("MEDIUM", "MEDIUM"): "medium",
    ("MEDIUM", "LOW"): "low",
    ("LOW", "HIGH"): "low",
    ("LOW", "MEDIUM"): "low",
    ("LOW", "LOW"): "info",
}


def bandit_severity(severity: str, confidence: str) -> Severity:
    """Grade a bandit result; unknown ("UNDEFINED") axes count as LOW."""
    sev = severity.upper() if severity.upper() in {"HIGH", "MEDIUM", "LOW"} else "LOW"
    conf = confidence.upper() if confidence.upper() in {"HIGH", "MEDIUM", "LOW"} else "LOW"
    return _BANDIT[(sev, conf)]


def at_least(severity: Severity, floor: Severity) -> bool:
    return ORDER[severity] >= ORDER[floor]


def step_status(findings: Iterable[Finding]) -> Literal["ok", "failed"]:
    return "failed" if any(at_least(f.severity, "medium") for f in findings) else "ok"


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(ORDER, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


# Weakness classes: CWEs that different tools use for one weakness.
CREDENTIAL_CWES = frozenset({"CWE-798", "CWE-259", "CWE-321", "CWE-522"})
_SAME_WEAKNESS = {"CWE-259": "CWE-798", "CWE-321": "CWE-798", "CWE-215": "CWE-489"}
# Bandit tests whose CWE is broader than the weakness they detect.
_BANDIT_WEAKNESS = {"B201": "CWE-489"}  # flask_debug_true is filed under CWE-94

_EXAMPLE_FILE = re.compile(
    r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$"  # docker-compose.yml, compose.ci.yaml
    r"|^\.env\.(example|sample|template|dist|test|ci)$|\.(example|sample|template|dist)$"
    r"|^\.gitlab-ci\.ya?ml$|^\.travis\.ya?ml$|^azure-pipelines\.ya?ml$|^jenkinsfile$"
    r"|^bitbucket-pipelines\.ya?ml$|^tox\.ini$",
    re.IGNORECASE,
)
_EXAMPLE_DIRS = {".github", ".circleci", ".buildkite", "tests", "test", "examples", "example"}


def weakness(cwe: str, tool: str = "", title: str = "") -> str:
    """The weakness class of a finding, for merging across tools."""
    if tool == "bandit":
        test_id = title.split(" ", 1)[0]
        if test_id in _BANDIT_WEAKNESS:
            return _BANDIT_WEAKNESS[test_id]
    return _SAME_WEAKNESS.get(cwe, cwe)


def example_credentials(path: str) -> str:
    """Why a credential at `path` is an example or CI one (then it is graded low); "" when
    the file is part of what gets deployed."""
    rel = PurePosixPath(path.split(":", 1)[0])
    name = rel.name
    tail = "graded low; it matters only if the deployment reuses it"
    if _EXAMPLE_FILE.search(name):
        kind = "a compose file" if "compose" in name.lower() else "an example or CI file"
        return f"example or CI credential: in {kind} ({rel}) for local or CI containers; {tail}"
    if any(part.lower() in _EXAMPLE_DIRS for part in rel.parts[:-1]):
        return f"example or CI credential: in CI, example or test configuration ({rel}); {tail}"
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return f"example or CI credential: in a test file ({rel}); {tail}"
    return ""
