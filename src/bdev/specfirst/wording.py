"""What a request written in prose states, read from its words alone.

Each function answers one narrow question about the text ("which statuses does it
name", "how do callers present their credential", "is this upload multipart") so that
the derivation in `prose` can check a model's answer against the request, or settle a
point the model is not asked. They are rules over common ways of writing an API request,
never over one request's wording; where a rule cannot tell, it answers None.

Written by hand: no library reads these facts out of prose.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

# A number with a unit after it is a bound, not a status ("up to 200 characters").
_STATUS = re.compile(
    r"(?<![\w.])([1-5]\d\d)(?![\w.])(?!\s*(?:characters?|chars?|bytes?|items?|pixels?|px|"
    r"seconds?|minutes?|ms|kb|mb|words?|digits?|letters?|times?|entries|results|%))",
    re.IGNORECASE,
)
# A media type the request names for a reply ("as text/plain").
_MEDIA = re.compile(r"\b((?:text|application|image|audio|video)/[\w.+-]*\w)")
# A reply named by the kind of document it is ("a PDF document", "an HTML page").
_DOCUMENT = re.compile(r"\b(?:a|an|as|the|in)\s+(PDF|PNG|JPE?G|GIF|HTML|CSV|SVG|ZIP|XML)\b")
_DOCUMENT_TYPES = {
    "PDF": "application/pdf", "PNG": "image/png", "JPEG": "image/jpeg", "JPG": "image/jpeg",
    "GIF": "image/gif", "HTML": "text/html", "CSV": "text/csv", "SVG": "image/svg+xml",
    "ZIP": "application/zip", "XML": "application/xml",
}  # fmt: skip
# A file the caller saves rather than reads ("downloads the file as an attachment").
_DOWNLOAD = re.compile(r"\b(?:as an? (?:file )?attachment|downloads?)\b", re.IGNORECASE)
# Not the package's name: "python-multipart" is allowed, not asked for.
_MULTIPART = re.compile(r"(?<!-)\bmultipart\b|\bform[- ]data\b|\bfile upload\b", re.IGNORECASE)
# "the field `file`", "form field `image`", "the `file` field".
_UPLOAD_FIELD = re.compile(r"\bfield\s+`(\w+)`|`(\w+)`\s+(?:form\s+)?field\b", re.IGNORECASE)
_FILE_NAMES = ("file", "upload", "image", "photo", "picture", "attachment", "document")
# UPLOAD_DIR, APP_SECRET: a setting of the server's, never sent by a caller.
_SETTING = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# "answers 201 with `{"id": ..., "total": ...}`": the reply written out.
# Also "-> { access_token }" and "Response: `{target: ...}`", as API docs write it.
_REPLY_LITERAL = re.compile(
    r"(?:\b(?:answer(?:s|ing)?|respon(?:ds?|ding|se)|returns?|repl(?:y|ies))\b|->|→|=>)"
    r"[^.{]{0,60}?(?<![/{])(\{[^{}]*\})(?!\})",
    re.IGNORECASE,
)
# An object written out: JSON (`{"id": 1, "title"}`) or as docs write it, keys bare
# (`{ email, password }`, `{target: "url"}`, `{ name?, note? }`); not a path's `{id}`
# nor a template's `{{ name }}`.
_OBJECT = re.compile(r"(?<![/\w{])\{[^{}]*\}(?!\})")
_LITERAL_ENTRY = re.compile(
    r"""[{,]\s*(?:"(\w+)"|'(\w+)'|([A-Za-z_]\w*)\??)\s*(?::\s*([^,}]*))?(?=\s*[,}])"""
)
# "`Authorization: Bearer <token>`", "in the X-API-Key header", "the `X-Token` header".
_HEADER = re.compile(
    r"\b(?:in|the|a|an)\s+(?:the\s+)?`?([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+|Authorization)`?\s+header",
    re.IGNORECASE,
)
# "set a session cookie", "the `sid` cookie", "a cookie named sid".
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_COOKIE_NAME = re.compile(r"`(\w+)`\s+cookie|cookie\s+(?:named|called)\s+`?(\w+)", re.IGNORECASE)
_SETS_COOKIE = re.compile(r"\bsets?\b[^.;]{0,40}\bcookie", re.IGNORECASE)
CREDENTIAL_WORDS = re.compile(r"\b(bearer|token|jwt|api key|header|credential)", re.IGNORECASE)


def statuses(text: str) -> set[int]:
    """The HTTP statuses `text` names (a number with a unit after it is not one)."""
    return {int(n) for n in _STATUS.findall(text)}


def numbers(text: str) -> set[int]:
    """Every whole number written in `text`: where a field's bound may come from."""
    return {int(n.replace(",", "")) for n in re.findall(r"(?<![\w.])\d[\d,]*(?![\w])", text)}


