"""Reference for 04-templates: one regular expression, one pass, no engine."""

import re

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Message templates")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class RenderIn(BaseModel):
    template: str = Field(max_length=2000)
    values: dict[str, str]


@app.post("/render")
def render_template(body: RenderIn) -> dict[str, str]:
    missing = [m for m in PLACEHOLDER.findall(body.template) if m not in body.values]
    if missing:
        raise HTTPException(400, f"no value for {missing[0]}")
    return {"text": PLACEHOLDER.sub(lambda m: body.values[m.group(1)], body.template)}
