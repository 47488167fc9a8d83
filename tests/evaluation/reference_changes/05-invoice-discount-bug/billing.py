"""Invoice arithmetic, in whole cents."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    description: str
    unit_price_cents: int
    quantity: int


def line_total(line: Line) -> int:
    return line.unit_price_cents * line.quantity


def discount_of(amount: int, percent: int) -> int:
    """percent% of amount, to the nearest cent; halves round up."""
    return (amount * percent + 50) // 100


def totals(lines: list[Line], discount_percent: int) -> dict[str, int]:
    subtotal = sum(line_total(line) for line in lines)
    discount = discount_of(subtotal, discount_percent)  # once, on the whole subtotal
    return {
        "subtotal_cents": subtotal,
        "discount_cents": discount,
        "total_cents": subtotal - discount,
    }
