"""Reference for held-out 08-net-tools: getent is run with an argument list (no shell),
names go after `--`, and only the parsed fields are returned."""

import subprocess

from fastapi import FastAPI, HTTPException, Path, Query

app = FastAPI(title="Network tools")


def getent(database: str, key: str) -> list[str]:
    try:
        done = subprocess.run(
            ["getent", database, "--", key], capture_output=True, text=True, timeout=10, check=False
        )
    except subprocess.TimeoutExpired:
        raise HTTPException(504, "lookup timed out") from None
    return done.stdout.splitlines() if done.returncode == 0 else []


@app.get("/resolve")
def resolve(host: str = Query(min_length=1, max_length=253)) -> dict[str, object]:
    lines = getent("hosts", host)
    addresses = [line.split()[0] for line in lines if line.split()]
    if not addresses:
        raise HTTPException(404, "host not found")
    return {"host": host, "addresses": list(dict.fromkeys(addresses))}


@app.get("/services/{name}")
def service(name: str = Path(min_length=1, max_length=32)) -> dict[str, object]:
    for line in getent("services", name):
        fields = line.split()
        if len(fields) >= 2 and "/" in fields[1]:
            port, protocol = fields[1].split("/", 1)
            return {"name": name, "port": int(port), "protocol": protocol}
    raise HTTPException(404, "unknown service")