def words(text: str) -> set[str]:
    """The words of `text`, and each two neighbours joined as a name would be: "API key"
    states `api_key`, "access token" `access_token`."""
    # A part of a hyphenated name is not a word of its own: "Content-Type" names
    # `content_type`, never `type`.
    joined = {w.replace("-", "_").lower() for w in re.findall(r"\w+(?:-\w+)+", text)}
    text = re.sub(r"\w+(?:-\w+)+", " , ", text)
    found = [w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)]
    return {*found, *joined, *(f"{a}_{b}" for a, b in itertools.pairwise(found))}


def is_setting(name: str) -> bool:
    """Whether `name` is written as a server setting (UPLOAD_DIR, APP_SECRET) rather
    than a field a caller sends."""
    return bool(_SETTING.match(name))


def reply_media(passage: str, method: str) -> str | None:
    """The media type of an operation's success reply when its passage says it is not
    JSON: a named type ("as text/plain"), or, for a read, the kind of document it is
    ("a PDF", "an HTML page") or a download. None when it says nothing, or two things."""
    named = set(_MEDIA.findall(passage))
    if named:
        only = named.pop() if len(named) == 1 else None
        return only if only and only != "application/json" else None
    if method != "GET" or re.search(r"\bJSON\b", passage):
        return None
    kinds = {_DOCUMENT_TYPES[k.upper()] for k in _DOCUMENT.findall(passage)}
    if _DOWNLOAD.search(passage):
        kinds.add("application/octet-stream")
    return kinds.pop() if len(kinds) == 1 else None


def is_multipart(passage: str) -> bool:
    """Whether an operation's passage says its body is a multipart form upload."""
    return bool(_MULTIPART.search(passage))


def upload_fields(passage: str, names: list[str]) -> list[str]:
    """The fields of a multipart body that carry a file: the ones the passage calls a
    field by name ("field `file`"), else those of `names` called like a file."""
    named = [a or b for a, b in _UPLOAD_FIELD.findall(passage)]
    if named:
        return list(dict.fromkeys(named))
    return [n for n in names if n.lower() in _FILE_NAMES]


def item_fields(passage: str, array: str, names: list[str]) -> list[str]:
    """The fields of `names` that describe each item of the list input `array`, as in
    "`items`, a list of lines, each with a `description` and a `quantity`": those named
    after an "each" that follows the list's name, in the same sentence."""
    for sentence in re.split(r"(?<=[.;!?])\s+", passage):
        at = re.search(rf"\b{re.escape(array)}\b", sentence)
        each = re.search(r"\beach\b", sentence[at.end() :]) if at else None
        if at is None or each is None:
            continue
        between = sentence[at.end() : at.end() + each.start()]
        if any(re.search(rf"\b{re.escape(n)}\b", between) for n in names if n != array):
            continue  # another field is nearer: "each" is about that one
        rest = sentence[at.end() + each.end() :]
        return [n for n in names if n != array and re.search(rf"\b{re.escape(n)}\b", rest)]
    return []


def reply_literal(passage: str) -> dict[str, str | None] | None:
    """The reply's fields when the passage writes the reply out as JSON ("answers 201
    with `{"id": <integer>, "total": ...}`"), each with the type its value shows (None
    when the value does not show one); None when it writes none out."""
    match = _REPLY_LITERAL.search(passage)
    return _literal_fields(match[1]) if match else None


