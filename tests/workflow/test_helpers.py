"""An answer that stops calling the helper documented as the request's rule goes back."""

from __future__ import annotations

from bdev.workflow.helpers import dropped_helpers

ORDERS = '''
def vat_of(amount: int, rate: int) -> int:
    """rate% VAT on amount, in whole cents; halves are rounded up."""
    return (amount * rate + 50) // 100


def order_total(prices: list[int], rate: int) -> int:
    return sum(p + vat_of(p, rate) for p in prices)
'''
REQUEST = (
    "VAT is charged per price, which adds rounding errors: charge it once, on the sum of "
    "the prices, in whole cents with halves rounded up."
)
OWN_ARITHMETIC = ORDERS.replace(
    "return sum(p + vat_of(p, rate) for p in prices)",
    "total = sum(prices)\n    return total + total * rate // 100",
)
CALLS_IT_ONCE = ORDERS.replace(
    "return sum(p + vat_of(p, rate) for p in prices)",
    "total = sum(prices)\n    return total + vat_of(total, rate)",
)
THROUGH_A_NEW_HELPER = CALLS_IT_ONCE.replace("vat_of(total, rate)", "_tax(total, rate)") + (
    "\n\ndef _tax(total, rate):\n    return vat_of(total, rate)\n"
)


def test_computing_the_helpers_job_again_goes_back_with_its_description():
    problems = dropped_helpers(REQUEST, ORDERS, OWN_ARITHMETIC, {"order_total"})
    assert len(problems) == 1
    assert "`order_total` no longer calls `vat_of`" in problems[0]
    assert "halves are rounded up" in problems[0]


def test_calling_it_directly_or_through_another_function_is_fine():
    assert dropped_helpers(REQUEST, ORDERS, CALLS_IT_ONCE, {"order_total"}) == []
    assert dropped_helpers(REQUEST, ORDERS, THROUGH_A_NEW_HELPER, {"order_total"}) == []


def test_a_request_about_something_else_may_drop_the_helper():
    other = "Return the total of the prices only; the tax is shown elsewhere."
    assert dropped_helpers(other, ORDERS, OWN_ARITHMETIC, {"order_total"}) == []
    named = "Stop using `vat_of` in order_total; charge the flat fee."
    assert dropped_helpers(named, ORDERS, OWN_ARITHMETIC, {"order_total"}) == []
    assert dropped_helpers(REQUEST, ORDERS, OWN_ARITHMETIC, {"vat_of"}) == []
    assert dropped_helpers(REQUEST, None, OWN_ARITHMETIC, {"order_total"}) == []
