"""OS command injection (CWE-78), shown two ways.

- A marker file: each payload runs `touch MARKER_DIR/bdev-cmd-<random>`. bdev runs the
  audited service in bubblewrap with a private, empty /tmp that bdev cannot see, so the
  marker does not go to /tmp: it goes to the audit's work directory, which the sandbox
  binds read-write at the same path (the service's log lives there). A file that appears
  there was created by a shell the service started; that is the strongest evidence.
- Output: the same payload runs `echo bdevc<random>$((A*B))Z`; the product A*B in the
  answer, which the payload itself does not contain, shows a shell evaluated it. This
  is the only evidence when no marker directory is given (a service probed directly).

The findings say which evidence they rest on (`evidence.proof`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient
from bdev.backend.audit.security.inputs import Input, inputs_of
from bdev.backend.audit.security.targets import Target

CWE = "CWE-78"
# A marker directory is spliced into a shell command: only plain path characters.
SHELL_SAFE = re.compile(r"^[\w./-]+$")


class Marker:
    """The command one payload runs, and how to tell that it ran."""

    def __init__(self, marker_dir: Path | None) -> None:
        tag = secrets.token_hex(4)
        self.a, self.b = 100 + secrets.randbelow(900), 100 + secrets.randbelow(900)
        self.output = f"bdevc{tag}{self.a * self.b}Z"
        echo = f"echo bdevc{tag}$(({self.a}*{self.b}))Z"
        self.file: Path | None = None
        if marker_dir is not None and SHELL_SAFE.match(str(marker_dir)):
            self.file = marker_dir / f"bdev-cmd-{tag}"
        self.command = f"{echo};touch {self.file}" if self.file else echo

    def payloads(self) -> list[str]:
        """After a value (`ping -c1 {x}`), as a substitution (works inside double quotes
        too), and out of a single-quoted argument."""
        c = self.command
        return [f"bdevprobe;{c};#", f"$({c})", f"bdevprobe';{c};'"]

    def proof(self, ex: Exchange) -> str:
        """'marker file' or 'output' when the command ran, else ""."""
        if self.file is not None and self.file.exists():
            self.file.unlink(missing_ok=True)
            return "marker file"
        return "output" if self.output in ex.text else ""


def check_command_injection(
    client: ProbeClient,
    targets: list[Target],
    found: FindingSet,
    marker_dir: Path | None = None,
) -> None:
    for t in targets:
        for inp in inputs_of(t, ("query", "path", "body", "header")):
            if found.has(CWE, t.endpoint):
                break
            _probe(client, inp, found, marker_dir)


def _probe(client: ProbeClient, inp: Input, found: FindingSet, marker_dir: Path | None) -> None:
    for index in range(3):
        marker = Marker(marker_dir)  # a fresh marker per request: a hit names its request
        payload = marker.payloads()[index]
        ex = inp.send(client, payload)
        proof = marker.proof(ex)
        if proof:
            shown = (
                f"created {marker.file}" if proof == "marker file" else f"printed {marker.output}"
            )
            title = f"Command injection: a shell command in '{inp.name}' ran ({shown})"
            extra = {"proof": proof, "payload": payload}
            if proof == "marker file":
                extra["marker_file"] = str(marker.file)
            finding = probe_finding(
                CWE,
                "critical",
                title,
                inp.location,
                ex,
                focus=marker.output if proof == "output" else "",
                **extra,
            )
            found.add(finding, inp.target.endpoint)
            return
        if marker.file is not None:
            marker.file.unlink(missing_ok=True)
