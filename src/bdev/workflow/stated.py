"""The rules a change request states about its parameters, read by the program.

"Add `limit` (default 20, from 1 to 100) … a bad `limit` is answered with 400" says
exactly what a test should check, but a 1.5B model asked for expectations writes
`assert reply.status == 200` and stops there. So bdev reads such rules itself: each
backticked parameter name, the words after it up to the next parameter or the end of
the sentence (its type, range, length, default, choices, whether it may be null or left
out, whether it filters), and the status the request gives bad input. The rules become a
JSON Schema per parameter, which `stated_tests` turns into checks and the change prompt
shows as a checklist.

It is deliberately conservative: a name with no recognised rule next to it (`q`,
`status` in "only agents may set `status`") yields nothing, so no test is invented from
words bdev did not understand. This is English phrase-matching, written by hand: no
library reads parameter rules from prose.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Where = Literal["query", "body"]

_SPAN = re.compile(r"`([^`\n]+)`")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ROUTE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+`?(/[\w/{}<>:.-]*)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")
_NUM = r"(-?\d+(?:\.\d+)?)"
_RANGE = re.compile(rf"\b(?:from|between)\s+{_NUM}\s+(?:to|and)\s+{_NUM}", re.I)
_BARE_RANGE = re.compile(rf"\b{_NUM}\s+to\s+{_NUM}\s+(?:characters|chars|letters)", re.I)
_AT_LEAST = re.compile(rf"\b(?:at least|minimum(?: of)?|min\.?|no less than|>=)\s*{_NUM}", re.I)
_AT_MOST = re.compile(rf"\b(?:at most|maximum(?: of)?|max\.?|up to|no more than|<=)\s*{_NUM}", re.I)
_DEFAULT = re.compile(r"\bdefault(?:s to|s|:)?\s+(?:is\s+)?`?([\w.-]+)`?", re.I)
_CHOICES = re.compile(r"\bone of\s*:?\s*((?:`[^`\n]+`(?:\s*,\s*|\s*,?\s*or\s+|\s*)?)+)", re.I)
_LENGTH = re.compile(r"\b(?:characters|chars|letters|long)\b", re.I)
_STATUS = re.compile(r"\b(4\d\d)\b")
# Words that say a sentence is about bad input, so a 4xx in it is the error status.
_BAD_INPUT = re.compile(
    r"\b(?:bad|invalid|not a|not an|out of (?:its )?range|other|otherwise|wrong|malformed|"
    r"refused|rejected|that is not|isn't|unknown fields?)\b",
    re.I,
)
_DEFINES = re.compile(r"\s*(?:is|must be)\s+(?:a|an|one|the|always)\b")
_NOT_INPUT_STATUS = frozenset({401, 403, 404, 405, 409})  # auth, absence, conflict
_JSON_OBJECT = re.compile(r"^\{.*\}$")
# "(not a string, not a boolean)": what a value is not, listed. "A `limit` that is not a
# whole number is refused" is no such list: there the type is what the value must be.
_NEGATED = re.compile(r"(?:^|[(,;])\s*not (?:a|an) (?:string|boolean|number|text|list)\b")


@dataclass
class Rule:
    """What the request states about one parameter."""

    name: str
    where: Where
    schema: dict[str, Any] = field(default_factory=dict)  # JSON Schema of valid values
    required: bool = False
    nullable: bool = False
    strict: bool = False  # a JSON number only: neither a string nor a boolean
    trimmed: bool = False  # surrounding spaces are trimmed before the length counts
    filters: bool = False  # keeps only the items whose field of this name equals it
    route: tuple[str, str] | None = None  # (METHOD, /path) it belongs to

    @property
    def kind(self) -> str | None:
        kind = self.schema.get("type")
        return kind if isinstance(kind, str) else None

    @property
    def understood(self) -> bool:
        """Whether bdev found anything checkable about it."""
        return bool(self.schema) or self.filters or self.nullable


@dataclass
class Stated:
    """Every rule the request states, and the status it gives bad input (None: not said)."""

    rules: list[Rule] = field(default_factory=list)
    error_status: int | None = None
    closed: bool = False  # "no other fields are accepted"

    def for_route(self, method: str, path_shape: str) -> list[Rule]:
        return [r for r in self.rules if r.route is None or r.route == (method, path_shape)]

    def checklist(self) -> list[str]:
        """One line per rule, for the change prompt and the report."""
        lines = [f"{_where_word(r)} `{r.name}`: {describe(r)}" for r in self.rules]
        if self.closed:
            lines.append("no other body fields are accepted")
        if self.error_status is not None and lines:
            lines.append(f"anything that breaks these rules answers {self.error_status}")
        return lines


def read_stated(task: str, *, route_shape: Any = None) -> Stated:
    """The parameter rules `task` states. `route_shape(path)` normalises a path so rules
    can be matched with the service's endpoints (identity when not given)."""
    shape = route_shape or (lambda p: p)
    text = " ".join(task.split())
    sentences = _sentences(text)
    routes = [
        (m.start(), (m.group(1).upper(), shape(m.group(2).rstrip(".,;)`"))))
        for m in _ROUTE.finditer(text)
    ]
    stated = Stated(error_status=_error_status(sentences))
    stated.closed = bool(
        re.search(
            r"\bno (?:other|extra|additional|unknown) (?:fields|keys|properties)\b", text, re.I
        )
    )
    found: dict[str, Rule] = {}
    for start, sentence in sentences:
        for name, where_hint, words, before, at in _mentions(sentence):
            route = _route_for(start, start + at, sentence, routes)
            rule = found.get(name)
            if rule is None:
                where: Where = where_hint or _where(route, sentence)
                rule = found[name] = Rule(name, where, route=route)
            _apply(rule, words, before)
    stated.rules = [r for r in found.values() if r.understood]
    return stated