def request_literal(passage: str) -> dict[str, str | None] | None:
    """The body's fields when the passage writes the request out as JSON ("with JSON
    `{"to": "...", "message": "..."}`"): the first object written out that is not the
    reply; None when there is none."""
    reply = _REPLY_LITERAL.search(passage)
    for match in _OBJECT.finditer(passage):
        if reply and match.start() == reply.start(1):
            continue
        fields = _literal_fields(match[0])
        if fields:
            return fields
    listed = _BODY_LIST.search(passage)
    if listed:  # "@body: name, slug, ?price", as READMEs list a body's fields
        return {name.lstrip("?"): None for name in re.split(r"\s*,\s*", listed[1])}
    return None


# "Body: title, content", "@body: name, ?price": a body's fields listed by name.
_BODY_LIST = re.compile(
    r"(?<![\w-])@?(?:request\s+)?body(?:\s+(?:params|parameters|fields))?\s*:\s*"
    r"(\??[A-Za-z_]\w*(?:\s*,\s*\??[A-Za-z_]\w*)+)(?![\w(])",
    re.I,
)


def _literal_fields(written: str) -> dict[str, str | None] | None:
    """The keys of an object written out, each with the type its value shows; None for a
    template placeholder (`{id}`) or an object with no keys."""
    if re.fullmatch(r"\{\w+\}", written):
        return None
    found = {
        quoted or single or bare: _literal_type(value)
        for quoted, single, bare, value in _LITERAL_ENTRY.findall(written)
    }
    return found or None


# A sum of money is a number, not a count: "a `price` from 0 to 500" takes 19.99. Some
# names are a price by themselves; others (`total`, `amount`, `balance`) are as often a
# count ("`total`, the number of all products"), so they are money only when their own
# words or the passage speak of money or trade (an order's total, a payment's amount).
_PRICE_NAME = re.compile(r"(?:^|_)(?:price|cost|fee|subtotal)s?(?:_|$)", re.I)
_SUM_NAME = re.compile(r"(?:^|_)(?:amount|total|balance|sum)s?(?:_|$)", re.I)
_MONEY_WORD = re.compile(
    r"\b(?:money|prices?|priced|costs?|cents?|dollars?|euros?|pounds?|currency|paid|pay"
    r"|charged?|fees?|orders?|invoices?|payments?|carts?|purchases?|transactions?|bills?"
    r"|checkout|accounts?|wallets?)\b|[$€£]",
    re.I,
)
_COUNT_WORD = re.compile(r"\b(?:number of|counts?|how many)\b", re.I)


def own_words(name: str, passage: str) -> str:
    """The words that describe `name` where the passage names it: the rest of its clause,
    up to the next field or the sentence's end ("`total`, the number of all products")."""
    found = re.search(rf"`?\b{re.escape(name)}\b`?", passage, re.I)
    if not found:
        return ""
    rest = re.sub(r"^[\s\"'`:=,(<-]+", "", passage[found.end() : found.end() + 80])
    return re.split(r"[.;:]\s|[`>)}]|\band\b|\bor\b|$", rest, maxsplit=1)[0]


def is_money(name: str, passage: str) -> bool:
    """Whether `name` is a sum of money the passage does not count in whole cents."""
    if re.search(r"\bin cents\b", passage, re.I):
        return False
    own = own_words(name, passage)
    if _COUNT_WORD.search(own):
        return False
    if _PRICE_NAME.search(name):
        return True
    return bool(_SUM_NAME.search(name)) and bool(_MONEY_WORD.search(passage))


# A point in time: named as one (`created_at`, `updated`, `timestamp`) or described as
# one ("created is the time the order was recorded"), unless counted in seconds.
_MOMENT_NAME = re.compile(r"^(?:created|updated|modified|deleted|timestamp)$|_at$", re.I)
_MOMENT_WORDS = (
    r"\s*(?:is|was|,|:|-|\u2014|\()\s*(?:the|a)?\s*(?:date|time|moment|timestamp|instant)\b"
)
_EPOCH = re.compile(r"\b(?:seconds|milliseconds|epoch|unix)\b", re.I)


