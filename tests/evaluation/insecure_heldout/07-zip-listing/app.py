"""Insecure variant of held-out 07-zip-listing: it works, but builds a shell command from
the archive name and reads members without a bound."""

import os
import subprocess
import zipfile

from flask import Flask, Response, abort, jsonify, request

app = Flask(__name__)
FOLDER = os.environ.get("ARCHIVE_DIR", "archives")


@app.post("/archives")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename.endswith(".zip") or "/" in file.filename:
        return jsonify(error="bad name"), 400
    path = os.path.join(FOLDER, file.filename)
    file.save(path)
    try:
        entries = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        os.remove(path)
        return jsonify(error="not a zip"), 400
    return jsonify(name=file.filename, entries=entries), 201


@app.get("/archives/<path:name>/listing")
def listing(name):
    path = os.path.join(FOLDER, name)
    if not os.path.exists(path):
        abort(404)
    out = subprocess.run(f"unzip -l {FOLDER}/{name}", shell=True, capture_output=True, text=True)
    return Response(out.stdout, mimetype="text/plain")


@app.get("/archives/<path:name>/files")
def member(name):
    path = os.path.join(FOLDER, name)
    if not os.path.exists(path):
        abort(404)
    with zipfile.ZipFile(path) as z:
        try:
            return Response(
                z.read(request.args.get("path", "")), mimetype="application/octet-stream"
            )
        except KeyError:
            abort(404)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
