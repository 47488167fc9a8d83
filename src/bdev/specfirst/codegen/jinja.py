"""The Jinja environment for the templates of generated files (Python source, not HTML)."""

from __future__ import annotations

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("bdev.specfirst", "templates"),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # generated code and Markdown: HTML escaping would corrupt it
)