def is_moment(name: str, passage: str) -> bool:
    """Whether `name` is a point in time, sent as an ISO 8601 date-time."""
    if _EPOCH.search(own_words(name, passage)):
        return False
    described = re.search(rf"`?\b{re.escape(name)}\b`?{_MOMENT_WORDS}", passage, re.I)
    return bool(_MOMENT_NAME.search(name) or described)


# Two-word names that are terms of art, kept whole ("an access token" is `access_token`).
_TERMS = re.compile(r"^(?:(?:access|refresh|id)_token|token_type)$")
# Nouns that need the word before them to say what they are ("the hashed id").
_KINDS = frozenset({
    "address", "code", "count", "date", "id", "key", "length", "name", "number", "size",
    "status", "time", "type", "url", "value",
})  # fmt: skip


def plain_name(name: str, passage: str) -> str:
    """The name of a reply field the passage describes in plain words and never writes
    out, where the first word only qualifies the second: a participle ("the rendered
    text" -> `text`, "the shortened URL" stays, a URL needs saying which) or the kind of
    a token ("a session token" -> `token`). A request that wanted the longer name would
    have written it; a compound noun ("email address", "word count") keeps both words."""
    words = name.split("_")
    if len(words) != 2 or not all(words) or _TERMS.match(name):
        return name
    if re.search(rf"\b{re.escape(name)}\b", passage):
        return name  # written out
    if not re.search(rf"\b{re.escape(words[0])}\s+{re.escape(words[1])}\b", passage, re.I):
        return name  # not the passage's words
    qualifies = words[0].endswith("ed") and words[1] not in _KINDS
    return words[1] if qualifies or words[1] == "token" else name


# The order a list is sorted in, as the words state it.
_ASCENDING = re.compile(r"\bascending\b|\b(?:oldest|smallest|lowest|earliest)\s+first\b", re.I)
_DESCENDING = re.compile(
    r"\bdescending\b|\b(?:newest|latest|largest|highest|most\s+recent)\s+first\b", re.I
)


def stated_order(text: str) -> bool | None:
    """True when the words sort a list descending ("newest first"), False ascending
    ("sorted ascending by `sort`"), None when they say neither or both."""
    up, down = bool(_ASCENDING.search(text)), bool(_DESCENDING.search(text))
    return None if up == down else down


# A type written before a field's name: "its new integer id", "a boolean `done`".
_TYPE_WORDS = {
    "integer": "integer", "int": "integer", "numeric": "number", "decimal": "number",
    "float": "number", "boolean": "boolean", "string": "string",
}  # fmt: skip
_TYPED_NAME = re.compile(rf"\b({'|'.join(_TYPE_WORDS)})\s+`?(\w+)`?", re.I)


# "a map of string values": `values` is an object (names to values), whatever its items.
_MAP_OF = re.compile(
    r"\b(?:map|mapping|dictionary|dict)\s+of\s+(?:(?:string|integer|number|text)\s+)?`?(\w+)",
    re.I,
)


def stated_types(passage: str) -> dict[str, str]:
    """Field name -> the type the passage writes before it ("integer id" -> integer, "a
    map of string values" -> values: object)."""
    found = {name: _TYPE_WORDS[kind.lower()] for kind, name in _TYPED_NAME.findall(passage)}
    found |= {name: "object" for name in _MAP_OF.findall(passage)}
    return found


# "`sort`: one of id, total or created", "one of `asc`, `desc`": the values a field takes.
_CHOICES = r"`?[\w-]+`?(?:\s*,\s*`?[\w-]+`?)*,?\s+(?:or|and)\s+`?[\w-]+`?"


def choices(name: str, passage: str) -> list[str]:
    """The values the passage lets `name` take, in its words, or [] when it lists none."""
    found = re.search(rf"`{re.escape(name)}`[^.;`]{{0,40}}?\bone of\s+({_CHOICES})", passage, re.I)
    if not found:
        return []
    return [v.strip("`") for v in re.split(r"\s*,\s*|,?\s+(?:or|and)\s+", found[1])]


