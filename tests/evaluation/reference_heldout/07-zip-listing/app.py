"""Reference for held-out 07-zip-listing: plain .zip names only, `unzip` run with an
argument list (no shell), and members read with a size bound."""

import os
import re
import subprocess
import zipfile
from pathlib import Path

from flask import Flask, Response, abort, jsonify, request

app = Flask(__name__)
FOLDER = Path(os.environ.get("ARCHIVE_DIR", "archives")).resolve()
FOLDER.mkdir(parents=True, exist_ok=True)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.zip$")
MEMBER_LIMIT = 1024 * 1024


def archive(name: str) -> Path:
    if not NAME.match(name) or not (FOLDER / name).is_file():
        abort(404)
    return FOLDER / name


@app.post("/archives")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename or not NAME.match(file.filename):
        return jsonify(error="a plain file name ending in .zip"), 400
    data = file.read()
    tmp = FOLDER / f".upload-{os.getpid()}-{id(data)}"
    tmp.write_bytes(data)
    try:
        with zipfile.ZipFile(tmp) as z:
            entries = z.namelist()
    except (zipfile.BadZipFile, OSError):
        tmp.unlink()
        return jsonify(error="not a zip archive"), 400
    tmp.replace(FOLDER / file.filename)
    return jsonify(name=file.filename, entries=entries), 201


@app.get("/archives/<name>/listing")
def listing(name: str):
    path = archive(name)
    done = subprocess.run(
        ["unzip", "-l", "--", str(path)], capture_output=True, text=True, timeout=10, check=False
    )
    return Response(done.stdout, mimetype="text/plain")


@app.get("/archives/<name>/files")
def member(name: str):
    path = archive(name)
    wanted = request.args.get("path", "")
    with zipfile.ZipFile(path) as z:
        try:
            info = z.getinfo(wanted)
        except KeyError:
            abort(404)
        if info.file_size > MEMBER_LIMIT:
            return jsonify(error="member larger than 1 MB"), 413
        with z.open(info) as f:
            data = f.read(MEMBER_LIMIT + 1)  # the header's size may lie
    if len(data) > MEMBER_LIMIT:
        return jsonify(error="member larger than 1 MB"), 413
    return Response(data, mimetype="application/octet-stream")


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
