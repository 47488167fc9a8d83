"""Where a reply starts repeating itself.

A 1.5B model decoding greedily falls into cycles: the same `@app.get(...)` handler, seven
lines, written again and again until the token cap, two and a half minutes on 2 cores,
and a Write call cut off in the middle of its `content`. Inside a constrained call the
lines are JSON-escaped (separated by the two characters `\\n`), so the separator is a
parameter. A block of lines that ends the text three times in a row is a cycle: no
real file repeats a block of that size verbatim three times (short lines such as `)`
or `pass` do not count). The text up to the end of the block's first copy is what the
model meant. A cycle within one line (`OAuth2ClientCredentialsBearer, ` forty times in an
import) is found the same way, by characters; it leaves the line unfinished. So is a
longer run repeating three times, as whole lines do: a Write's content that turned into
six sentences of prose going round and round within one line (greenfield scenario 06 at
`bbc9c3a`, 190 s to the cap and a call cut off).
"""

from __future__ import annotations

COPIES = 3
MAX_BLOCK = 24  # lines
MIN_BLOCK_CHARS = 20  # a shorter block repeating is ordinary code (`)`, `pass`, blanks)


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


INLINE_COPIES = 6
MAX_UNIT = 120  # characters
MIN_INLINE_CHARS = 60
# A unit of one to three characters (`'}`) repeated this far is a loop too: a rule of
# dashes or a row of zeros in real code is far shorter.
SHORT_UNIT = 3
LONG_RUN = 240  # characters


def inline_repeat_start(text: str) -> int | None:
    """The offset where the second copy of a run of characters that ends `text`
    INLINE_COPIES times in a row begins (`OAuth2ClientCredentialsBearer, ` within one
    import line); None when it does not end so. Such a cut leaves a line unfinished."""
    for size in range(1, SHORT_UNIT + 1):
        unit = text[-size:]
        if len(text) >= LONG_RUN and text.endswith(unit * (LONG_RUN // size)):
            return _second_copy(text, unit, LONG_RUN // size)
    for size in range(SHORT_UNIT + 1, MAX_UNIT + 1):
        if len(text) < INLINE_COPIES * size:
            break
        unit = text[-size:]
        if (
            size * INLINE_COPIES < MIN_INLINE_CHARS
            or sum(c.isalnum() for c in unit) < 3
            or len(set(unit)) < 3
        ):
            continue  # a rule of dashes or a row of zeros is layout, not a loop
        if text[-INLINE_COPIES * size :] == unit * INLINE_COPIES:
            return _second_copy(text, unit, INLINE_COPIES)
    return long_repeat_start(text)


LONG_COPIES = 3
MAX_LONG_UNIT = 1_500  # characters


def long_repeat_start(text: str) -> int | None:
    """As `inline_repeat_start`, for a run longer than MAX_UNIT characters that ends `text`
    LONG_COPIES times in a row: no file repeats that much verbatim three times."""
    for size in range(MAX_UNIT + 1, min(MAX_LONG_UNIT, len(text) // LONG_COPIES) + 1):
        unit = text[-size:]
        if text[-2 * size : -size] == unit and text[-3 * size : -2 * size] == unit:
            return _second_copy(text, unit, LONG_COPIES)
    return None


def _second_copy(text: str, unit: str, copies: int) -> int:
    """Where the second of the copies of `unit` that end `text` (at least `copies`) begins."""
    size = len(unit)
    while len(text) >= (copies + 1) * size and text[-(copies + 1) * size : -copies * size] == unit:
        copies += 1
    return len(text) - (copies - 1) * size
