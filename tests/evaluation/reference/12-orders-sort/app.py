"""Reference for 12-orders-sort: the sort column comes from a fixed mapping."""

import os
import sqlite3
import time
from typing import Literal

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

DB = os.environ["DATABASE_PATH"]
app = FastAPI(title="Orders report")
COLUMNS = {"id": "id", "total": "total", "created": "created"}


class OrderIn(BaseModel):
    customer: str = Field(min_length=1, max_length=100)
    total: float = Field(ge=0)


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DB)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS orders "
        "(id INTEGER PRIMARY KEY, customer TEXT, total REAL, created REAL)"
    )
    return connection


@app.post("/orders", status_code=201)
def record_order(body: OrderIn) -> dict[str, object]:
    with connect() as db:
        cursor = db.execute(
            "INSERT INTO orders (customer, total, created) VALUES (?, ?, ?)",
            (body.customer, body.total, time.time()),
        )
    return {"id": cursor.lastrowid, "customer": body.customer, "total": body.total}


@app.get("/orders")
def list_orders(
    customer: str = Query(min_length=1, max_length=100),
    sort: Literal["id", "total", "created"] = "id",
) -> list[dict[str, object]]:
    column = COLUMNS[sort]  # never the request's text itself
    with connect() as db:
        rows = db.execute(
            f"SELECT id, customer, total FROM orders WHERE customer = ? ORDER BY {column}, id",
            (customer,),
        ).fetchall()
    return [{"id": i, "customer": c, "total": t} for i, c, t in rows]
