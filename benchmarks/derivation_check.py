"""How well `bdev`'s prose derivation reads API descriptions someone else wrote.

    python benchmarks/derivation_check.py DIR [--out OUT] [--model local]

DIR holds pairs: `NAME.md`, a service's description (e.g. the endpoint section of a
public repository's README), and `NAME.truth.json`, what its code really does, one entry
per route: `{"method", "path", "query", "body_fields", "success_status", "auth",
"returns", "reply_fields"}` (`path` with `{param}` templates; null where unknown). Each
description is derived with `specfirst.prose.derive_spec` on the given model and the
document compared with the code, per route:

- found: routes of the code the derivation names (by method and path, parameter names
  aside), and the ones it names that the code does not have;
- status, shape (object, list, nothing, text), auth: the same as the code's, where the
  code's is known;
- body and query fields: the code's names found, and names the code does not read.

A description that leaves something out cannot be derived right; the figures say how far
the derivation agrees with the code, not how far it is to blame. The texts are other
people's and stay out of this repository; only the figures go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from bdev.config import load_config
from bdev.llm.resolve import model_from_config
from bdev.specfirst.prose import derive_spec


def route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


def derived_routes(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    routes = {}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            routes[route_key(method, path)] = op
    return routes


def shape(op: dict[str, Any]) -> tuple[int, str]:
    """The success status and what it answers: object, list, nothing or text."""
    status, response = next(
        ((int(code), r) for code, r in op["responses"].items() if code.startswith(("2", "3"))),
        (0, {}),
    )
    content = response.get("content", {})
    if not content:
        return status, "nothing"
    media, body = next(iter(content.items()))
    if media != "application/json":
        return status, "text"
    schema = body.get("schema", {})
    return status, "list" if schema.get("type") == "array" else "object"


def fields(op: dict[str, Any], doc: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Body field names and query parameter names."""
    body: set[str] = set()
    for media in op.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
        body |= set(schema.get("properties", {}))
    query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    return body, query


def compare(doc: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, Any]:
    routes = derived_routes(doc)
    wanted = {route_key(t["method"], t["path"]): t for t in truth}
    row: dict[str, Any] = {
        "routes": len(wanted),
        "found": 0,
        "extra": sorted(" ".join(k) for k in routes if k not in wanted),
        "missed": sorted(" ".join(k) for k in wanted if k not in routes),
        "status": [0, 0], "shape": [0, 0], "auth": [0, 0],
        "body": [0, 0, 0], "query": [0, 0, 0],  # code's names found, code's names, invented
        "wrong": [],
    }  # fmt: skip
    for key, want in wanted.items():
        op = routes.get(key)
        if op is None:
            continue
        row["found"] += 1
        status, returns = shape(op)
        checks = {
            "status": (want.get("success_status"), status),
            "shape": (want.get("returns"), returns),
            "auth": (want.get("auth"), bool(op.get("security"))),
        }
        for name, (expected, got) in checks.items():
            if expected is None:
                continue
            row[name][1] += 1
            if expected == got:
                row[name][0] += 1
            else:
                row["wrong"].append(f"{' '.join(key)} {name}: {got} (code: {expected})")
        body, query = fields(op, doc)
        for name, got in (("body", body), ("query", query)):
            expected = set(want.get(f"{name}_fields" if name == "body" else name) or [])
            row[name][0] += len(expected & got)
            row[name][1] += len(expected)
            row[name][2] += len(got - expected)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, help="where to write each derived document")
    parser.add_argument("--model", default="local")
    args = parser.parse_args()
    model = model_from_config(args.model, load_config(Path.cwd()))
    rows = []
    for text_file in sorted(args.folder.glob("*.md")):
        truth_file = text_file.with_suffix(".truth.json")
        if not truth_file.is_file():
            continue
        text = re.sub(r"<!--.*?-->", "", text_file.read_text(), flags=re.S)
        start = time.monotonic()
        try:
            derived = derive_spec(text, model)
        except Exception as exc:  # a description naming no route is a result too
            rows.append({"name": text_file.stem, "error": str(exc)})
            continue
        row = compare(derived.doc, json.loads(truth_file.read_text()))
        row |= {"name": text_file.stem, "seconds": round(time.monotonic() - start)}
        rows.append(row)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            record = {"doc": derived.doc, "notes": derived.notes, "comparison": row}
            (args.out / f"{text_file.stem}.json").write_text(json.dumps(record, indent=2))
        print(f"{text_file.stem}: {row['found']}/{row['routes']} routes", flush=True)
    print(table(rows))
    return 0


def table(rows: list[dict[str, Any]]) -> str:
    def ratio(pair: list[int]) -> str:
        return f"{pair[0]}/{pair[1]}"

    lines = [
        "| description | routes found | extra | status | shape | auth | body fields "
        "(invented) | query params (invented) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total: dict[str, Any] = {}
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['name']} | error: {row['error'][:60]} | | | | | | |")
            continue
        lines.append(
            f"| {row['name']} | {row['found']}/{row['routes']} | {len(row['extra'])} "
            f"| {ratio(row['status'])} | {ratio(row['shape'])} | {ratio(row['auth'])} "
            f"| {ratio(row['body'])} ({row['body'][2]}) | {ratio(row['query'])} "
            f"({row['query'][2]}) |"
        )
        for key in ("status", "shape", "auth", "body", "query"):
            before = total.get(key, [0] * len(row[key]))
            total[key] = [a + b for a, b in zip(before, row[key], strict=True)]
        total["found"] = total.get("found", 0) + row["found"]
        total["routes"] = total.get("routes", 0) + row["routes"]
        total["extra"] = total.get("extra", 0) + len(row["extra"])
    if total:
        lines.append(
            f"| **all** | {total['found']}/{total['routes']} | {total['extra']} "
            f"| {ratio(total['status'])} | {ratio(total['shape'])} | {ratio(total['auth'])} "
            f"| {ratio(total['body'])} ({total['body'][2]}) | {ratio(total['query'])} "
            f"({total['query'][2]}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
