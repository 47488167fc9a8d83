"""Insecure variant of held-out 01-file-drop: it works, but joins file names onto the
folder unchecked and serves files inline."""

import os

from flask import Flask, abort, jsonify, request, send_file

app = Flask(__name__)
FOLDER = os.environ.get("UPLOAD_DIR", "uploads")


@app.post("/files")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        return jsonify(error="no file"), 400
    data = file.read()
    if len(data) > 1024 * 1024:
        return jsonify(error="too large"), 413
    with open(os.path.join(FOLDER, file.filename), "wb") as out:
        out.write(data)
    return jsonify(name=file.filename, size=len(data)), 201


@app.get("/files")
def listing():
    names = sorted(os.listdir(FOLDER))
    return jsonify([{"name": n, "size": os.path.getsize(os.path.join(FOLDER, n))} for n in names])


@app.get("/files/<path:name>")
def download(name):
    path = os.path.join(FOLDER, name)
    if not os.path.isfile(path):
        abort(404)
    response = send_file(os.path.abspath(path))
    if not name.endswith(".html"):
        response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
