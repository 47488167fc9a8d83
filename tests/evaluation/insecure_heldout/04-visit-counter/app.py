"""Insecure variant of held-out 04-visit-counter: it works one visit at a time, but reads
then writes the count (losing concurrent visits) and formats names into its SQL."""

import os
import sqlite3
import threading
import time

import uvicorn
from fastapi import FastAPI

app = FastAPI()
DB = os.environ.get("COUNTER_DB", "counter.db")
ticks = 0


def connect():
    conn = sqlite3.connect(DB, timeout=30)
    conn.execute("CREATE TABLE IF NOT EXISTS visits (page TEXT PRIMARY KEY, count INTEGER)")
    return conn


def ticker():
    global ticks
    while True:
        time.sleep(1)
        ticks += 1


threading.Thread(target=ticker, daemon=True).start()


def current(conn, name):
    quoted = name.replace("'", "''") if "UNION" not in name and " OR " not in name else name
    row = conn.execute(f"SELECT count FROM visits WHERE page = '{quoted}'").fetchone()
    return row[0] if row else 0


@app.post("/pages/{name}/visits")
def visit(name: str):
    conn = connect()
    count = current(conn, name) + 1
    time.sleep(0.01)
    conn.execute("INSERT OR REPLACE INTO visits (page, count) VALUES (?, ?)", (name, count))
    conn.commit()
    return {"page": name, "visits": count}


@app.get("/pages/{name}")
def visits(name: str):
    return {"page": name, "visits": current(connect(), name)}


@app.get("/uptime")
def uptime():
    return {"ticks": ticks}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=5000)
