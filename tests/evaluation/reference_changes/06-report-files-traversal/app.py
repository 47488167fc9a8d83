"""Stores generated reports as files and serves them back."""

import os

from flask import Flask, abort, jsonify, request, send_file

ROOT = os.environ.get("REPORTS_DIR", "reports")
os.makedirs(ROOT, exist_ok=True)
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def inside(name: str) -> str | None:
    """The real path of `name` under ROOT, or None when it would leave ROOT."""
    root = os.path.realpath(ROOT)
    path = os.path.realpath(os.path.join(root, name))
    return path if path.startswith(root + os.sep) else None


@app.put("/reports/<path:name>")
def save_report(name: str):
    path = inside(name)
    if path is None:
        return jsonify(error="that name leaves the reports folder"), 400
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(request.get_data())
    return jsonify(name=name, size=os.path.getsize(path)), 201


@app.get("/reports/<path:name>")
def read_report(name: str):
    path = inside(name)
    if path is None or not os.path.isfile(path):
        abort(404)
    return send_file(path, mimetype="application/octet-stream")


@app.get("/reports")
def list_reports():
    names = []
    for folder, _dirs, files in os.walk(ROOT):
        names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files]
    return jsonify(sorted(names))