def describe(rule: Rule) -> str:
    """The rule in a few words: "a whole number from 1 to 100, default 20"."""
    s = rule.schema
    kind = {
        "integer": "a whole number",
        "number": "a number",
        "string": "a string",
        "boolean": "true or false",
    }.get(rule.kind or "", "a value")
    if s.get("format") == "date":
        kind = "a date (YYYY-MM-DD)"
    elif s.get("format") == "email":
        kind = "an email address"
    parts = [kind]
    if "enum" in s:
        parts = ["one of " + ", ".join(f"`{c}`" for c in s["enum"])]
    low, high = s.get("minimum"), s.get("maximum")
    if low is not None and high is not None:
        parts.append(f"from {low:g} to {high:g}")
    elif low is not None:
        parts.append(f"at least {low:g}")
    elif high is not None:
        parts.append(f"at most {high:g}")
    lo_len, hi_len = s.get("minLength"), s.get("maxLength")
    if lo_len is not None and hi_len is not None:
        parts.append(f"{lo_len} to {hi_len} characters")
    elif hi_len is not None:
        parts.append(f"at most {hi_len} characters")
    elif lo_len:
        parts.append(f"at least {lo_len} characters")
    if rule.trimmed:
        parts.append("surrounding spaces trimmed first")
    if "default" in s:
        parts.append(f"default {s['default']!r}")
    if rule.strict:
        parts.append("a JSON number, not a string or a boolean")
    if rule.nullable:
        parts.append("or null")
    if rule.filters:
        parts.append("keeps only the items whose `" + rule.name + "` equals it")
    return ", ".join(parts)


# -- reading ----------------------------------------------------------------------


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; a full stop inside backticks or parentheses ends none."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        chunk = text[start : m.start()]
        if chunk.count("`") % 2 or chunk.count("(") > chunk.count(")"):
            continue
        out.append((start, chunk))
        start = m.end()
    out.append((start, text[start:]))
    return out


