"""Words for routing: lower-cased, stop words dropped, abbreviations expanded, stemmed.

The stemmer is a few hand-written suffix rules rather than a library (Snowball, NLTK):
routing compares a short task with a handful of descriptions, so conflating the common
English inflections (endpoints/endpoint, caching/cache, migrations/migrate) is all it
needs, and it keeps the agents package free of another dependency.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[+#][a-z0-9+#]*)?")

# Function words, the boilerplate every Claude Code description repeats ("Use this agent
# when the user needs ..."), and verbs so generic that they say nothing about the kind
# of task ("add an index", "add JWT auth").
_STOP_TEXT = """
    a about after all also an and any are as at be been before being both but by can
    could do does doing done for from had has have having he her here him his how i if
    in into is it its just let ll me more most my no not of on once only or other our
    out over own re s she should so some such t than that the their them then there
    these they this those through to too under up ve very was we were what when where
    which while who whom why will with would you your yours
    agent agents use using used user users assistant context example examples commentary
    need needs want wants help please invoke like make sure get let's i'll i'm
    add adds added put set take takes look fix
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Short forms people type in tasks, mapped to the word descriptions use.
ABBREVIATIONS = {
    "db": "database",
    "dbs": "database",
    "auth": "authentication",
    "authn": "authentication",
    "authz": "authorization",
    "perf": "performance",
    "pg": "postgresql",
    "postgres": "postgresql",
    "repo": "repository",
    "vuln": "vulnerability",
    "vulns": "vulnerability",
    "sqli": "injection",
    "xss": "scripting",
    "k8s": "kubernetes",
    "endpoints": "endpoint",
}

# Longest first; each rule: (suffix, replacement, minimum length of what remains).
_SUFFIXES = (
    ("izations", "iz", 3),
    ("ization", "iz", 3),
    ("ations", "at", 3),
    ("ation", "at", 3),
    ("ements", "", 4),
    ("ement", "", 4),
    ("ments", "", 4),
    ("ment", "", 4),
    ("ities", "", 4),
    ("ity", "", 4),
    ("ness", "", 4),
    ("ings", "", 3),
    ("ing", "", 3),
    ("ies", "y", 2),
    ("ied", "y", 2),
    ("ers", "", 4),
    ("er", "", 4),
    ("ed", "", 3),
    ("ly", "", 4),
    ("sses", "ss", 2),
    ("s", "", 3),
)


def stem(word: str) -> str:
    for suffix, replacement, keep in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            if suffix == "s" and word[-2] in "su":  # "class", "status" keep their s
                break
            word = word[: len(word) - len(suffix)] + replacement
            break
    # "cache"/"caching" and "optimize"/"optimized" meet at "cach" and "optimiz".
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def words(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) pairs of `text`, stop words and one-letter words left out."""
    out: list[tuple[str, str]] = []
    for surface in _WORD.findall(text.lower()):
        if surface in STOP_WORDS or len(surface) < 2 or surface.isdigit():
            continue
        full = ABBREVIATIONS.get(surface, surface)
        out.append((stem(full), surface))
    return out


def terms(text: str) -> list[str]:
    return [s for s, _ in words(text)]
