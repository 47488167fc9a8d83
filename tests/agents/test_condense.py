"""Condensing a long definition body for small models: deterministic, within budget, said."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.agents.condense import condense
from bdev.agents.definition import load_definition
from bdev.agents.registry import BUILTIN_DIR
from bdev.llm.estimate import estimate_tokens

BODY = """You are a careful reviewer. You read before you write.

## Approach

Start from the failing test. Then widen the search.

- Reproduce the bug first. Then bisect.
- Keep the change small
  and wrapped over two lines.
  - a nested detail that is left out

## Rules

Never guess.

1. Run the tests.
2. Report what you ran.

```python
print("code blocks are left out")
```
"""


def test_a_body_within_budget_is_unchanged() -> None:
    result = condense(BODY, 10_000, estimate_tokens)
    assert not result.condensed
    assert result.text == BODY.strip()


def test_condensed_keeps_role_headings_and_items_in_order_and_says_so() -> None:
    result = condense(BODY, 75, estimate_tokens)
    assert result.condensed
    text = result.text
    assert text.startswith("You are a careful reviewer. You read before you write.")
    assert text.index("## Approach") < text.index("## Rules")
    assert "- Reproduce the bug first." in text and "Then bisect" not in text
    assert "nested detail" not in text and "print(" not in text
    assert text.endswith(
        f"(This definition was condensed for a small model: {result.left_out_words} of its "
        f"{result.total_words} words were left out.)"
    )
    assert estimate_tokens(text) <= 75


@pytest.mark.parametrize("budget", [40, 120, 300, 600])
def test_every_seed_and_builtin_fits_deterministically(seeds: list[Path], budget: int) -> None:
    for path in [*seeds, *sorted(BUILTIN_DIR.glob("*.md"))]:
        body = load_definition(path).body
        first = condense(body, budget, estimate_tokens)
        assert first == condense(body, budget, estimate_tokens)  # same bytes every time
        if estimate_tokens(body.strip()) <= budget:
            assert first.text == body.strip()
            continue
        assert first.condensed, path
        assert estimate_tokens(first.text) <= budget, path
        assert "condensed for a small model" in first.text.splitlines()[-1]
        assert 0 < first.left_out_words <= first.total_words


def test_a_role_paragraph_too_long_for_the_budget_is_cut_at_sentences_then_words() -> None:
    body = "One two three. " * 40 + "\n\n## Later\n\nMore."
    text = condense(body, 60, estimate_tokens).text
    assert text.startswith("One two three. One two three.")
    assert "## Later" not in text
    assert estimate_tokens(text) <= 60
    words = condense("word " * 400, 40, estimate_tokens).text
    assert words.startswith("word word") and " …" in words
