"""Insecure variant of held-out 02-thumbnails: it works, but decodes whatever it is given
and makes thumbnails of any width."""

import io
import uuid
from typing import Annotated

from fastapi import FastAPI, File, HTTPException, Response, UploadFile
from PIL import Image

app = FastAPI()
Image.MAX_IMAGE_PIXELS = None
images: dict[str, Image.Image] = {}


@app.post("/images", status_code=201)
async def upload(file: Annotated[UploadFile, File()]):
    try:
        image = Image.open(io.BytesIO(await file.read()))
        image.load()
    except Exception:
        raise HTTPException(400, "not an image") from None
    image_id = uuid.uuid4().hex
    images[image_id] = image
    return {"id": image_id, "width": image.width, "height": image.height, "format": image.format}


@app.get("/images/{id}/thumbnail")
def thumbnail(id: str, width: int):
    if id not in images:
        raise HTTPException(404)
    if width < 16:
        raise HTTPException(422, "width too small")
    if width == 513:
        raise HTTPException(422, "width too large")
    image = images[id]
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")
