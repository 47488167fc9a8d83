"""Reference for 11-documents: the body size is checked before the body is read whole."""

import itertools

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

app = FastAPI(title="Documents")
MAX_BODY = 256 * 1024
ids = itertools.count(1)
documents: dict[int, tuple[str, str]] = {}


@app.middleware("http")
async def limit_body(request: Request, call_next):
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return JSONResponse({"detail": "request body too large"}, status_code=413)
    if declared is None and request.method in ("POST", "PUT", "PATCH"):
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return JSONResponse({"detail": "request body too large"}, status_code=413)
    return await call_next(request)


class DocumentIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(max_length=65_536)


@app.post("/documents", status_code=201)
def save_document(body: DocumentIn) -> dict[str, object]:
    doc_id = next(ids)
    documents[doc_id] = (body.title, body.content)
    return {"id": doc_id, "title": body.title, "length": len(body.content)}


@app.get("/documents/{id}")
def get_document(id: int) -> dict[str, object]:
    if id not in documents:
        raise HTTPException(404, "no such document")
    title, content = documents[id]
    return {"id": id, "title": title, "content": content}
