"""Reference for 09-catalog: the page size is validated, never trusted."""

import itertools

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

app = FastAPI(title="Catalog")
ids = itertools.count(1)
products: list[dict[str, object]] = []


class ProductIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)


@app.post("/products", status_code=201)
def add_product(body: ProductIn) -> dict[str, object]:
    product = {"id": next(ids), "name": body.name, "price": body.price}
    products.append(product)
    return product


@app.get("/products")
def list_products(
    limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0)
) -> dict[str, object]:
    return {"items": products[offset : offset + limit], "total": len(products)}
