"""A helpdesk: customers open tickets, support agents answer and close them."""

import hashlib
import os
import secrets
import sqlite3

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

DB = os.environ.get("DATABASE_PATH", "helpdesk.db")
AGENTS = {n.strip() for n in os.environ.get("SUPPORT_AGENTS", "").split(",") if n.strip()}
app = FastAPI(title="helpdesk")

with sqlite3.connect(DB) as c:
    c.executescript(
        """
        CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, salt TEXT, hash TEXT);
        CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, username TEXT);
        CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, owner TEXT, subject TEXT,
            body TEXT, status TEXT DEFAULT 'open');
        """
    )


def query(sql: str, args: tuple = ()) -> list[dict]:
    with sqlite3.connect(DB) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


class Login(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9-]{3,30}$")
    password: str = Field(min_length=8, max_length=200)


class NewTicket(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)


class TicketUpdate(BaseModel):
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    status: str | None = Field(default=None, pattern=r"^(open|waiting|closed)$")


def _hash(password: str, salt: str) -> str:
    return hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1).hex()


def current_user(authorization: str = Header(default="")) -> str:
    token = authorization.removeprefix("Bearer ").strip()
    found = query("SELECT username FROM sessions WHERE token = ?", (token,)) if token else []
    if not found:
        raise HTTPException(401, "log in first")
    return found[0]["username"]


@app.post("/login")
def login(body: Login) -> dict:
    """Logs in, registering the username on first use."""
    user = query("SELECT * FROM users WHERE username = ?", (body.username,))
    if not user:
        salt = secrets.token_hex(16)
        query(
            "INSERT INTO users VALUES (?, ?, ?)", (body.username, salt, _hash(body.password, salt))
        )
    elif not secrets.compare_digest(user[0]["hash"], _hash(body.password, user[0]["salt"])):
        raise HTTPException(401, "wrong password")
    token = secrets.token_urlsafe(32)
    query("INSERT INTO sessions VALUES (?, ?)", (token, body.username))
    return {"token": token, "agent": body.username in AGENTS}


@app.post("/tickets", status_code=201)
def open_ticket(body: NewTicket, user: str = Depends(current_user)) -> dict:
    with sqlite3.connect(DB) as conn:
        cur = conn.execute(
            "INSERT INTO tickets (owner, subject, body) VALUES (?, ?, ?)",
            (user, body.subject, body.body),
        )
    return get_ticket(cur.lastrowid or 0, user)


@app.get("/tickets")
def list_tickets(user: str = Depends(current_user)) -> list[dict]:
    if user in AGENTS:
        return query("SELECT * FROM tickets ORDER BY id DESC LIMIT 200")
    return query("SELECT * FROM tickets WHERE owner = ? ORDER BY id DESC LIMIT 200", (user,))


@app.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: int, user: str = Depends(current_user)) -> dict:
    found = query("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    # Someone else's ticket looks exactly like a missing one: ids reveal nothing.
    if not found or (found[0]["owner"] != user and user not in AGENTS):
        raise HTTPException(404, "no such ticket")
    return found[0]


@app.patch("/tickets/{ticket_id}")
def update_ticket(ticket_id: int, body: TicketUpdate, user: str = Depends(current_user)) -> dict:
    get_ticket(ticket_id, user)
    if body.status is not None and user not in AGENTS:
        raise HTTPException(403, "only support agents set the status")
    if body.body is not None:
        query("UPDATE tickets SET body = ? WHERE id = ?", (body.body, ticket_id))
    if body.status is not None:
        query("UPDATE tickets SET status = ? WHERE id = ?", (body.status, ticket_id))
    return get_ticket(ticket_id, user)
