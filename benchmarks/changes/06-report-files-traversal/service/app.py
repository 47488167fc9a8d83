"""Stores generated reports as files and serves them back."""

import os

from flask import Flask, abort, jsonify, request, send_file

ROOT = os.environ.get("REPORTS_DIR", "reports")
os.makedirs(ROOT, exist_ok=True)
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


@app.put("/reports/<path:name>")
def save_report(name: str):
    path = os.path.join(ROOT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(request.get_data())
    return jsonify(name=name, size=os.path.getsize(path)), 201


@app.get("/reports/<path:name>")
def read_report(name: str):
    path = os.path.join(ROOT, name)
    if not os.path.isfile(path):
        abort(404)
    return send_file(os.path.abspath(path), mimetype="application/octet-stream")


@app.get("/reports")
def list_reports():
    names = []
    for folder, _dirs, files in os.walk(ROOT):
        names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files]
    return jsonify(sorted(names))
