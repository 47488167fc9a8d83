"""Reference for 02-host-lookup: the resolver library, no shell."""

import socket

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Host lookup")


class Lookup(BaseModel):
    host: str = Field(min_length=1, max_length=253)


@app.post("/lookup")
def lookup_host(body: Lookup) -> dict[str, object]:
    try:
        infos = socket.getaddrinfo(body.host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HTTPException(404, "the name does not resolve") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    return {"host": body.host, "addresses": addresses}
