"""Reference for held-out 04-visit-counter: one atomic upsert per visit, parameterised
SQL, and a daemon thread for the ticks."""

import os
import sqlite3
import threading
import time

import uvicorn
from fastapi import FastAPI, Path

app = FastAPI(title="Visit counter")
DB = os.environ.get("COUNTER_DB", "counter.db")
ticks = 0
Name = Path(min_length=1, max_length=100)


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=30, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS visits (page TEXT PRIMARY KEY, count INTEGER)")
    return conn


def ticker() -> None:
    global ticks
    while True:
        time.sleep(1)
        ticks += 1


@app.on_event("startup")
def start_ticker() -> None:
    connect().close()
    threading.Thread(target=ticker, daemon=True).start()


@app.post("/pages/{name}/visits")
def visit(name: str = Name) -> dict[str, object]:
    conn = connect()
    try:
        (count,) = conn.execute(
            "INSERT INTO visits (page, count) VALUES (?, 1)"
            " ON CONFLICT(page) DO UPDATE SET count = count + 1 RETURNING count",
            (name,),
        ).fetchone()
    finally:
        conn.close()
    return {"page": name, "visits": count}


@app.get("/pages/{name}")
def visits(name: str = Name) -> dict[str, object]:
    conn = connect()
    try:
        row = conn.execute("SELECT count FROM visits WHERE page = ?", (name,)).fetchone()
    finally:
        conn.close()
    return {"page": name, "visits": row[0] if row else 0}


@app.get("/uptime")
def uptime() -> dict[str, int]:
    return {"ticks": ticks}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=5000)
