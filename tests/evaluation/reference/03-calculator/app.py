"""Reference for 03-calculator: an AST walk over a whitelist of nodes, with bounded powers."""

import ast
import math
import operator

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Calculator")
LIMIT = 1e100
BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


class Expression(BaseModel):
    expression: str = Field(min_length=1, max_length=200)


def evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        left, right = evaluate(node.left), evaluate(node.right)
        if isinstance(node.op, ast.Pow) and left != 0 and abs(right) * math.log10(abs(left)) > 100:
            raise ValueError("too large")  # checked before computing: 9**9**9 never runs
        result = BINARY[type(node.op)](left, right)
        if isinstance(result, complex) or not math.isfinite(result) or abs(result) > LIMIT:
            raise ValueError("no finite result")
        return result
    raise ValueError("not arithmetic")


@app.post("/calculate")
def calculate(body: Expression) -> dict[str, float]:
    try:
        return {"result": evaluate(ast.parse(body.expression, mode="eval"))}
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as e:
        raise HTTPException(400, "not a valid arithmetic expression") from e
