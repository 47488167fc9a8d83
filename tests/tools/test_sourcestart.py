"""Which first lines cannot begin a Python module (`bdev.sourcestart`)."""

from __future__ import annotations

import pytest

from bdev.sourcestart import before_line, defined_twice, not_a_start, second_definition


@pytest.mark.parametrize(
    "text",
    [
        "<tool response>1\n2\n3\n",  # a copy of a tool's result
        "<tool RESPONSE>...<tool RESPONSE>**/dev/null**\n",
        "app.py updated with validation for name and email fields.\n",  # a summary
        "Here is the updated app.py:\n\nimport os\n",
        "\n\n**Updated**\n",
        "Edited app.py: 3 lines changed\n",
    ],
)
def test_what_is_not_python_is_named_by_its_first_line(text: str) -> None:
    reason = not_a_start("svc/app.py", text)
    first = text.strip().split("\n")[0]
    assert reason.startswith(f"its first line, `{first[:57]}")
    assert "cannot begin a Python module" in reason


@pytest.mark.parametrize(
    "text",
    [
        '"""The service."""\n',
        "from flask import Flask\n",
        "import os\n",
        "#!/usr/bin/env python3\n",
        "@app.get('/health')\n",
        "app = Flask(__name__\n",  # not finished yet
        "def f(:\n    pass\n",  # Python with a slip: written, with a note
        "```python\nimport os\n```\n",  # a fence: Write takes it off
        "",
        "\n\n",
    ],
)
def test_code_and_code_with_a_slip_can_begin_a_module(text: str) -> None:
    assert not_a_start("app.py", text) == ""


def test_only_python_files_are_judged() -> None:
    assert not_a_start("NOTES.md", "<tool response>1\n") == ""
    assert not_a_start("data.json", "app.py updated\n") == ""


def test_a_line_cut_anywhere_is_judged_without_its_last_word() -> None:
    # Cut in the middle of `import`: on its own an error, but the line may go on.
    assert not_a_start("app.py", "from flask imp", partial=True) == ""
    assert not_a_start("app.py", "x = 'an unclosed string that goes on", partial=True) == ""
    assert not_a_start("app.py", "<tool RESPONSE>...<tool RESPONSE>**", partial=True)
    assert not_a_start("app.py", "app.py updated with validation for na", partial=True)
    assert not_a_start("app.py", "<tool", partial=True) == ""  # one word: too early to say
    # One long word (change task 09: a result copied with a path and no space) is judged.
    copied = "<toolResponse>...<toolResponse>**/tmp/work/09-todo-due-date-migration/"
    assert not_a_start("app.py", copied, partial=True)
    # Markup with a quote still open (change task 09 at 8d6ceff): a tag, not a string.
    tag = '<tools><function name="Edit" parameters="{\\"file_path\\": \\"/tmp/w/app'
    assert "(it is markup)" in not_a_start("app.py", tag, partial=True)
    assert (
        not_a_start("app.py", "print('a_long_single_token_string_without_any_space", partial=True)
        == ""
    )


def test_a_function_defined_a_second_time_is_named_with_both_lines() -> None:
    module = "import os\n\n\ndef a():\n    pass\n\n\nclass B:\n    def a(self):\n        pass\n"
    assert defined_twice("app.py", module) == ""  # a method of the same name is fine
    again = module + "\n\nasync def a():\n    pass\n"
    assert defined_twice("app.py", again) == "it defines `a` twice, at lines 4 and 13"
    assert defined_twice("app.py", module + "\nclass B:\n    pass\n").startswith(
        "it defines `B` twice, at lines 8 and"
    )
    assert defined_twice("notes.md", again) == ""


def test_overloads_and_registrations_may_share_a_name() -> None:
    overloads = (
        "@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n"
        "def f(x):\n    return x\n"
    )
    assert defined_twice("m.py", overloads) == ""
    registered = "@fn.register\ndef _(x: int):\n    pass\n@fn.register\ndef _(x: str):\n    pass\n"
    assert defined_twice("m.py", registered) == ""


def test_the_module_before_a_second_round_is_its_first_round() -> None:
    """As greenfield scenario 02 went round its module: the imports again, a decorator,
    then the handler a second time."""
    first = (
        "import socket\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.post('/lookup')\ndef lookup(body: dict):\n    return socket.gethostname()\n"
    )
    again = (
        first
        + "\n\nimport socket\n# the same route\n@app.post('/lookup')\ndef lookup(body: dict):\n"
    )
    assert second_definition("app.py", again) == ("lookup", 8, 15)
    assert before_line(again, 15) == first  # the repeated import and the decorator go
    # An import that is not a repeat stays: the code above may use it.
    later = first + "import json\n\n\ndef lookup(body):\n"
    assert before_line(later, later.count("\n")) == first + "import json\n"
    # A first round that does not parse is no module to keep.
    assert before_line("items = [\n\n\ndef a():\n", 4) is None
    assert second_definition("notes.md", again) is None
