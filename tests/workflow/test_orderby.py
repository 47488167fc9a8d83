"""A sort chosen under a condition takes effect; the query's own order breaks ties."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bdev.workflow.orderby import reorder

LISTING = """
def listing(s, sort=None, q=None):
    query = select(Product).order_by(Product.id)
    if q:
        query = query.where(Product.name.contains(q))
    if sort == "name":
        query = query.order_by(Product.name)
    elif sort == "-price":
        query = query.order_by(Product.price.desc())
    return [p.name for p in s.scalars(query)]
"""


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    price: Mapped[int] = mapped_column(Integer)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        for name, price in [("pear", 5), ("apple", 9), ("fig", 5), ("date", 1)]:
            s.add(Product(name=name, price=price))
        s.commit()
        yield s


def _listing(code: str):
    scope = {"select": select, "Product": Product}
    exec(compile(code, "app.py", "exec"), scope)
    return scope["listing"]


def test_the_requested_sort_takes_effect_and_the_old_order_breaks_ties(session) -> None:
    as_written = _listing(LISTING)
    assert as_written(session, "name") == ["pear", "apple", "fig", "date"]  # by id still
    fixed = reorder(LISTING)
    assert "query.order_by(None).order_by(Product.name, Product.id)" in fixed
    listing = _listing(fixed)
    assert listing(session, "name") == ["apple", "date", "fig", "pear"]
    assert listing(session, "-price") == ["apple", "pear", "fig", "date"]  # 5s by id
    assert listing(session) == ["pear", "apple", "fig", "date"]  # no sort: by id
    assert listing(session, "name", "a") == ["apple", "date", "pear"]


def test_a_tie_break_added_at_the_query_s_own_level_stays() -> None:
    code = textwrap.dedent(
        """
        def listing(s):
            query = select(Product).order_by(Product.price)
            query = query.order_by(Product.id)
            return query
        """
    )
    assert reorder(code) == code


@pytest.mark.parametrize(
    "code",
    [
        # No order to begin with.
        "def f(s, k):\n    q = select(P)\n    if k:\n        q = q.order_by(P.name)\n",
        # Cleared on purpose already.
        "def f(s, k):\n    q = select(P).order_by(P.id)\n    if k:\n        q = q.order_by(None)\n",
        # A new query under the same name.
        "def f(k):\n    q = select(P).order_by(P.id)\n    q = select(B)\n"
        "    if k:\n        q = q.order_by(B.x)\n",
        # Another function's query.
        "def f():\n    q = select(P).order_by(P.id)\n\n\ndef g(k):\n    if k:\n"
        "        q = q.order_by(P.x)\n",
        "not python (",
    ],
)
def test_nothing_else_is_touched(code: str) -> None:
    assert reorder(code) == code


def test_positions_count_characters_not_bytes() -> None:
    code = (
        "def f(k):\n    qé = select(P).order_by(P.id)\n    if k:\n"
        "        qé = qé.order_by(P.name)  # «name»\n"
    )
    assert reorder(code).splitlines()[3] == (
        "        qé = qé.order_by(None).order_by(P.name, P.id)  # «name»"
    )