def default_word(name: str, passage: str) -> str | None:
    """The default the passage gives `name` ("(default id; ...)"), as written."""
    found = re.search(
        rf"\b{re.escape(name)}\b[^.;]*?\bdefault(?:s to| is|:)?\s+`?([\w-]+)`?", passage, re.I
    )
    return found[1] if found else None


# "(the required `customer` parameter)", "a `q` query parameter", "`sort` is one of ...".
_PARAMETER = re.compile(r"`(\w+)`\s+(?:query\s+)?(?:parameter|param)\b", re.I)


def named_parameters(passage: str, *, bodiless: bool) -> list[str]:
    """Names the passage calls parameters, and for a method without a body (whose every
    input is a parameter) the names it gives a list of values to choose from."""
    named = [m[1] for m in _PARAMETER.finditer(passage)]
    if bodiless:
        named += [m[1] for m in re.finditer(r"`(\w+)`", passage) if choices(m[1], passage)]
    return list(dict.fromkeys(named))


# A read that answers many: "lists the orders", "answers a list of notes". A page of them
# ("one page at a time", "holds the page's items") is an object.
_READ_VERB = r"(?:list|get|retrieve|fetch|show|return|read)s?"
_LISTS = re.compile(
    r"\blists\b|\b(?:a|the) list of\b|\ban array of\b"
    rf"|\b{_READ_VERB}\s+(?:all|every)\b|\breturns\s+(?:up to\s+)?\d+\s+\w+s\b"
    r"|\b(?:answers|returns|responds)\b[^.;]{0,30}\bwith all (?:the )?\w+s\b",
    re.I,
)
_PAGE = re.compile(r"\bpages?\b|\{", re.I)


def answers_a_list(passage: str, collection: str = "") -> bool:
    """Whether a read answers many: "lists the orders", "Get all pets", "Returns 5 items",
    or a read verb before the `collection`'s own plural name ("Fetch Users" on /users);
    not "one page at a time"."""
    plural = collection.endswith("s") and not collection.endswith("ss")
    named = plural and re.search(
        rf"\b{_READ_VERB}\s+(?:the\s+)?{re.escape(collection)}\b", passage, re.I
    )
    return bool(_LISTS.search(passage) or named) and not _PAGE.search(passage)


def _literal_type(value: str | None) -> str | None:
    value = (value or "").strip().strip("`")
    if re.fullmatch(r"-?\d+", value) or re.fullmatch(r"<(?:int|integer)>", value, re.I):
        return "integer"
    if re.fullmatch(r"-?\d+\.\d+", value) or re.fullmatch(r"<(?:float|number)>", value, re.I):
        return "number"
    if value in ("true", "false"):
        return "boolean"
    if value.startswith("["):
        return "array"
    if value.startswith('"'):
        return "string"
    return None


def credential_sentences(text: str, is_mention: re.Pattern[str]) -> list[str]:
    """Sentences about credentials that name no operation ("Every notes request sends
    that key in the X-API-Key header"): they hold for every operation, not only the one
    they follow."""
    return [
        " ".join(s.split())
        for s in split_sentences(text)
        if CREDENTIAL_WORDS.search(s) and not is_mention.search(s)
    ]


# A sentence ends at its full stop, a blank line, a bullet, or where a Markdown heading
# or an HTML comment line starts.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z`(\"])|\n\s*\n|\n\s*[-*]\s|\n(?=\s*#{1,6}\s)|(?<=-->)\s*\n"
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def credential_scheme(text: str) -> dict[str, Any] | None:
    """How callers present their credential, as the request says: a named header other
    than Authorization is an API key; a cookie is a session cookie; a bearer token (or a
    JWT) is the Authorization header's; None when the request names none of these."""
    for name in _HEADER.findall(text):
        if name.lower() != "authorization":
            return {"type": "apiKey", "in": "header", "name": name}
    if _COOKIE.search(text) and re.search(r"\b(session|log(?:s|ged)?[ -]?in)\b", text, re.I):
        named = [a or b for a, b in _COOKIE_NAME.findall(text)]
        # Unnamed, it is the session cookie the frameworks set by default.
        return {"type": "apiKey", "in": "cookie", "name": named[0] if named else "session"}
    if re.search(r"\b(bearer|tokens?|jwts?)\b", text, re.IGNORECASE):
        return {"type": "http", "scheme": "bearer"}
    return None


