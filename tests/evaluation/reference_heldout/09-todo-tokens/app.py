"""Reference for held-out 09-todo-tokens: HS256 tokens from APP_SECRET checked with a
fixed algorithm list, passlib hashes, to-dos looked up by (owner, id)."""

import itertools
import os
import threading
import time
from typing import Annotated

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from passlib.hash import pbkdf2_sha256
from pydantic import BaseModel, Field

app = FastAPI(title="To-dos")
SECRET = os.environ["APP_SECRET"]
bearer = HTTPBearer(auto_error=False)
lock = threading.Lock()
ids = itertools.count(1)
users: dict[str, str] = {}  # username -> password hash
todos: dict[int, tuple[str, str]] = {}  # id -> (owner, title)


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=30)
    password: str = Field(min_length=8)


class TodoIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


def caller(auth: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    if auth is None:
        raise HTTPException(401, "missing token", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = jwt.decode(
            auth.credentials, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from None
    if claims["sub"] not in users:
        raise HTTPException(401, "invalid token")
    return claims["sub"]


@app.post("/register", status_code=201)
def register(body: Credentials) -> dict[str, str]:
    hashed = pbkdf2_sha256.hash(body.password)
    with lock:
        if body.username in users:
            raise HTTPException(409, "username taken")
        users[body.username] = hashed
    return {"username": body.username}


@app.post("/login")
def login(body: Credentials) -> dict[str, str]:
    hashed = users.get(body.username)
    if hashed is None or not pbkdf2_sha256.verify(body.password, hashed):
        raise HTTPException(401, "wrong username or password")
    now = int(time.time())
    token = jwt.encode(
        {"sub": body.username, "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256"
    )
    return {"access_token": token, "token_type": "bearer"}


@app.post("/todos", status_code=201)
def create(body: TodoIn, user: str = Depends(caller)) -> dict[str, object]:
    with lock:
        todo_id = next(ids)
        todos[todo_id] = (user, body.title)
    return {"id": todo_id, "title": body.title, "done": False}


@app.get("/todos/{id}")
def read(id: int, user: str = Depends(caller)) -> dict[str, object]:
    todo = todos.get(id)
    if todo is None or todo[0] != user:
        raise HTTPException(404, "no such to-do")
    return {"id": id, "title": todo[1], "done": False}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=5000)
