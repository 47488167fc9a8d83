"""A shop's product catalogue on SQLAlchemy."""

import os
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

engine = create_engine(f"sqlite:///{os.environ.get('DATABASE_PATH', 'shop.db')}")


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)


Base.metadata.create_all(engine)
app = FastAPI(title="catalogue")


class NewProduct(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    price_cents: int = Field(ge=0, le=10_000_000)


def session():
    with Session(engine) as s:
        yield s


def as_dict(p: Product) -> dict:
    return {"id": p.id, "name": p.name, "price_cents": p.price_cents}


@app.post("/products", status_code=201)
def add_product(body: NewProduct, s: Annotated[Session, Depends(session)]) -> dict:
    product = Product(name=body.name, price_cents=body.price_cents)
    s.add(product)
    s.commit()
    return as_dict(product)


@app.get("/products/{product_id}")
def get_product(product_id: int, s: Annotated[Session, Depends(session)]) -> dict:
    product = s.get(Product, product_id)
    if product is None:
        raise HTTPException(404, "no such product")
    return as_dict(product)


@app.get("/products")
def list_products(s: Annotated[Session, Depends(session)], q: str | None = None) -> list[dict]:
    query = select(Product).order_by(Product.id)
    if q:
        query = query.where(Product.name.contains(q))
    return [as_dict(p) for p in s.scalars(query.limit(200))]
