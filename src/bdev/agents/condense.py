"""Condensing a long agent definition body to a token budget, for small models.

A 1.5B model given a 3,000-token persona mostly loses the task; given nothing it loses
the role. So the body is rebuilt from its most telling parts, in passes, each adding
units in document order until the next one would not fit:

1. the opening role paragraph (cut to the sentences that fit when it alone is too long);
2. every top-level section's heading with the first sentence of its first paragraph;
3. list items cut to their first sentence (at most MAX_ITEM_WORDS words), each with the
   heading of its subsection: the first item of every kept section, then the second of
   every section, and so on, so each section keeps its leading points.

Code blocks, tables, nested items and later paragraphs are left out. The result always
ends with a line saying it was condensed and how many words were left out, so nothing
is cut silently. Only text and a `count` function go in: the same body, budget and
counter always give the same bytes (the local model reuses a prompt prefix only while
it stays byte-identical).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_ITEM_WORDS = 16

_HEADING = re.compile(r"^#{1,6}\s+\S")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_EMPHASIS = re.compile(r"\*\*|__")


@dataclass(frozen=True)
class Condensed:
    text: str
    condensed: bool  # False: the body fitted and is returned unchanged
    total_words: int
    left_out_words: int


@dataclass
class _Block:
    kind: str  # "heading", "para", "item", "nested", "code", "table"
    text: str
    marker: str = ""  # an item's "-" or "1."


@dataclass
class _Section:
    headings: list[int]  # block indexes of its heading and those above it, outermost first
    paras: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)


def condense(body: str, budget: int, count: Callable[[str], int]) -> Condensed:
    """`body` cut to at most `budget` tokens as `count` measures them (note included)."""
    body = body.strip()
    total = len(body.split())
    if count(body) <= budget:
        return Condensed(body, False, total, 0)
    blocks = _blocks(body)
    sections = _sections(blocks)
    # The note's worst case is reserved up front, so adding it can never break the budget.
    room = budget - count("\n\n" + _note(total, total))
    chosen: dict[int, str] = {}

    def fits(unit: dict[int, str]) -> bool:
        trial = {**chosen, **unit}
        if count(_render(blocks, trial)) > room:
            return False
        chosen.update(unit)
        return True

    def with_headings(section: _Section, unit: dict[int, str]) -> dict[int, str]:
        heads = {h: blocks[h].text for h in section.headings if h not in chosen}
        return {**heads, **unit}

    role = next((i for i, b in enumerate(blocks) if b.kind == "para"), None)
    if role is not None:
        role_section = next(s for s in sections if role in s.paras)
        _fit_prefix(role, blocks[role].text, lambda u: fits(with_headings(role_section, u)))
    for section in sections:  # pass 2: top-level headings with their lead sentence
        if len(section.headings) > 1:
            continue
        unit = with_headings(section, {})
        lead = next((p for p in section.paras if p != role), None)
        if lead is not None:
            unit[lead] = _first_sentence(blocks[lead].text)
        if unit and not fits(unit):
            break
    kept = [s for s in sections if not s.headings or s.headings[0] in chosen]
    depth = max((len(s.items) for s in kept), default=0)
    for rank in range(depth):  # pass 3: the rank-th item of every kept section
        units = [
            with_headings(s, {s.items[rank]: _first_sentence(blocks[s.items[rank]].text)})
            for s in kept
            if rank < len(s.items)
        ]
        if not all(fits(unit) for unit in units):
            break
    text = _render(blocks, chosen)
    left = max(0, total - len(text.split()))
    note = _note(left, total)
    return Condensed(f"{text}\n\n{note}" if text else note, True, total, left)


def _note(left_out: int, total: int) -> str:
    return (
        f"(This definition was condensed for a small model: {left_out:,} of its "
        f"{total:,} words were left out.)"
    )


def _fit_prefix(index: int, text: str, fits: Callable[[dict[int, str]], bool]) -> None:
    """The longest run of whole sentences of `text` that fits, else of its words."""
    for units, cut in ((_SENTENCE_END.split(text), ""), (text.split(), " …")):
        fitted = False
        for n in range(1, len(units) + 1):
            if not fits({index: " ".join(units[:n]) + (cut if n < len(units) else "")}):
                break
            fitted = True
        if fitted:
            return


def _first_sentence(text: str) -> str:
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    words = sentence.split()
    if len(words) > MAX_ITEM_WORDS:
        return " ".join(words[:MAX_ITEM_WORDS]) + " …"
    return sentence


def _blocks(body: str) -> list[_Block]:
    blocks: list[_Block] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif _FENCE.match(line):
            end = next((j for j in range(i + 1, len(lines)) if _FENCE.match(lines[j])), len(lines))
            blocks.append(_Block("code", "\n".join(lines[i : end + 1])))
            i = end + 1
        elif _HEADING.match(line):
            blocks.append(_Block("heading", _plain(line)))
            i += 1
        elif line.lstrip().startswith("|"):
            blocks.append(_Block("table", line))
            i += 1
        elif m := _ITEM.match(line):
            i += 1
            text = [m.group(3)]
            # Wrapped continuation lines belong to the item.
            while i < len(lines) and _continues(lines[i]):
                text.append(lines[i].strip())
                i += 1
            kind = "nested" if m.group(1) else "item"
            blocks.append(_Block(kind, _plain(" ".join(text)), m.group(2)))
        else:
            text = [line.strip()]
            i += 1
            while i < len(lines) and _continues(lines[i]) and not lines[i].startswith(" "):
                text.append(lines[i].strip())
                i += 1
            blocks.append(_Block("para", _plain(" ".join(text))))
    return blocks


def _continues(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not (
        _HEADING.match(line) or _ITEM.match(line) or _FENCE.match(line) or stripped[0] == "|"
    )


def _plain(text: str) -> str:
    """Without bold markers: tokens a small model pays for and gains nothing from."""
    return _EMPHASIS.sub("", text).strip()


def _sections(blocks: list[_Block]) -> list[_Section]:
    """One section per heading (plus one for text before the first), each knowing the
    chain of headings above it, outermost first."""
    sections = [_Section([])]
    stack: list[tuple[int, int]] = []  # (level, block index) of the open headings
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            level = len(block.text) - len(block.text.lstrip("#"))
            stack = [(lv, h) for lv, h in stack if lv < level] + [(level, i)]
            sections.append(_Section([h for _, h in stack]))
        elif block.kind == "para":
            sections[-1].paras.append(i)
        elif block.kind == "item":
            sections[-1].items.append(i)
    return sections


def _render(blocks: list[_Block], chosen: dict[int, str]) -> str:
    parts: list[str] = []
    previous = ""
    for i in sorted(chosen):
        block = blocks[i]
        if block.kind == "item":
            line = f"{block.marker} {chosen[i]}"
            parts.append(("\n" if previous == "item" else "\n\n") + line)
        else:
            parts.append("\n\n" + chosen[i])
        previous = block.kind
    return "".join(parts).strip()
