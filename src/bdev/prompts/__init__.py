"""The prompts bdev writes for a model, as Jinja templates in this folder.

Prompt tuning is the most frequent change in bdev's history, so the wording lives here as
data and the code only computes what fills it (tool descriptions and tool error results
stay beside their tools). A template's file ends with a newline, as files do, and Jinja
drops that one final newline (`keep_trailing_newline=False`): a message's text never
ends with one, and the local model's KV-cache prefix reuse needs the rendered bytes to
stay exactly as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,  # see above: prompts carry no final newline
    undefined=jinja2.StrictUndefined,  # a missing value fails loudly, never renders ""
    autoescape=False,  # plain text and Markdown: HTML escaping would corrupt them
)


def render(name: str, /, **context: Any) -> str:
    """The prompt `name` (the file `name.md.j2` here) filled with `context`.

    `name` is positional-only, so a template may have a variable called `name` too."""
    return _ENV.get_template(f"{name}.md.j2").render(**context)


def names() -> list[str]:
    """Every prompt template's name, for tests and tooling."""
    return sorted(p.name.removesuffix(".md.j2") for p in Path(__file__).parent.glob("*.md.j2"))
