"""Trimming a filled service: generated helpers nothing uses are removed, nothing else."""

from __future__ import annotations

import textwrap

from bdev.specfirst.codegen.pysource import names_imported, prune_definitions

SERVICE = textwrap.dedent(
    '''
    """A service."""
    import hashlib
    import subprocess
    from pathlib import Path

    import framework

    app = framework.App()
    _PATTERN = frozenset({"a", "b"})
    STORE = Store.from_env()  # the handler does not read it: no one needs it


    # --- files
    def safe_join(base: str, name: str) -> Path:
        return Path(base) / name


    def run_command(args: list[str]) -> str:
        return subprocess.run(args, check=False).stdout


    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()


    class Store:
        @classmethod
        def from_env(cls) -> "Store":
            return cls()


    def handler(*, name: str, store: Store) -> str:
        return digest(name)


    def table() -> dict[str, object]:
        return {"h": handler2}


    def handler2(*, store: Store) -> None:
        return None


    @app.get("/x")
    def route(name: str) -> str:
        return handler(name=name, store=STORE)


    print("started")
    '''
)


def test_unused_helpers_go_with_their_comments_and_imports() -> None:
    text, dead = prune_definitions(SERVICE, keep={"table"})
    assert set(dead) == {"safe_join", "run_command", "_PATTERN", "STORE"}
    assert "def safe_join" not in text and "# --- files" not in text
    assert "import subprocess" not in text and "from pathlib import Path" not in text
    # Still there: what the route reaches, the decorated route itself, what `keep` names,
    # and a statement with effects.
    for kept in ("def digest", "def handler(", "def route", "def table", 'print("started")'):
        assert kept in text
    compile(text, "app.py", "exec")


def test_a_keyword_the_handler_never_reads_is_no_longer_passed() -> None:
    text, _ = prune_definitions(SERVICE, keep={"table"})
    assert "def handler(*, name: str) -> str:" in text
    assert "handler(name=name)" in text
    assert "STORE =" not in text  # no one passes it now
    assert "class Store" in text  # handler2 still names it
    # A function the module also uses as a value keeps its signature: callers elsewhere
    # may pass the keyword.
    assert "def handler2(*, store: Store)" in text


def test_names_the_tests_and_other_modules_import_are_found() -> None:
    sources = [
        "from app.security import create_token\n",
        "import app.store\napp.store.reset()\n",
        "from app import handlers\nhandlers.list_files()\n",
    ]
    assert names_imported(sources, "app.security") == {"create_token"}
    assert names_imported(sources, "app.store") == {"reset"}
    assert names_imported(sources, "app.handlers") == {"list_files"}
