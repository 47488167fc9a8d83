import pytest

from bdev.evaluation.single_shot import extract_code


def test_takes_the_longest_python_fence():
    text = "Run it:\n```bash\nuvicorn app:app\n```\n```python\nimport os\napp = 1\n```\n"
    assert extract_code(text) == "import os\napp = 1\n"


def test_prefers_python_over_a_longer_other_fence():
    text = "```\n" + "x = 1\n" * 20 + "```\n```python\napp = 2\n```"
    assert extract_code(text) == "app = 2\n"


def test_unclosed_fence_still_counts():
    assert extract_code("```python\napp = 3\n") == "app = 3\n"


def test_bare_code_counts_when_it_parses():
    assert extract_code("app = 4\n") == "app = 4\n"


@pytest.mark.parametrize("text", ["", "I cannot help with that.", "Sure! Here it is:"])
def test_no_code(text):
    assert extract_code(text) is None
