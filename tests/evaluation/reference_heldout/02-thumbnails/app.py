"""Reference for held-out 02-thumbnails: sizes are checked from the header before any
pixel is decoded, uploads and thumbnail widths are bounded."""

import io
import secrets
import threading
from typing import Annotated

from fastapi import FastAPI, File, HTTPException, Query, Response, UploadFile
from PIL import Image, UnidentifiedImageError

app = FastAPI(title="Thumbnails")
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
FORMATS = {"PNG", "JPEG", "GIF"}
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE
lock = threading.Lock()
images: dict[str, bytes] = {}


@app.post("/images", status_code=201)
def upload(file: Annotated[UploadFile, File()]) -> dict[str, object]:
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, "upload larger than 5 MB")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise HTTPException(400, "not a readable image") from None
    if image.width > MAX_SIDE or image.height > MAX_SIDE:
        raise HTTPException(413, "more than 4096 pixels on a side")
    if image.format not in FORMATS:
        raise HTTPException(400, "only PNG, JPEG and GIF")
    try:
        image.load()
    except (OSError, ValueError):
        raise HTTPException(400, "not a readable image") from None
    image_id = secrets.token_urlsafe(12)
    with lock:
        images[image_id] = data
    return {"id": image_id, "width": image.width, "height": image.height, "format": image.format}


@app.get("/images/{id}/thumbnail")
def thumbnail(id: str, width: int = Query(ge=16, le=512)) -> Response:
    data = images.get(id)
    if data is None:
        raise HTTPException(404, "no such image")
    image = Image.open(io.BytesIO(data))
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height))
    out = io.BytesIO()
    image.convert("RGBA" if "A" in image.getbands() else "RGB").save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")
