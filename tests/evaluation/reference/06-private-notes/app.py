"""Reference for 06-private-notes: every note lookup is scoped to the key's owner."""

import hashlib
import itertools
import secrets
import threading

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Private notes")
lock = threading.Lock()
ids = itertools.count(1)
owners: dict[str, int] = {}  # sha256(api key) -> user id
notes: dict[int, tuple[int, str]] = {}  # note id -> (owner, text)


class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=32)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


def caller(key: str | None) -> int:
    owner = owners.get(hashlib.sha256((key or "").encode()).hexdigest()) if key else None
    if owner is None:
        raise HTTPException(401, "missing or unknown API key")
    return owner


@app.post("/users", status_code=201)
def create_user(body: UserIn) -> dict[str, object]:
    key = secrets.token_urlsafe(24)
    with lock:
        user_id = next(ids)
        owners[hashlib.sha256(key.encode()).hexdigest()] = user_id
    return {"id": user_id, "username": body.username, "api_key": key}


@app.post("/notes", status_code=201)
def create_note(body: NoteIn, x_api_key: str | None = Header(None)) -> dict[str, object]:
    owner = caller(x_api_key)
    with lock:
        note_id = next(ids)
        notes[note_id] = (owner, body.text)
    return {"id": note_id, "text": body.text}


@app.get("/notes/{id}")
def get_note(id: int, x_api_key: str | None = Header(None)) -> dict[str, object]:
    owner = caller(x_api_key)
    note = notes.get(id)
    if note is None or note[0] != owner:
        raise HTTPException(404, "no such note")
    return {"id": id, "text": note[1]}
