"""SQLite databases are put back as they were after a run of the service's code."""

import sqlite3
import sys
from pathlib import Path

from bdev.backend.audit.datastate import sqlite_files, sqlite_kept
from bdev.workflow.suitecheck import Service


def make_db(path: Path, *names: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT UNIQUE)")
        db.executemany("INSERT INTO users VALUES (?)", [(n,) for n in names])
    db.close()


def names(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT name FROM users ORDER BY name")]
    finally:
        db.close()


def test_rows_written_are_undone_and_new_databases_removed(tmp_path):
    make_db(tmp_path / "app.db", "ada")
    (tmp_path / "notes.txt").write_text("kept as written\n")
    with sqlite_kept(tmp_path):
        make_db(tmp_path / "app.db", "bob")  # a test that registers bob
        make_db(tmp_path / "data" / "cache.sqlite3", "x")  # created by the run
        (tmp_path / "app.db-journal").write_bytes(b"left over")
        (tmp_path / "notes.txt").write_text("changed by the run\n")
    assert names(tmp_path / "app.db") == ["ada"]
    assert not (tmp_path / "data" / "cache.sqlite3").exists()
    assert not (tmp_path / "app.db-journal").exists()
    # Only databases: any other file the run wrote stays as it wrote it (code changes).
    assert (tmp_path / "notes.txt").read_text() == "changed by the run\n"


def test_databases_are_found_by_header_outside_caches_and_environments(tmp_path):
    make_db(tmp_path / "library.db", "ada")
    make_db(tmp_path / "instance" / "data", "ada")  # no suffix: the header says it
    make_db(tmp_path / ".venv" / "lib" / "x.db", "ada")
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    make_db(tmp_path / "env2" / "y.db", "ada")
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")  # a venv by any name
    make_db(tmp_path / ".git" / "z.db", "ada")
    (tmp_path / "fake.db").write_text("not a database")
    assert sqlite_files(tmp_path) == {tmp_path / "library.db", tmp_path / "instance" / "data"}


SERVICE = """import sqlite3
from pathlib import Path

DB = Path(__file__).with_name("users.db")


def register(name):
    with sqlite3.connect(DB) as db:
        db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT UNIQUE)")
        db.execute("INSERT INTO users VALUES (?)", (name,))
"""

TEST = """import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app import register


def test_register_alice():
    register("alice")  # a fixed name, as bdev's generated tests use
"""


def test_the_services_suite_passes_again_when_run_again(tmp_path):
    (tmp_path / "app.py").write_text(SERVICE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(TEST)
    service = Service(tmp_path, sys.executable, {"PATH": "/usr/bin:/bin"})
    first, second = service.run(), service.run()
    assert first is not None and second is not None
    assert (first.passed, first.failed) == (1, {})
    assert (second.passed, second.failed) == (1, {})  # not "UNIQUE constraint failed"
    assert not (tmp_path / "users.db").exists()
