"""Invoices for a small consultancy, kept in memory."""

from itertools import count

from billing import Line, totals
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="invoices")
_invoices: dict[int, dict] = {}
_ids = count(1)


class LineIn(BaseModel):
    description: str = Field(min_length=1, max_length=200)
    unit_price_cents: int = Field(ge=0, le=100_000_000)
    quantity: int = Field(ge=1, le=10_000)


class InvoiceIn(BaseModel):
    customer: str = Field(min_length=1, max_length=120)
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    discount_percent: int = Field(default=0, ge=0, le=100)


@app.post("/invoices", status_code=201)
def create_invoice(body: InvoiceIn) -> dict:
    lines = [Line(**line.model_dump()) for line in body.lines]
    invoice = {
        "id": next(_ids),
        "customer": body.customer,
        "lines": [line.model_dump() for line in body.lines],
        "discount_percent": body.discount_percent,
        **totals(lines, body.discount_percent),
    }
    _invoices[invoice["id"]] = invoice
    return invoice


@app.get("/invoices/{invoice_id}")
def get_invoice(invoice_id: int) -> dict:
    if invoice_id not in _invoices:
        raise HTTPException(404, "no such invoice")
    return _invoices[invoice_id]
