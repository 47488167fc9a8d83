"""One user reaching another user's objects (IDOR, CWE-639). Needs two credentials
(`--auth` for user A, `--auth2` for user B).

For each collection that can be created into (`POST /notes`), user A creates an object
whose text fields carry a unique marker, and A reads it back (without that, nothing can
be concluded). Then user B, on the object's own operations:
- GET: a 2xx holding A's marker is the finding;
- PUT/PATCH: a 2xx after which A reads B's marker is the finding;
- DELETE (only ever on the object the probe created): a 2xx after which A gets 404/410.
"""

from __future__ import annotations

import secrets

from bdev.backend.audit.security.auth import Credential
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path
from bdev.backend.audit.security.objects import created_id, item_path, item_targets
from bdev.backend.audit.security.targets import Target

CWE = "CWE-639"
MAX_COLLECTIONS = 5


def check_idor(
    client: ProbeClient,
    targets: list[Target],
    found: FindingSet,
    user_a: Credential | None,
    user_b: Credential | None,
) -> list[str]:
    """Run the check; what was (not) checked, one line per collection, for the report."""
    if user_a is None or user_b is None:
        return ["not checked: needs two users (--auth and --auth2)"]
    notes = []
    collections = [
        t
        for t in targets
        if t.method == "POST" and t.body_string_fields and item_targets(t, targets)
    ]
    for coll in collections[:MAX_COLLECTIONS]:
        notes.append(
            _check_collection(client, coll, item_targets(coll, targets), found, user_a, user_b)
        )
    return notes or ["not checked: no collection with both a create and an item operation"]


def _check_collection(
    client: ProbeClient,
    coll: Target,
    items: list[Target],
    found: FindingSet,
    a: Credential,
    b: Credential,
) -> str:
    mark = "bdevidor" + secrets.token_hex(4)
    body = {**(coll.body or {}), **dict.fromkeys(coll.body_string_fields, mark)}
    created = client.send(
        "POST",
        build_path(coll.path, coll.path_values()),
        endpoint=coll.endpoint,
        as_user=a.as_headers(),
        **coll.body_args(body),
    )
    object_id = created_id(created)
    if object_id is None:
        return f"{coll.endpoint}: not checked (creating as user A gave {created.status}, no id)"
    by_method = {t.method: t for t in items}
    reader = by_method.get("GET")
    if reader is None:
        return f"{coll.endpoint}: not checked (no GET for one object)"
    path = item_path(reader, object_id)

    def read_as_a() -> Exchange:
        return client.send("GET", path, endpoint=reader.endpoint, as_user=a.as_headers())

    own = read_as_a()
    if not (200 <= own.status < 300 and mark in own.text):
        return f"{coll.endpoint}: not checked (user A could not read its own object: {own.status})"
    other = client.send("GET", path, endpoint=reader.endpoint, as_user=b.as_headers())
    if 200 <= other.status < 300 and mark in other.text:
        title = f"IDOR: another user can read an object of user A through GET {reader.path}"
        found.add(_finding(title, reader, other, mark, created), reader.endpoint)
    writer = by_method.get("PUT") or by_method.get("PATCH")
    if writer is not None:
        mark_b = "bdevidor" + secrets.token_hex(4)
        body_b = {**(coll.body or {}), **dict.fromkeys(coll.body_string_fields, mark_b)}
        changed = client.send(
            writer.method,
            item_path(writer, object_id),
            endpoint=writer.endpoint,
            as_user=b.as_headers(),
            **writer.body_args(body_b),
        )
        if 200 <= changed.status < 300 and mark_b in read_as_a().text:
            title = f"IDOR: another user can change an object of user A through {writer.endpoint}"
            found.add(_finding(title, writer, changed, mark_b, created), writer.endpoint)
    deleter = by_method.get("DELETE")
    if deleter is not None:
        gone = client.send(
            "DELETE",
            item_path(deleter, object_id),
            endpoint=deleter.endpoint,
            as_user=b.as_headers(),
        )
        if 200 <= gone.status < 300 and read_as_a().status in (404, 410):
            title = f"IDOR: another user can delete an object of user A through {deleter.endpoint}"
            found.add(_finding(title, deleter, gone, "", created), deleter.endpoint)
    return f"{coll.endpoint}: checked as user B on {', '.join(sorted(by_method))}"


def _finding(title: str, t: Target, ex: Exchange, mark: str, created: Exchange):
    return probe_finding(
        CWE,
        "high",
        title,
        t.endpoint,
        ex,
        focus=mark,
        created_by_user_a=created.evidence(),
        marker=mark,
    )
