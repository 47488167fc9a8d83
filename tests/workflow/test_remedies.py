"""The standard remedy for the weakness a request names, fitted to the code it changes."""

from __future__ import annotations

from bdev.workflow.remedies import remedies_for

PLAIN = "import sqlite3\n\ndef db():\n    return sqlite3.connect('x.db')\n"
ORM = """from sqlalchemy.orm import DeclarativeBase, Mapped, relationship


class Base(DeclarativeBase):
    pass


class Team(Base):
    players: Mapped[list["Player"]] = relationship(back_populates="team")


class Player(Base):
    team = relationship("Team")
"""


def test_path_traversal_gets_the_containment_check() -> None:
    (line,) = remedies_for("A review found path traversal in GET /files/<name>.", None)
    assert "os.path.commonpath([base, full]) == base" in line


def test_sql_injection_fits_plain_sql_only() -> None:
    request = "Fix the SQL injection in GET /search."
    (line,) = remedies_for(request, PLAIN)
    assert "as a parameter" in line
    assert remedies_for(request, ORM) == []  # no string SQL to parameterise


def test_a_query_per_row_gets_the_remedy_of_the_code_s_own_library() -> None:
    request = "GET /teams runs one more query per team; make it run a fixed number of queries."
    (plain,) = remedies_for(request, PLAIN)
    assert "LEFT JOIN" in plain and "GROUP BY" in plain
    (orm,) = remedies_for(request, ORM)
    assert "select(Team).options(selectinload(Team.players))" in orm
    assert "Team.players, Player.team" in orm  # the code's own relationships, all named


def test_other_requests_get_nothing() -> None:
    for request in (
        "Add `limit` and `offset` to GET /events, 20 per page by default.",
        "Add GET /me/loans behind the bearer token.",
    ):
        assert remedies_for(request, PLAIN) == []
        assert remedies_for(request, ORM) == []
