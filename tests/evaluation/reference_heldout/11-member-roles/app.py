"""Reference for held-out 11-member-roles: sign-up takes only a username, and role changes
compare the operator token in constant time."""

import hmac
import itertools
import os
import secrets
import threading
from typing import Literal

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Members")
lock = threading.Lock()
ids = itertools.count(1)
members: dict[int, dict[str, object]] = {}
keys: dict[str, int] = {}


class SignupIn(BaseModel):
    username: str = Field(min_length=3, max_length=30)


class RoleIn(BaseModel):
    role: Literal["member", "moderator", "admin"]


def public(member: dict[str, object]) -> dict[str, object]:
    return {"id": member["id"], "username": member["username"], "role": member["role"]}


@app.post("/signup", status_code=201)
def signup(body: SignupIn) -> dict[str, object]:
    key = secrets.token_urlsafe(24)
    with lock:
        member_id = next(ids)
        members[member_id] = {"id": member_id, "username": body.username, "role": "member"}
        keys[key] = member_id
    return {**public(members[member_id]), "api_key": key}


@app.get("/me")
def me(x_api_key: str | None = Header(None)) -> dict[str, object]:
    member_id = keys.get(x_api_key or "")
    if member_id is None:
        raise HTTPException(401, "missing or unknown API key")
    return public(members[member_id])


@app.put("/users/{id}/role")
def set_role(id: int, body: RoleIn, x_admin_token: str | None = Header(None)) -> dict[str, object]:
    expected = os.environ.get("ADMIN_TOKEN", "")
    if not expected or not hmac.compare_digest((x_admin_token or "").encode(), expected.encode()):
        raise HTTPException(403, "operator only")
    with lock:
        member = members.get(id)
        if member is None:
            raise HTTPException(404, "no such member")
        member["role"] = body.role
    return public(member)