def sets_cookie(passage: str) -> bool:
    """Whether an operation's passage says it sets a cookie (it issues the session)."""
    return bool(_SETS_COOKIE.search(passage))


# "Anyone may sign up", "no login needed": an operation open to all, whatever a nearby
# sentence says about the others. "Anyone with the token" is not.
_PUBLIC = re.compile(
    r"\b(?:anyone|anybody|everyone)\s+(?:may|can|is allowed to)\b"
    r"|\b(?:is|are) public\b|\bpublicly\b|\bwithout (?:a |any )?(?:login|token|credentials?|key)\b"
    r"|\bno (?:login|token|credentials?|auth\w*) (?:is )?(?:needed|required)\b",
    re.I,
)


def says_public(passage: str) -> bool:
    return bool(_PUBLIC.search(passage))


# "answers 201 with its integer id, its title and the content's length in characters": a
# reply listed as noun phrases. Read only when every part is a short noun phrase; "with
# the text repeated that many times" is not a list of fields, and is left to the model.
_REPLY_CLAUSE = re.compile(
    r"\b(?:answers|returns|responds)(?:\s+(\d{3}))?\s+with\s+(.+?)"
    r"(?=[.;:]\s|[.;:]?$|,\s*or\b|\s+or\s+\d{3}|\s+(?:when|if|unless|otherwise)\b)",
    re.I | re.S,
)
_NOUN_PHRASE = re.compile(
    r"(?:(?:its|the|a|an|their|new|own)\s+)*(?:[\w-]+'s\s+)?"
    r"(?:(?:new|integer|numeric|string|boolean|random|unique|generated)\s+)*"
    r"([A-Za-z]\w*(?:\s+[A-Za-z]\w*)?)(?:\s+in\s+[\w-]+)?(?:\s*\([^)]*\))?",
    re.I,
)


@dataclass(frozen=True)
class ReplyList:
    """A reply the passage lists: `whole` when "it" (the created thing) is among the
    parts; `names` one tuple per other part, its candidate field names (the phrase
    joined, then its head noun: "session token" -> session_token, token)."""

    whole: bool
    names: list[tuple[str, ...]]


# Words that name the reply itself, not a field of it ("with a JSON object").
_NOT_FIELDS = frozenset({"object", "json", "payload", "response", "reply", "answer", "nothing"})


def reply_list(passage: str, resource: str) -> ReplyList | None:
    """The success reply's fields as the passage lists them, or None when it does not."""
    clause = next(
        (c for c in _REPLY_CLAUSE.finditer(passage) if not c[1] or c[1].startswith("2")), None
    )
    if not clause:
        return None
    whole, names = False, []
    thing = rf"it|(?:the|a|an) (?:new |created |saved |stored )?{re.escape(resource)}"
    for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", " ".join(clause[2].split())):
        if re.fullmatch(thing, part, re.I):
            whole = True
            continue
        phrase = _NOUN_PHRASE.fullmatch(part.strip())
        if not phrase or re.match(r"all\b", part, re.I):
            return None  # "with all accounts" is a listing
        found = phrase[1].lower().split()
        if found[0] in ("it", "list", "number", "rest", "result", "text") and len(found) > 1:
            return None  # "the text repeated", "list of ..." is a description, not a name
        if _NOT_FIELDS & set(found):  # "a JSON body", "an empty object"
            return None
        names.append(tuple(dict.fromkeys(("_".join(found), found[-1]))))
    return ReplyList(whole, names) if names or whole else None
