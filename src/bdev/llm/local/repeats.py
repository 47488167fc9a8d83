"""Where a reply starts repeating itself.

A 1.5B model decoding greedily falls into cycles: the same `@app.get(...)` handler, seven
lines, written again and again until the token cap, two and a half minutes on 2 cores,
and a Write call cut off in the middle of its `content`. Inside a constrained call the
lines are JSON-escaped (separated by the two characters `\\n`), so the separator is a
parameter. A block of lines that ends the text three times in a row is a cycle: no
real file repeats a block of that size verbatim three times (short lines such as `)`
or `pass` do not count). The text up to the end of the block's first copy is what the
model meant.
"""

from __future__ import annotations

COPIES = 3
MAX_BLOCK = 24  # lines
MIN_BLOCK_CHARS = 20  # a block this short repeating is ordinary code (`)`, `pass`, ``)


def repeat_start(text: str, newline: str = "\n") -> int | None:
    """The offset in `text` where the second copy of a block of lines that ends it
    COPIES times in a row begins; None when its complete lines do not end in a cycle."""
    end = text.rfind(newline)
    if end < 0:
        return None
    lines = text[:end].split(newline)
    for size in range(1, MAX_BLOCK + 1):
        if len(lines) < COPIES * size:
            break
        block = lines[-size:]
        if sum(len(line.strip()) for line in block) < MIN_BLOCK_CHARS:
            continue
        copies = 1
        while (copies + 1) * size <= len(lines) and (
            lines[-(copies + 1) * size : -copies * size] == block
        ):
            copies += 1
        if copies >= COPIES:
            second = len(lines) - (copies - 1) * size
            return sum(len(line) + len(newline) for line in lines[:second])
    return None
