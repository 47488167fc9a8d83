"""The operations a request written in prose names, and the sentences about each.

    for mention in find_operations(text):   # Mention("POST", "/notes", (), passage, own)
        ...

An operation is named as `METHOD /path` ("POST /notes", "GET and DELETE /items/{id}",
"GET /notes?q=TEXT", "POST http://localhost:8888/api/items/"), or, in API docs that head
each section with a bare path, by that heading. Its passage runs from the first
sentence naming it to the next naming another operation; READMEs' headings and title
lines mark where one operation's part ends.

Written by hand: no library reads routes out of prose.
"""

from __future__ import annotations

import dataclasses
import re

from bdev.specfirst import layouts, wording

# "POST /notes", "GET and DELETE /items/{id}", "GET /notes?q=TEXT".
MENTION = re.compile(
    rf"\b(?P<methods>{layouts.METHODS})"
    # "GET http://localhost:8888/api/v1/items": the path of a full URL.
    r"(?:\*\*|__|`)?:?\s+`?(?:https?://[\w.\-]+(?::\d+)?)?(?P<path>/[A-Za-z0-9_\-./{}<>:]*(?:\?[A-Za-z0-9_=&\-{}<>.,]*)?)"
)
# A line such as "Constraints:" heads what follows; "Query string params:" or "Response:"
# belong to the operation above them.
_ENDS_PASSAGES = re.compile(
    r"(?![^:]*\b(?:param\w*|body|response|request|returns?|query|headers?|fields?|example)\b)"
    r"[#\s]*[\w ]{1,40}:",
    re.I,
)
# Path parameters written as <id> or :id become {id}.
_ANGLE = re.compile(r"<(?:\w+:)?(\w+)>")
_COLON = re.compile(r"(?<=/):(\w+)")


@dataclasses.dataclass(frozen=True)
class Mention:
    """One operation the request names, with the sentences about it."""

    method: str
    path: str  # the template, with {params}
    query: tuple[str, ...]  # names written in the mention (`?q=TEXT` -> q)
    passage: str
    # The passage without what a sentence naming several operations says after another
    # one's name ("register with POST /register and log in with POST /login, which
    # answers {...}": the reply is the login's). What the program reads its rules from.
    own: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def find_operations(text: str) -> list[Mention]:
    """The operations `text` names, in order of first mention, each with its passage: the
    sentences from the first one naming it up to the next naming another operation."""
    text = layouts.as_mentions(text)
    if not MENTION.search(text):
        text = layouts.methods_for_path_headings(text)
    sentences = wording.split_sentences(text)
    found: dict[tuple[str, str], tuple[tuple[str, ...], list[str]]] = {}
    own: dict[tuple[str, str], list[str]] = {}
    current: list[tuple[str, str]] = []
    names = [bool(MENTION.search(sentence)) for sentence in sentences]
    title = ""  # a short line heading the operation named next ("Get Expense by ID")
    for i, sentence in enumerate(sentences):
        named = []
        matches = list(MENTION.finditer(sentence))
        if not matches and i + 1 < len(names) and names[i + 1] and _is_title(sentence):
            title, current = sentence, []
            continue
        for n, match in enumerate(matches):
            path, query = _path_and_query(match["path"])
            start = 0 if n == 0 else match.start()
            end = matches[n + 1].start() if n + 1 < len(matches) else len(sentence)
            part = sentence[start:end].strip()
            for method in re.findall(r"GET|POST|PUT|PATCH|DELETE", match["methods"]):
                named.append(((method, path), query))
                own.setdefault((method, path), []).append(f"{title} {part}" if title else part)
        if named:
            sentence = f"{title} {sentence}" if title else sentence
            title, current = "", []
            for key, query in named:
                known_query, passage = found.setdefault(key, ((), []))
                found[key] = (tuple(dict.fromkeys(known_query + query)), passage)
                if key not in current:
                    current.append(key)
        if not named and (re.match(r"#{1,6}\s", sentence) or _ENDS_PASSAGES.fullmatch(sentence)):
            current = []  # a heading ("Constraints:", "## Deleting") ends the passages
        elif named or not wording.CREDENTIAL_WORDS.search(sentence):
            for key in current:
                found[key][1].append(sentence)
                if not named:
                    own[key].append(sentence)
        # else: about credentials and no operation, it holds for all (`_credential_sentences`)
    return [
        Mention(method, path, query, _joined(passage), _joined(own[method, path]))
        for (method, path), (query, passage) in found.items()
    ]


def _is_title(sentence: str) -> bool:
    """A line that heads what follows it: a Markdown heading, or a few words in Title
    Case with no full stop ("Get Expense by ID"; not "Newly created task with its ID")."""
    if re.match(r"#{1,6}\s", sentence):
        return True
    words = sentence.split()
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    return (
        len(words) <= 8
        and not sentence[0].isdigit()  # "404 Not Found (invalid ID)" belongs above
        and not re.search(r"[.!?:;,]\s*$", sentence)
        and bool(long_words)
        and all(w[0].isupper() for w in long_words)
    )


def _joined(sentences: list[str]) -> str:
    return " ".join(" ".join(dict.fromkeys(sentences)).split())


def _path_and_query(raw: str) -> tuple[str, tuple[str, ...]]:
    raw = raw.rstrip(".,;:`")
    path, _, query = raw.partition("?")
    path = _COLON.sub(r"{\1}", _ANGLE.sub(r"{\1}", path)).rstrip("/") or "/"
    path = layouts.concrete_ids(path)
    names = tuple(n for n in (p.split("=")[0] for p in query.split("&")) if n.isidentifier())
    return path, names