def _mentions(sentence: str) -> list[tuple[str, Where | None, str, str, int]]:
    """(name, where it lives if the sentence says, the words that describe it, the few
    words before it, its offset) for each parameter named in the sentence. Names listed as the
    choices of another ("one of `name`, `-name`") are values, not parameters; names
    joined by "or"/"and" with nothing between them share the words after the last."""
    spans = list(_SPAN.finditer(sentence))
    choice_spans: set[int] = set()
    for m in _CHOICES.finditer(sentence):
        choice_spans.update(s.start() for s in _SPAN.finditer(sentence, m.start(1), m.end(1)))
    names: list[tuple[int, int, str, Where | None]] = []  # start, end, name, where
    for span in spans:
        value = span.group(1).strip()
        if span.start() in choice_spans:
            continue
        if _JSON_OBJECT.match(value) and _says_body(sentence[: span.start()]):
            for key in _json_keys(value):
                names.append((span.start(), span.end(), key, "body"))
        elif _IDENT.fullmatch(value) and not value.isupper():
            names.append((span.start(), span.end(), value, None))
    out: list[tuple[str, Where | None, str, str, int]] = []
    pending: list[tuple[str, Where | None, str, int]] = []
    for i, (start, end, name, where) in enumerate(names):
        stop = names[i + 1][0] if i + 1 < len(names) else len(sentence)
        words = sentence[end:stop]
        before = sentence[max(0, start - 30) : start]
        if i + 1 < len(names) and names[i + 1][0] == start:  # keys of one JSON object
            words = sentence[end : _next_other(names, i)]
        if re.fullmatch(r"\s*(?:,|or|and|,\s*or|,\s*and)\s*", words):
            pending.append((name, where, before, start))
            continue
        for other, other_where, other_before, other_start in pending:
            out.append((other, other_where, words, other_before, other_start))
        pending = []
        out.append((name, where, words, before, start))
    out += [(n, w, "", b, at) for n, w, b, at in pending]
    return out


def _next_other(names: list[tuple[int, int, str, Where | None]], i: int) -> int:
    start = names[i][0]
    later = [n[0] for n in names[i + 1 :] if n[0] != start]
    return later[0] if later else 10**9


def _says_body(before: str) -> bool:
    return bool(re.search(r"\b(?:body|payload|json)\b[^`]{0,20}$", before, re.I))


def _json_keys(text: str) -> list[str]:
    try:
        value = json.loads(re.sub(r":\s*([A-Za-z_]\w*)\s*([,}])", r': "\1"\2', text))
    except ValueError:
        return re.findall(r'"([A-Za-z_]\w*)"\s*:', text)
    return [k for k in value if _IDENT.fullmatch(k)] if isinstance(value, dict) else []


def _route_for(
    start: int, at: int, sentence: str, routes: list[tuple[int, tuple[str, str]]]
) -> tuple[str, str] | None:
    """The route a rule named at offset `at` belongs to: the last the sentence names
    before it, else the first it names after it, else the last named in an earlier
    sentence, else the first in the request."""
    end = start + len(sentence)
    before = [r for pos, r in routes if start <= pos < at]
    after = [r for pos, r in routes if at <= pos < end]
    if before or after:
        return before[-1] if before else after[0]
    earlier = [r for pos, r in routes if pos < start]
    if earlier:
        return earlier[-1]
    return routes[0][1] if routes else None


def _where(route: tuple[str, str] | None, sentence: str) -> Where:
    if re.search(r"\bquery\b", sentence, re.I):
        return "query"
    if re.search(r"\b(?:body|json|payload|field)s?\b", sentence, re.I):
        return "body"
    return "query" if route is None or route[0] in ("GET", "DELETE") else "body"


