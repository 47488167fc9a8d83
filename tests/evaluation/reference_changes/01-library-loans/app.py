"""A small lending library: members register, log in, and borrow or return books."""

import hashlib
import os
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

DB = os.environ.get("DATABASE_PATH", "library.db")
SECRET = os.environ.get("JWT_SECRET", "dev-only-secret")
bearer = HTTPBearer(auto_error=False)
app = FastAPI(title="library")


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    return conn


with db() as c:
    c.executescript(
        """
        CREATE TABLE IF NOT EXISTS members (id INTEGER PRIMARY KEY, username TEXT UNIQUE,
            salt TEXT, password_hash TEXT);
        CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS loans (id INTEGER PRIMARY KEY, book_id INTEGER,
            member_id INTEGER, borrowed_at TEXT, returned_at TEXT);
        """
    )


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=40)
    password: str = Field(min_length=8, max_length=200)


class NewBook(BaseModel):
    title: str = Field(min_length=1, max_length=200)


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 100_000).hex()


def member_id(cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> int:
    if cred is None:
        raise HTTPException(401, "missing token")
    try:
        claims = jwt.decode(cred.credentials, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    return int(claims["sub"])


@app.post("/register", status_code=201)
def register(body: Credentials) -> dict:
    salt = secrets.token_hex(16)
    try:
        with db() as c:
            cur = c.execute(
                "INSERT INTO members (username, salt, password_hash) VALUES (?, ?, ?)",
                (body.username, salt, _hash(body.password, salt)),
            )
    except sqlite3.IntegrityError:
        raise HTTPException(409, "username taken") from None
    return {"id": cur.lastrowid, "username": body.username}


@app.post("/login")
def login(body: Credentials) -> dict:
    with db() as c:
        row = c.execute("SELECT * FROM members WHERE username = ?", (body.username,)).fetchone()
    if row is None or not secrets.compare_digest(
        row["password_hash"], _hash(body.password, row["salt"])
    ):
        raise HTTPException(401, "wrong username or password")
    exp = datetime.now(UTC) + timedelta(hours=1)
    return {"token": jwt.encode({"sub": str(row["id"]), "exp": exp}, SECRET, algorithm="HS256")}


@app.post("/books", status_code=201)
def add_book(body: NewBook, _: Annotated[int, Depends(member_id)]) -> dict:
    with db() as c:
        cur = c.execute("INSERT INTO books (title) VALUES (?)", (body.title,))
    return {"id": cur.lastrowid, "title": body.title}


@app.get("/books")
def list_books() -> list[dict]:
    with db() as c:
        return [dict(r) for r in c.execute("SELECT id, title FROM books ORDER BY id")]


@app.post("/books/{book_id}/borrow", status_code=201)
def borrow(book_id: int, member: Annotated[int, Depends(member_id)]) -> dict:
    with db() as c:
        if c.execute("SELECT 1 FROM books WHERE id = ?", (book_id,)).fetchone() is None:
            raise HTTPException(404, "no such book")
        out = "SELECT 1 FROM loans WHERE book_id = ? AND returned_at IS NULL"
        if c.execute(out, (book_id,)).fetchone():
            raise HTTPException(409, "already on loan")
        now = datetime.now(UTC).isoformat()
        c.execute(
            "INSERT INTO loans (book_id, member_id, borrowed_at) VALUES (?, ?, ?)",
            (book_id, member, now),
        )
    return {"book_id": book_id, "borrowed_at": now}


@app.post("/books/{book_id}/return")
def give_back(book_id: int, member: Annotated[int, Depends(member_id)]) -> dict:
    with db() as c:
        cur = c.execute(
            "UPDATE loans SET returned_at = ? WHERE book_id = ? AND member_id = ? "
            "AND returned_at IS NULL",
            (datetime.now(UTC).isoformat(), book_id, member),
        )
    if cur.rowcount == 0:
        raise HTTPException(404, "you have not borrowed this book")
    return {"book_id": book_id, "returned": True}


@app.get("/me/loans")
def my_loans(member: Annotated[int, Depends(member_id)]) -> list[dict]:
    with db() as c:
        rows = c.execute(
            "SELECT loans.book_id, books.title, loans.borrowed_at FROM loans "
            "JOIN books ON books.id = loans.book_id "
            "WHERE loans.member_id = ? AND loans.returned_at IS NULL "
            "ORDER BY loans.borrowed_at DESC, loans.id DESC",
            (member,),
        )
        return [dict(r) for r in rows]
