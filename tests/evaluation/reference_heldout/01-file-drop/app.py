"""Reference for held-out 01-file-drop: plain file names only, downloads as attachments,
uploads bounded by MAX_CONTENT_LENGTH."""

import os
from pathlib import Path

from flask import Flask, abort, jsonify, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024 + 4096  # the file plus the form's framing
LIMIT = 1024 * 1024
FOLDER = Path(os.environ.get("UPLOAD_DIR", "uploads")).resolve()
FOLDER.mkdir(parents=True, exist_ok=True)


def plain_name(name: str | None) -> str | None:
    if not name or name != os.path.basename(name) or "\\" in name or "\0" in name:
        return None
    if name.startswith(".") or len(name) > 200:
        return None
    return name


@app.errorhandler(RequestEntityTooLarge)
def too_large(_e):
    return jsonify(error="file larger than 1 MB"), 413


@app.post("/files")
def upload():
    file = request.files.get("file")
    if file is None:
        return jsonify(error="no file"), 400
    name = plain_name(file.filename)
    if name is None:
        return jsonify(error="not a plain file name"), 400
    data = file.read(LIMIT + 1)
    if len(data) > LIMIT:
        return jsonify(error="file larger than 1 MB"), 413
    (FOLDER / name).write_bytes(data)
    return jsonify(name=name, size=len(data)), 201


@app.get("/files")
def listing():
    return jsonify(
        [
            {"name": p.name, "size": p.stat().st_size}
            for p in sorted(FOLDER.iterdir())
            if p.is_file()
        ]
    )


@app.get("/files/<name>")
def download(name: str):
    if plain_name(name) is None or not (FOLDER / name).is_file():
        abort(404)
    return send_from_directory(FOLDER, name, as_attachment=True)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