def _apply(rule: Rule, words: str, before: str) -> None:
    """Add what `words` (after the name) and `before` say to the rule."""
    s = rule.schema
    low = words.lower()
    # "not a string, not a boolean" names what the value is not.
    kind = _kind(_NEGATED.sub(" ", low))
    if kind and "type" not in s:
        s["type"] = kind
        if kind == "string" and re.search(r"\bdate\b", low) and "date-time" not in low:
            s["format"] = "date"
    if "format" not in s and re.search(
        r"\b(?:an?|valid|one) (?:single |valid )?(?:e-?mail )?(?:address|e-?mail)\b", low
    ):
        s.setdefault("type", "string")
        s["format"] = "email"
    choices = _CHOICES.search(words)
    if choices:
        s["enum"] = [c.strip() for c in _SPAN.findall(choices.group(1))]
        s.setdefault("type", "string")
    like = re.search(r"\blike\s+`([^`]+)`", words)
    if like:
        s["example"] = like.group(1)
    length = bool(_LENGTH.search(low))
    if (m := _RANGE.search(words) or _BARE_RANGE.search(words)) is not None:
        a, b = _number(m.group(1)), _number(m.group(2))
        _bound(s, length, a, b)
    if (m := _AT_LEAST.search(words)) is not None:
        _bound(s, length or _after_is_length(words, m.end()), _number(m.group(1)), None)
    if (m := _AT_MOST.search(words)) is not None:
        _bound(s, length and _after_is_length(words, m.end()), None, _number(m.group(1)))
    if re.search(r"\b(?:not negative|non-negative|nonnegative|zero or more)\b", low):
        s.setdefault("minimum", 0)
        s.setdefault("type", "integer")
    elif re.search(r"\bpositive\b", low) and s.get("type") == "integer":
        s.setdefault("minimum", 1)
    if (m := _DEFAULT.search(words)) is not None:
        s["default"] = _typed(m.group(1), s.get("type"))
    if re.search(r"\bor null\b|\bnullable\b|\bmay be null\b", low):
        rule.nullable = True
    if re.search(r"\bjson number\b|\bnot a string\b", low) and s.get("type") in (
        "integer",
        "number",
    ):
        rule.strict = True
    if re.search(r"\btrimmed\b|\bstripped\b", low):
        rule.trimmed = True
    if re.search(r"\boptional\b|\bmay be (?:left out|omitted)\b", before.lower() + " " + low):
        rule.required = False
    elif re.search(r"\brequired\b", low):
        rule.required = True
    elif (
        rule.where == "body"
        and _DEFINES.match(low)
        and "default" not in s
        and not rule.nullable
        and s
    ):
        # "`name` is a string of 1 to 80 characters": a body field defined outright, with
        # no default and no null, is one the body must have.
        rule.required = True
    # Only an equality filter is checked ("events of exactly that kind"): "keeps only
    # products costing at most that much" is a bound, checked as one.
    if re.search(r"\b(?:keeps? only|filters? (?:on|by)|only those)\b", low) and re.search(
        r"\bexact(?:ly)?\b|\bequal to\b", low
    ):
        rule.filters = "enum" not in s


def _kind(low: str) -> str | None:
    if re.search(r"\b(?:whole (?:json )?number|integer|int)\b", low):
        return "integer"
    if re.search(r"\b(?:boolean|true or false)\b", low):
        return "boolean"
    if re.search(r"\b(?:decimal|floating|number)\b", low):
        return "number"
    if re.search(r"\b(?:string|text|date)\b", low):
        return "string"
    return None


def _after_is_length(words: str, end: int) -> bool:
    return bool(_LENGTH.match(words[end:].lstrip()))


def _bound(s: dict[str, Any], length: bool, low: float | None, high: float | None) -> None:
    if length:
        s.setdefault("type", "string")
        if low is not None:
            s["minLength"] = int(low)
        if high is not None:
            s["maxLength"] = int(high)
        return
    if "type" not in s:
        whole = all(v is None or float(v).is_integer() for v in (low, high))
        s["type"] = "integer" if whole else "number"
    if low is not None:
        s["minimum"] = low
    if high is not None:
        s["maximum"] = high


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _typed(text: str, kind: Any) -> Any:
    if kind in ("integer", "number"):
        try:
            return _number(text)
        except ValueError:
            return text
    return text


def _error_status(sentences: list[tuple[int, str]]) -> int | None:
    """The status the request gives bad input: a 4xx in a sentence about bad input
    (auth, absence and conflicts aside), the most often named."""
    found: Counter[int] = Counter()
    for _, sentence in sentences:
        for clause in re.split(r";|,\s*(?:and|while|but)\s+|\(", sentence):
            if not _BAD_INPUT.search(clause):
                continue
            for m in _STATUS.finditer(clause):
                status = int(m.group(1))
                if status not in _NOT_INPUT_STATUS:
                    found[status] += 1
    return found.most_common(1)[0][0] if found else None


def _where_word(rule: Rule) -> str:
    return "query parameter" if rule.where == "query" else "body field"
