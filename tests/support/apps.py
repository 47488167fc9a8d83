"""Small FastAPI services for the generated-tests tests: one with a health check, a body
with bounds, a path parameter and a route behind a token; one whose members register and
log in for a token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FASTAPI_APP = """from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

app = FastAPI()
ITEMS: dict[int, dict] = {}


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    quantity: int = Field(ge=0, le=100)


class Item(ItemIn):
    id: int


def require_token(authorization: str | None = Header(default=None)) -> str:
    if authorization != "Bearer secret":
        raise HTTPException(status_code=401, detail="missing credentials")
    return authorization


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/items", status_code=201, response_model=Item)
def create_item(item: ItemIn) -> Item:
    new = Item(id=len(ITEMS) + 1, **item.model_dump())
    ITEMS[new.id] = new.model_dump()
    return new


@app.get("/items/{item_id}", response_model=Item)
def get_item(item_id: int) -> Item:
    if item_id not in ITEMS:
        raise HTTPException(404, "no such item")
    return Item(**ITEMS[item_id])


@app.get("/admin/stats")
def stats(token: str = Depends(require_token)) -> dict[str, int]:
    return {"items": len(ITEMS)}
"""


# As change task 01's library: register, log in for a token, a route behind the token.
MEMBERS_APP = """import secrets

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

app = FastAPI()
USERS: dict[str, str] = {}
TOKENS: dict[str, str] = {}


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=40)
    password: str = Field(min_length=8)


def member(authorization: str | None = Header(default=None)) -> str:
    name = TOKENS.get((authorization or "").removeprefix("Bearer "))
    if name is None:
        raise HTTPException(401, "missing token")
    return name


@app.post("/register", status_code=201)
def register(body: Credentials) -> dict:
    if body.username in USERS:
        raise HTTPException(409, "username taken")
    USERS[body.username] = body.password
    return {"username": body.username}


@app.post("/login")
def login(body: Credentials) -> dict:
    if USERS.get(body.username) != body.password:
        raise HTTPException(401, "wrong username or password")
    token = secrets.token_hex(8)
    TOKENS[token] = body.username
    return {"token": token}


@app.get("/me/notes")
def my_notes(name: str = Depends(member)) -> list[dict]:
    return [{"owner": name}]
"""


def served_document(root: Path) -> dict:
    """The FastAPI app's own document, as its running service would serve it."""
    code = "import json, app; print(json.dumps(app.app.openapi()))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def run_generated(root: Path) -> dict[str, str]:
    """Run bdev's generated module under `root` in a fresh pytest: test name -> "passed",
    "failed" or "skipped"."""
    import xml.etree.ElementTree as ET

    from bdev.backend.testgen import GENERATED

    junit = root / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
         GENERATED],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    outcome = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcome[case.get("name", "")] = "failed" if bad else "skipped" if skipped else "passed"
    return outcome
