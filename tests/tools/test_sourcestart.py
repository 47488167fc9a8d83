"""Which first lines cannot begin a Python module (`bdev.sourcestart`)."""

from __future__ import annotations

import pytest

from bdev.sourcestart import not_a_start


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
