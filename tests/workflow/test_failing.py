"""A failing test's own lines go to the model with pytest's verdict."""

from __future__ import annotations

from pathlib import Path

from bdev.workflow.failing import MAX_LINES, failing_sources, source_of

TESTS = (
    """import pytest


def test_total():
    assert total([1, 2]) == 3


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n


class TestBilling:
    def test_discount(self):
        assert discounted(1000, 10) == 900


def test_long():
"""
    + "    x = 1\n" * MAX_LINES
)


def _suite(root: Path) -> None:
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(TESTS)
    (root / "tests" / "test_api_generated.py").write_text("def test_rule():\n    assert 0\n")


def test_a_test_is_found_by_its_id(tmp_path: Path) -> None:
    _suite(tmp_path)
    assert source_of(tmp_path, "tests/test_calc::test_total") == (
        "def test_total():\n    assert total([1, 2]) == 3"
    )
    assert source_of(tmp_path, "tests/test_calc::test_param[2]").startswith(
        '@pytest.mark.parametrize("n", [1, 2])\ndef test_param(n):'
    )
    assert "discounted(1000, 10) == 900" in (
        source_of(tmp_path, "tests/test_calc::TestBilling::test_discount") or ""
    )


def test_what_is_not_shown(tmp_path: Path) -> None:
    _suite(tmp_path)
    assert source_of(tmp_path, "tests/test_calc::test_long") is None  # too long
    assert source_of(tmp_path, "tests/test_api_generated::test_rule") is None  # bdev's own
    assert source_of(tmp_path, "tests/test_gone::test_x") is None
    assert source_of(tmp_path, "tests/test_calc::test_missing") is None


def test_at_most_two_are_shown_with_why_they_fail(tmp_path: Path) -> None:
    _suite(tmp_path)
    failed = {
        "tests/test_api_generated::test_rule": "assert 0",
        "tests/test_calc::test_long": "long",
        "tests/test_calc::test_total": "assert 4 == 3",
        "tests/test_calc::test_param[1]": "no",
        "tests/test_calc::TestBilling::test_discount": "assert 1000 == 900",
    }
    shown = failing_sources(tmp_path, failed)
    assert [(t, why) for t, _, why in shown] == [
        ("tests/test_calc::test_total", "assert 4 == 3"),
        ("tests/test_calc::test_param[1]", "no"),
    ]
