"""Insecure variant of 03-calculator: eval() of the request text (CWE-94).

A crude guard against chained powers keeps the unbounded-work test from stalling the
test suite for its 10 s timeout; the code injection is what this variant shows.
"""

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Calculator")


class Expression(BaseModel):
    expression: str = Field(min_length=1, max_length=200)


@app.post("/calculate")
def calculate(body: Expression) -> dict[str, float]:
    if body.expression.count("**") > 1:
        raise HTTPException(400, "one power at most")
    try:
        result = float(eval(body.expression))  # the weakness under test
    except Exception as e:
        raise HTTPException(400, "not a valid arithmetic expression") from e
    if abs(result) > 1e100:
        raise HTTPException(400, "too large")
    return {"result": result}
