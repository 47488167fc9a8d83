"""Request values formatted into SQL text become parameters, and the handler still
answers honest input as before."""

from __future__ import annotations

import ast
import sqlite3
import textwrap
from types import SimpleNamespace

import pytest

from bdev.workflow.sqlparams import PARAMS, parameterize

# A shop's lookup written the injectable way: a quoted LIKE pattern, a quoted equality,
# built across two names and run through the module's own helper.
SHOP = '''
import sqlite3

DB = ":memory:"


def query(sql, args=()):
    return [tuple(r) for r in CONN.execute(sql, args)]


def by_vendor(vendor: str, category: str | None = None):
    """Products of a vendor whose code starts with the text given."""
    cond = f"vendor LIKE '{vendor}%'"
    sql = f"SELECT sku, vendor, category FROM products WHERE {cond}"
    if category:
        sql += f" AND category = '{category}'"
    return query(sql + " ORDER BY sku")
'''

ROWS = [
    ("a1", "acme", "tools"),
    ("a2", "acme", "toys"),
    ("a3", "ac_me", "tools"),
    ("b1", "bolt", "tools"),
    ("o1", "o'neil", "toys"),
]


def load(source: str) -> SimpleNamespace:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE products (sku TEXT, vendor TEXT, category TEXT, price INTEGER)")
    conn.executemany("INSERT INTO products VALUES (?, ?, ?, 5)", ROWS)
    namespace: dict[str, object] = {"CONN": conn}
    exec(compile(source, "<service>", "exec"), namespace)
    return SimpleNamespace(**namespace)


@pytest.fixture
def shop() -> tuple[SimpleNamespace, SimpleNamespace]:
    fixed = parameterize(SHOP, {"by_vendor"})
    assert fixed != SHOP
    return load(SHOP), load(fixed)


def test_the_values_become_named_parameters_passed_to_the_helper():
    fixed = parameterize(SHOP, {"by_vendor"})
    handler = fixed[fixed.index("def by_vendor") :]
    assert "{vendor}" not in handler and "{category}" not in handler
    assert ":vendor ESCAPE" in handler and ":category" in handler
    assert f'return query(sql + " ORDER BY sku", {PARAMS})' in handler
    # declared after the docstring, filled just before each statement that needs it
    lines = [line.strip() for line in handler.splitlines()]
    assert lines[2] == f"{PARAMS}: dict[str, object] = {{}}"
    assert lines.index(f"{PARAMS}['category'] = category") + 1 == lines.index(
        "sql += ' AND category = :category'"
    )


@pytest.mark.parametrize(
    ("vendor", "category"), [("ac", None), ("acme", "toys"), ("b", "tools"), ("o'n", None)]
)
def test_honest_input_gets_what_it_got_before(shop, vendor, category):
    before, after = shop
    if "'" in vendor:  # the injectable version fails on an apostrophe
        with pytest.raises(sqlite3.OperationalError):
            before.by_vendor(vendor, category)
        assert after.by_vendor(vendor, category) == [("o1", "o'neil", "toys")]
    else:
        assert after.by_vendor(vendor, category) == before.by_vendor(vendor, category)


@pytest.mark.parametrize(
    ("vendor", "category"),
    [("zz' OR 1=1 OR '", None), ("zz' OR 1=1 --", None), ("zz", "x' OR '1'='1")],
)
def test_injection_no_longer_widens_the_search(shop, vendor, category):
    before, after = shop
    assert len(before.by_vendor(vendor, category)) > 0  # the planted weakness is real
    assert after.by_vendor(vendor, category) == []


def test_wildcards_in_a_value_match_only_themselves(shop):
    _, after = shop
    assert after.by_vendor("%") == []
    assert [r[0] for r in after.by_vendor("ac_")] == ["a3"]  # `_` is not "any character"
    assert len(after.by_vendor("")) == len(ROWS)  # the code's own `%` still matches


def test_concatenation_with_execute_and_a_compared_value():
    source = textwrap.dedent(
        """
        import sqlite3

        def cheap(conn, vendor: str, limit: str):
            sql = "SELECT sku FROM products WHERE vendor = '" + vendor + "' AND price < " + limit
            return [r[0] for r in conn.execute(sql)]
        """
    )
    fixed = parameterize(source, {"cheap"})
    assert "vendor = :vendor AND price < :limit" in fixed
    assert f"conn.execute(sql, {PARAMS})" in fixed
    module = load(fixed)
    assert module.cheap(module.CONN, "acme", "9") == ["a1", "a2"]
    assert module.cheap(module.CONN, "zz' OR 1=1 --", "9") == []


def test_a_like_pattern_inside_a_function_escapes_after_it():
    source = textwrap.dedent(
        """
        import sqlite3

        def find(conn, q: str):
            return list(conn.execute(f"SELECT sku FROM products WHERE vendor LIKE lower('%{q}%')"))
        """
    )
    fixed = parameterize(source, {"find"})
    assert "LIKE lower(:q) ESCAPE '\\\\'" in fixed
    module = load(fixed)
    assert [r[0] for r in module.find(module.CONN, "_m")] == ["a3"]


@pytest.mark.parametrize(
    "body",
    [
        # a value built in a loop would need one parameter per turn
        """
        def f(conn, tags: list[str]):
            sql = "SELECT sku FROM products WHERE 1=1"
            for t in tags:
                sql += f" AND category = '{t}'"
            return list(conn.execute(sql))
        """,
        # `?` parameters already: sqlite3 takes one style per query
        """
        def f(conn, vendor: str, category: str):
            sql = f"SELECT sku FROM products WHERE vendor = ? AND category = '{category}'"
            return list(conn.execute(sql, (vendor,)))
        """,
        # the SQL goes somewhere that cannot take parameters
        """
        def f(conn, vendor: str):
            sql = f"SELECT sku FROM products WHERE vendor = '{vendor}'"
            return run_somehow(sql)
        """,
    ],
)
def test_an_uncertain_rewrite_leaves_the_code_as_it_was(body):
    source = "import sqlite3\n" + textwrap.dedent(body)
    assert parameterize(source, {"f"}) == source


def test_text_that_is_not_sql_and_other_functions_are_left_alone():
    source = textwrap.dedent(
        """
        import sqlite3

        def greet(name: str):
            return f"Don't worry {name}, it is here or there"

        def other(conn, vendor: str):
            return list(conn.execute(f"SELECT sku FROM products WHERE vendor = '{vendor}'"))
        """
    )
    assert parameterize(source, {"greet"}) == source
    assert parameterize(source, set()) == source
    assert parameterize(source.replace("import sqlite3", "import psycopg"), {"other"}) == (
        source.replace("import sqlite3", "import psycopg")
    )


def test_values_computed_from_request_data_count_as_request_data():
    source = textwrap.dedent(
        """
        import sqlite3

        def f(conn, vendor: str):
            wanted = vendor.strip()
            label = "x"
            return list(conn.execute(
                f"SELECT sku FROM products WHERE vendor = '{wanted}' AND category <> '{label}'"
            ))
        """
    )
    fixed = parameterize(source, {"f"})
    ast.parse(fixed)
    assert "vendor = :wanted" in fixed and "{label}" in fixed  # the code's own stays
    module = load(fixed)
    assert [r[0] for r in module.f(module.CONN, " bolt ")] == ["b1"]
