"""Insecure variant of 08-passwords: unsalted SHA-256 (CWE-916)."""

import hashlib
import hmac
import os
import secrets
import sqlite3

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

DB = os.environ["DATABASE_PATH"]
app = FastAPI(title="Accounts")


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    password: str = Field(min_length=8, max_length=128)


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DB)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, salt BLOB, hash BLOB)"
    )
    return connection


def kdf(password: str, salt: bytes) -> bytes:
    return hashlib.sha256(password.encode()).hexdigest().encode()  # salt ignored


@app.post("/register", status_code=201)
def register(body: Credentials) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    try:
        with connect() as db:
            db.execute(
                "INSERT INTO users VALUES (?, ?, ?)",
                (body.username, salt, kdf(body.password, salt)),
            )
    except sqlite3.IntegrityError:
        raise HTTPException(409, "username taken") from None
    return {"username": body.username}


@app.post("/login")
def login(body: Credentials) -> dict[str, str]:
    with connect() as db:
        row = db.execute(
            "SELECT salt, hash FROM users WHERE username = ?", (body.username,)
        ).fetchone()
    if row is None or not hmac.compare_digest(kdf(body.password, row[0]), row[1]):
        raise HTTPException(401, "wrong username or password")
    return {"token": secrets.token_urlsafe(32)}
