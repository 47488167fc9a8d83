"""Reference for 05-file-store: names are single path components inside FILES_DIR."""

import os
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

ROOT = Path(os.environ["FILES_DIR"]).resolve()
ROOT.mkdir(parents=True, exist_ok=True)
app = FastAPI(title="File store")


class FileIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    content: str = Field(max_length=100_000)


def inside(name: str) -> Path:
    if name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise HTTPException(400, "the name must be a single file name")
    path = (ROOT / name).resolve()
    if path.parent != ROOT:
        raise HTTPException(400, "the name must be a single file name")
    return path


@app.post("/files", status_code=201)
def save_file(body: FileIn) -> dict[str, object]:
    data = body.content.encode()
    inside(body.name).write_bytes(data)
    return {"name": body.name, "size": len(data)}


@app.get("/files", response_class=PlainTextResponse)
def read_file(name: str = Query(min_length=1, max_length=100)) -> str:
    path = inside(name)
    if not path.is_file():
        raise HTTPException(404, "no such file")
    return path.read_text()
