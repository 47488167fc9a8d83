from billing import Line, discount_of, totals


def test_no_discount():
    assert totals([Line("a", 250, 4)], 0) == {
        "subtotal_cents": 1000,
        "discount_cents": 0,
        "total_cents": 1000,
    }


def test_discount_rounds_half_up():
    assert discount_of(1050, 10) == 105
    assert discount_of(5, 10) == 1


def test_discount_applies_once_to_the_whole_invoice():
    lines = [Line("design", 10_000, 1), Line("hosting", 2_500, 2)]
    assert totals(lines, 10) == {
        "subtotal_cents": 15_000,
        "discount_cents": 1_500,
        "total_cents": 13_500,
    }
