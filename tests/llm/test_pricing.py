from __future__ import annotations

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Usage
from bdev.llm.pricing import Price, PriceTable, cost


def test_cost_per_million_tokens() -> None:
    usage = Usage(input_tokens=2_000_000, output_tokens=500_000)
    assert cost(usage, Price(input=3.0, output=15.0)) == pytest.approx(6.0 + 7.5)


def test_cached_tokens_use_the_cached_price_when_given() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=400_000)
    assert cost(usage, Price(input=1.0, output=2.0, cached_input=0.1)) == pytest.approx(0.64)
    assert cost(usage, Price(input=1.0, output=2.0)) == pytest.approx(1.0)


def test_plain_config_dict_is_accepted() -> None:
    assert cost(Usage(1000, 1000), {"input": 1.0, "output": 1.0}) == pytest.approx(0.002)


def test_unknown_price_gives_none() -> None:
    assert cost(Usage(10, 10), None) is None


def test_table_lookup() -> None:
    table = PriceTable.from_config(
        {
            "gpt-4o-mini": {"input": 0.15, "output": 0.6},
            "anthropic:claude-x": {"input": 3, "output": 15},
        }
    )
    assert table.price_for("openai:gpt-4o-mini") == Price(input=0.15, output=0.6)
    assert table.price_for("gpt-4o-mini") == Price(input=0.15, output=0.6)
    assert table.price_for("anthropic:claude-x") == Price(input=3, output=15)
    assert table.price_for("openai:gpt-unknown") is None
    assert table.price_for("local") == Price(input=0, output=0)


def test_bad_table_entry_names_model_and_field() -> None:
    with pytest.raises(BdevError, match=r"prices: gpt-4o\.output: Field required"):
        PriceTable.from_config({"gpt-4o": {"input": 1}})
    with pytest.raises(BdevError, match=r"prices: gpt-4o\.input: Input should be greater"):
        PriceTable.from_config({"gpt-4o": {"input": -1, "output": 1}})
