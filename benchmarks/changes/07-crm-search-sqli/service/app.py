"""A tiny CRM: customers, looked up by email domain and status."""

import os
import sqlite3

from fastapi import FastAPI
from pydantic import BaseModel, Field

DB = os.environ.get("DATABASE_PATH", "crm.db")
app = FastAPI(title="crm")

with sqlite3.connect(DB) as c:
    c.execute(
        "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "email TEXT NOT NULL, status TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '')"
    )


class Customer(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    status: str = Field(pattern=r"^(lead|active|churned)$")
    notes: str = Field(default="", max_length=2000)


def rows(sql: str, args: tuple = ()) -> list[dict]:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


@app.post("/customers", status_code=201)
def add_customer(body: Customer) -> dict:
    with sqlite3.connect(DB) as conn:
        cur = conn.execute(
            "INSERT INTO customers (name, email, status, notes) VALUES (?, ?, ?, ?)",
            (body.name, body.email, body.status, body.notes),
        )
    return {"id": cur.lastrowid, **body.model_dump(exclude={"notes"})}


@app.get("/customers")
def find_customers(domain: str, status: str | None = None) -> list[dict]:
    where = f"lower(email) LIKE '%@{domain.lower()}'"
    sql = f"SELECT id, name, email, status FROM customers WHERE {where}"
    if status:
        sql += f" AND status = '{status}'"
    return rows(sql + " ORDER BY name LIMIT 100")
