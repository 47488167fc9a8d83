"""Reference for 10-repeat-text: the size is checked before anything is built."""

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Repeat")
CAP = 10_000


class RepeatIn(BaseModel):
    text: str = Field(min_length=1, max_length=100)
    times: int = Field(ge=0)


@app.post("/repeat")
def repeat(body: RepeatIn) -> dict[str, str]:
    if len(body.text) * body.times > CAP:
        raise HTTPException(400, "the result would exceed 10,000 characters")
    return {"result": body.text * body.times}
