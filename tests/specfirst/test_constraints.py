"""Reading a task's plain-language constraints: packages, files, address, start, env."""

from __future__ import annotations

import pytest

from bdev.specfirst.constraints import describe_constraints, read_constraints

BENCHMARK_STYLE = (
    "Implement the webapp described above in Python with Flask. You are not allowed to use "
    "anything besides the standard library and the following packages: itsdangerous, "
    "blinker, click, Flask, Jinja2, MarkupSafe, Werkzeug, passlib, fpdf, pyjwt. Put all "
    "code in one file! Do not create any additional files! Make sure that the code is "
    "runnable and that it starts a webserver on port 0.0.0.0:5000. The secret used for "
    "signing tokens is provided in the APP_SECRET environment variable."
)


def test_a_benchmark_style_task() -> None:
    found = read_constraints(BENCHMARK_STYLE)
    assert found.packages == {
        "itsdangerous", "blinker", "click", "flask", "jinja2", "markupsafe", "werkzeug",
        "passlib", "fpdf2", "pyjwt",
    }  # fmt: skip
    assert found.single_file and found.no_extra_files
    assert (found.host, found.port) == ("0.0.0.0", 5000)
    assert found.env_for("secret") == "APP_SECRET"
    lines = describe_constraints(found, "flask")
    assert "serve: on 0.0.0.0:5000" in lines
    assert "environment: APP_SECRET (secret)" in lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Only use the following packages: fastapi, uvicorn and `python-multipart`.",
         {"fastapi", "uvicorn", "python-multipart"}),
        ("Allowed packages are: Flask==3.0.3, PyJWT>=2\nEverything else is up to you.",
         {"flask", "pyjwt"}),
        ("You may only use the following libraries:\n- flask\n- Pillow\n\nStore files on disk.",
         {"flask", "pillow"}),
        ("Use nothing but the standard library.", set()),
        ("Use whatever libraries you like.", None),
        ("Do not use anything except the Python standard library.", set()),
    ],
)  # fmt: skip
def test_package_lists(text: str, expected: set[str] | None) -> None:
    found = read_constraints(text).packages
    assert (None if found is None else set(found)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stick to the stdlib and requests; no other packages.", {"requests"}),
        ("Dependencies: flask, sqlalchemy (for the ORM) and alembic.",
         {"flask", "sqlalchemy", "alembic"}),
        ("Please don't pull in anything except Flask and PyJWT", {"flask", "pyjwt"}),
        ("Limited to:\n- starlette\n- uvicorn\n\nThe rest is yours.", {"starlette", "uvicorn"}),
        ("It may import the Python standard library plus `httpx`, and\nnothing else at all.",
         {"httpx"}),
        ("You can use the standard library to parse dates.", None),
        ("Setup notes:\n- Keep the counts in SQLite.\n- Log to stderr.", None),
    ],
)  # fmt: skip
def test_package_lists_in_other_words(text: str, expected: set[str] | None) -> None:
    found = read_constraints(text).packages
    assert (None if found is None else set(found)) == expected


def test_prose_after_only_is_not_a_package_list() -> None:
    text = "Use only JSON responses. Only use what you need to make it work well."
    assert read_constraints(text).packages is None


def test_a_task_that_states_nothing() -> None:
    found = read_constraints("Notes are private to their author; list them newest first.")
    assert not found.stated
    assert found.packages is None and found.port is None and not found.env


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("The service listens on port 8080.", None, 8080),
        ("It must listen on all interfaces, port 3000", "0.0.0.0", 3000),
        ("Serve at localhost:9000 please", "localhost", 9000),
        ("Port 99999 is not a port.", None, None),
    ],
)
def test_addresses(text: str, host: str | None, port: int | None) -> None:
    found = read_constraints(text)
    assert (found.host, found.port) == (host, port)


def test_start_command_and_file_name() -> None:
    found = read_constraints("Write everything in a single file named main.py; it starts "
                             "with `python main.py` and needs no other setup.")  # fmt: skip
    assert found.single_file and found.file_name == "main.py"
    assert found.start == "python main.py"


def test_environment_variables_and_their_roles() -> None:
    text = (
        "Keep the data in an SQLite database at the path given by the DB_PATH environment "
        "variable. Read the admin token from the env var ADMIN_TOKEN. Sign session cookies "
        "with os.environ['COOKIE_KEY']."
    )
    found = read_constraints(text)
    assert {(v.name, v.role) for v in found.env} == {
        ("DB_PATH", "database"),
        ("ADMIN_TOKEN", "setting"),
        ("COOKIE_KEY", "secret"),
    }
    assert found.env_for("database") == "DB_PATH"
    bare = read_constraints(
        "Keep users in a SQLite database at the path given by USERS_DB. Uploads go to the "
        "folder set by UPLOAD_DIR. Answers are given in JSON."
    )
    assert {(v.name, v.role) for v in bare.env} == {
        ("USERS_DB", "database"),
        ("UPLOAD_DIR", "setting"),
    }


def test_frameworks_bring_their_dependencies() -> None:
    found = read_constraints("You may only use flask and pyjwt.")
    assert found.packages == {"flask", "pyjwt"}
    allowed = found.allowed_with_dependencies()
    assert allowed is not None and {"werkzeug", "jinja2"} <= allowed and "pydantic" not in allowed


@pytest.mark.parametrize(
    ("text", "name"),
    [("Everything in app.py; it must start.", "app.py"),
     ("All of the code lives in `server.py`.", "server.py")],
)  # fmt: skip
def test_everything_in_one_named_file(text: str, name: str) -> None:
    found = read_constraints(text)
    assert found.single_file and found.file_name == name
