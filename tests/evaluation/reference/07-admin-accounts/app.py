"""Reference for 07-admin-accounts: a constant-time check of the admin bearer token."""

import hmac
import itertools
import os

from fastapi import FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, Field

app = FastAPI(title="Accounts")
ADMIN_TOKEN = os.environ["ADMIN_TOKEN"]
ids = itertools.count(1)
accounts: dict[int, str] = {}


class SignUp(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


def require_admin(authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), ADMIN_TOKEN.encode()):
        raise HTTPException(401, "administrator only", headers={"WWW-Authenticate": "Bearer"})


@app.post("/accounts", status_code=201)
def sign_up(body: SignUp) -> dict[str, object]:
    if body.email in accounts.values():
        raise HTTPException(409, "email already registered")
    account_id = next(ids)
    accounts[account_id] = body.email
    return {"id": account_id, "email": body.email}


@app.get("/accounts")
def list_accounts(authorization: str | None = Header(None)) -> list[dict[str, object]]:
    require_admin(authorization)
    return [{"id": i, "email": e} for i, e in accounts.items()]


@app.delete("/accounts/{id}", status_code=204)
def delete_account(id: int, authorization: str | None = Header(None)) -> Response:
    require_admin(authorization)
    if accounts.pop(id, None) is None:
        raise HTTPException(404, "no such account")
    return Response(status_code=204)
