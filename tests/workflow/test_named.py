"""The code's own name for a setting the request names in backticks."""

from __future__ import annotations

from bdev.workflow.named import names_for

CODE = """import os

ADMINS = set(os.environ.get("SHOP_ADMINS", "").split(","))
TIMEOUT: float = float(os.environ.get("TIMEOUT_S", "5"))


def admin(user):
    return user in ADMINS
"""


def test_a_setting_read_into_a_variable_is_named_with_its_line() -> None:
    request = "Only `SHOP_ADMINS` may delete; use `TIMEOUT_S` and `admin` as they are."
    assert names_for(request, CODE) == [
        "`ADMINS` holds what the request calls `SHOP_ADMINS`: "
        'ADMINS = set(os.environ.get("SHOP_ADMINS", "").split(","))',
        "`TIMEOUT` holds what the request calls `TIMEOUT_S`: "
        'TIMEOUT: float = float(os.environ.get("TIMEOUT_S", "5"))',
    ]


def test_names_the_code_defines_or_lacks_get_nothing() -> None:
    assert names_for("Make `admin` strict and read `OTHER_VAR`.", CODE) == []
    assert names_for("Only `SHOP_ADMINS` may delete.", None) == []
    assert names_for("Only `SHOP_ADMINS` may delete.", "def (:") == []
