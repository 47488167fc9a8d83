"""due_date over HTTP, and the migration on a database made before it."""

import sqlite3
from pathlib import Path

ORIGINAL = Path(__file__).resolve().parents[1] / "service" / "migrations"


def test_a_task_with_a_due_date(client, unique):
    title = unique("taxes")
    r = client.post("/tasks", json={"title": title, "due_date": "2030-04-15"})
    assert r.status_code == 201, r.text
    assert r.json()["due_date"] == "2030-04-15"
    listed = [t for t in client.get("/tasks").json() if t["title"] == title]
    assert listed[0]["due_date"] == "2030-04-15"


def test_due_date_is_optional(client, unique):
    r = client.post("/tasks", json={"title": unique("someday")})
    assert r.status_code == 201 and r.json()["due_date"] is None
    assert (
        client.post("/tasks", json={"title": unique("x"), "due_date": None}).json()["due_date"]
        is None
    )


def test_bad_dates_are_refused(client, unique):
    for bad in ("2030-02-30", "tomorrow", "15/04/2030", 20300415, "2030-04-15T10:00:00"):
        assert (
            client.post("/tasks", json={"title": unique("t"), "due_date": bad}).status_code == 400
        ), bad


def test_old_migrations_are_unchanged(service_dir):
    for path in ORIGINAL.glob("*.sql"):
        assert (service_dir / "migrations" / path.name).read_text() == path.read_text()


def test_an_existing_database_keeps_its_tasks(load_service, tmp_path):
    db = tmp_path / "before.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY)")
    for path in sorted(ORIGINAL.glob("*.sql")):  # the database as the old service left it
        conn.executescript(path.read_text())
        conn.execute("INSERT INTO schema_migrations VALUES (?)", (path.name,))
    conn.execute("INSERT INTO tasks (title, done) VALUES ('old task', 1)")
    conn.commit()
    conn.close()
    migrate = load_service("migrate")
    assert migrate.upgrade(str(db)), "no new migration was applied"
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM tasks")]
    assert rows == [{"id": 1, "title": "old task", "done": 1, "due_date": None}]
    assert migrate.upgrade(str(db)) == []  # and applying twice changes nothing
