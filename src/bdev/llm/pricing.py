"""What a run costs: token counts times a price table from the configuration.

Prices are USD per million tokens, per model id, e.g.
    {"gpt-4o-mini": {"input": 0.15, "output": 0.6, "cached_input": 0.075}}
`cached_input` is optional; without it cached prompt tokens cost the input price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bdev.errors import BdevError
from bdev.llm.base import Usage


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)


class PriceTable:
    def __init__(self, prices: Mapping[str, Price]) -> None:
        self.prices = dict(prices)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], *, source: str = "prices") -> PriceTable:
        prices: dict[str, Price] = {}
        for model_id, entry in raw.items():
            try:
                prices[model_id] = Price.model_validate(entry)
            except ValidationError as e:
                first = e.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "value"
                raise BdevError(f"{source}: {model_id}.{field}: {first['msg']}") from e
        return cls(prices)

    def price_for(self, model: str) -> Price | None:
        """The price of `model`, given as "id" or "provider:id" (local models are free)."""
        if model == "local" or model.startswith(("local:", "scripted:")):
            return Price(input=0, output=0)
        return self.prices.get(model) or self.prices.get(model.partition(":")[2])


def cost(usage: Usage, price: Price | Mapping[str, float] | None) -> float | None:
    """USD for `usage`, or None when the price is unknown (never guess a figure).

    `price` is a `Price` or the plain {"input": .., "output": ..} dict from the config.
    """
    if price is None:
        return None
    if not isinstance(price, Price):
        price = Price.model_validate(price)
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_rate = price.input if price.cached_input is None else price.cached_input
    total = (
        (usage.input_tokens - cached) * price.input
        + cached * cached_rate
        + usage.output_tokens * price.output
    )
    return total / 1_000_000
