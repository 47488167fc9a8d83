"""Showing untrusted text on a terminal: control characters as escapes.

A command, a file or a model's answer may hold terminal escapes (`touch x #\\r\\e[2K…`
erases the line and prints something else). Shown raw, the user would approve or read
what they do not see, so the text views and permission prompts print them escaped.
"""

from __future__ import annotations

import re

# C0 (but tab and newline), DEL and C1 controls (\x9b is a one-byte CSI), and the
# Unicode bidirectional overrides that reorder what is displayed.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\x1b": "\\e", "\x00": "\\0"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control character but tab and newline written as an escape."""
    return _CONTROL.sub(_escape, text)
