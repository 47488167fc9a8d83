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


def test_missing_object_level_authorization_gets_the_ownership_rule() -> None:
    for request in (
        "Members can read other members's notes: fix authorization on GET /notes/{id}.",
        "Users must only see their own orders in GET /orders.",
    ):
        (line,) = remedies_for(request.replace("members's", "people's"), PLAIN)
        assert "unless the caller owns it" in line and "WHERE owner = ?" in line


def test_other_requests_get_nothing() -> None:
    for request in (
        "Add `limit` and `offset` to GET /events, 20 per page by default.",
        "Add GET /me/loans behind the bearer token.",
    ):
        assert remedies_for(request, PLAIN) == []
        assert remedies_for(request, ORM) == []


def test_a_query_left_inside_a_loop_is_named_by_its_line() -> None:
    from bdev.workflow.remedies import unremedied

    code = (
        "def summary(conn):\n"
        "    out = []\n"
        "    for c in conn.execute('SELECT id FROM customers'):\n"  # what it loops over: fine
        "        n = conn.execute('SELECT count(*) FROM orders WHERE c = ?', (c[0],))\n"
        "        out.append(n)\n"
        "    totals = [conn.execute('SELECT 1').fetchone() for _ in out]\n"
        "    return out, totals\n"
    )
    request = "GET /summary must run a fixed number of queries however many customers."
    problems = unremedied(request, code, {"summary"})
    assert [p.split(":")[0] for p in problems] == ["line 4", "line 6"]
    assert unremedied("Add a `limit` to GET /summary.", code, {"summary"}) == []
    assert unremedied(request, code, {"other"}) == []


def test_request_values_formatted_into_sql_are_named_by_their_line() -> None:
    from bdev.workflow.remedies import unremedied

    code = (
        "def find(domain: str, status: str | None = None):\n"
        "    where = f\"lower(email) LIKE '%@{domain.lower()}'\"\n"
        "    if status:\n"
        '        where += " AND status = \'" + status + "\'"\n'
        "    sql = f'SELECT id FROM customers WHERE {where} ORDER BY name'\n"  # no input
        "    rows = conn.execute('SELECT 1 WHERE x = ?', (domain,))\n"  # a parameter: fine
        "    label = f'found {domain}'\n"  # not SQL
        "    return rows, sql, label\n"
    )
    request = "A penetration test found SQL injection in GET /customers. Fix it."
    problems = unremedied(request, code, {"find"})
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 4"]
    assert "pass the value in the parameters tuple" in problems[0]
    assert unremedied("Add a `limit` to GET /customers.", code, {"find"}) == []


def test_a_traversal_fix_that_flattens_names_is_named_when_subfolders_must_work() -> None:
    # Change task 06 at 6852ace: the kept answer ran the name through secure_filename,
    # so `2024/q1.csv` became `2024_q1.csv` and subfolders broke.
    from bdev.workflow.remedies import unremedied

    code = (
        "def put_report(name):\n"
        "    path = os.path.join(REPORTS_DIR, secure_filename(name))\n"
        "    disposition = os.path.basename(REPORTS_DIR)\n"  # not the request's name
        "    return path, disposition\n"
    )
    request = (
        "Fix the path traversal in PUT /reports/<name>. Names may still contain "
        "subfolders such as `2024/q1.csv`."
    )
    (problem,) = unremedied(request, code, {"put_report"})
    assert problem.startswith("line 2: secure_filename() drops the folders")
    # Without subfolders in the request, a flat name is a fine fix.
    assert unremedied("Fix the path traversal in PUT /reports/<name>.", code, {"put_report"}) == []
    assert unremedied(request, code, {"other"}) == []
