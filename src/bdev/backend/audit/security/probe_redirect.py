"""Open redirects (CWE-601): a parameter named like a redirect target (next, url,
return_to...) sends the browser to any host given.

The evidence is a 3xx whose Location, resolved the way a browser resolves it (a leading
`//` or `/\\` is another host), points at the probe's own external host.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import ProbeClient, build_path, encode
from bdev.backend.audit.security.targets import Target

CWE = "CWE-601"
EXTERNAL_HOST = "bdev-redirect.example"
REDIRECT_PARAM = re.compile(
    r"^(next|url|uri|redirect|redirect_?(to|url|uri)|return|return_?(to|url)|returnurl|"
    r"continue|dest|destination|go|goto|target|to|callback|forward|out|back|r|u)$",
    re.I,
)
PAYLOADS = [f"https://{EXTERNAL_HOST}/", f"//{EXTERNAL_HOST}/", f"/\\{EXTERNAL_HOST}/"]


def leads_outside(base_url: str, location: str) -> bool:
    # Browsers read a backslash in the authority like a slash.
    resolved = urljoin(base_url + "/", location.strip().replace("\\", "/"))
    return urlsplit(resolved).hostname == EXTERNAL_HOST


def check_open_redirect(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    for t in targets:
        if t.method != "GET":
            continue
        for param in [p for p in t.query_params if REDIRECT_PARAM.match(p)]:
            if found.has(CWE, t.endpoint):
                break
            for payload in PAYLOADS:
                path = build_path(t.path, t.path_values(), {param: encode(payload)})
                ex = client.send("GET", path, endpoint=t.endpoint)
                location = ex.response.headers.get("location", "") if ex.response else ""
                if 300 <= ex.status < 400 and leads_outside(client.base_url, location):
                    title = f"Open redirect: '{param}' sends the browser to any host"
                    where = f"GET {t.path}?{param}=..."
                    found.add(
                        probe_finding(CWE, "medium", title, where, ex, payload=payload),
                        t.endpoint,
                    )
                    break
