"""Choosing an agent for a task from the agents' descriptions and examples.

Scoring is Okapi BM25 over one document per agent (its name, description prose and
example texts), plus a smaller share of BM25 over its body: the description is what
says when to use an agent, but some descriptions are one line while the system prompt
names every technology the agent handles. It is written out here rather than taken from
a library such as rank-bm25: the formula is a few lines, the corpus is a handful of short
documents, and we also want to know *where* each matched word came from to explain the
choice.
A task that asks to change code never goes to an agent that cannot write files while
one that can exists: the best-scoring writer wins instead (`bdev.agents.capabilities`).
Everything is deterministic: no randomness, ties go to the alphabetically first name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from bdev.agents.capabilities import Capability, asks_for_change
from bdev.agents.definition import AgentDefinition, load_definition
from bdev.agents.registry import BUILTIN_DIR
from bdev.agents.tokens import terms, words

FALLBACK = "general-purpose"
K1 = 1.2
B = 0.75
# Below this no word of the task said much about any agent: one distinctive word
# scores about 1.0, a word that every description shares about 0.1.
MIN_SCORE = 0.8
# How much the body counts next to the description and examples, and a weaker length
# normalisation for it: bodies run from 20 to 300 lines, and a long one that covers
# the task well should not lose to a short one that mentions it once.
BODY_WEIGHT = 0.5
BODY_B = 0.3
# Naming the agent in the task ("have the security-reviewer look at ...") settles it.
NAMED_BONUS = 10.0


@dataclass(frozen=True)
class Choice:
    agent: AgentDefinition
    score: float
    reason: str
    ranking: list[tuple[str, float]] = field(default_factory=list)  # every agent, best first


@dataclass
class _Doc:
    agent: AgentDefinition
    prose: set[str]  # terms of the name and description prose
    examples: list[set[str]]  # terms of each example
    counts: Counter[str]  # description field: prose and examples
    body: Counter[str]  # body field

    @classmethod
    def of(cls, agent: AgentDefinition) -> _Doc:
        prose = terms(agent.name.replace("-", " ")) + terms(agent.summary)
        examples = [terms(e.text) for e in agent.examples]
        counts = Counter(prose + [t for ex in examples for t in ex])
        body = Counter(terms(agent.body))
        return cls(agent, set(prose), [set(ex) for ex in examples], counts, body)


class _Field:
    """BM25 statistics of one field across all the documents."""

    def __init__(self, fields: list[Counter[str]], b: float = B) -> None:
        self.fields = fields
        self.b = b
        self.avg_len = sum(sum(f.values()) for f in fields) / len(fields) if fields else 0.0

    def scores(self, query: list[str], counts: Counter[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        n = len(self.fields)
        length = sum(counts.values())
        for term in query:
            tf = counts.get(term, 0)
            if not tf:
                continue
            having = sum(1 for f in self.fields if term in f)
            idf = math.log((n - having + 0.5) / (having + 0.5) + 1)
            norm = K1 * (1 - self.b + self.b * length / self.avg_len)
            out[term] = idf * tf * (K1 + 1) / (tf + norm)
        return out


def choose_agent(task: str, agents: list[AgentDefinition]) -> Choice:
    """The agent whose description best fits `task`; `general-purpose` when none fits."""
    docs = [_Doc.of(a) for a in sorted(agents, key=lambda a: a.name)]
    task_words = words(task)
    query = list(dict.fromkeys(stem for stem, _ in task_words))
    surface: dict[str, str] = {}
    for stem, word in task_words:
        surface.setdefault(stem, word)

    description = _Field([d.counts for d in docs])
    body = _Field([d.body for d in docs], b=BODY_B)
    scored: list[tuple[float, _Doc, dict[str, float]]] = []
    for doc in docs:
        contributions = description.scores(query, doc.counts)
        for term, value in body.scores(query, doc.body).items():
            contributions[term] = contributions.get(term, 0.0) + BODY_WEIGHT * value
        score = sum(contributions.values())
        if _named(task, doc.agent.name):
            score += NAMED_BONUS
        scored.append((score, doc, contributions))
    scored.sort(key=lambda s: (-round(s[0], 9), s[1].agent.name))
    ranking = [(doc.agent.name, round(score, 3)) for score, doc, _ in scored]

    passed_over = ""
    top = scored[0] if scored else None
    if top and top[0] >= MIN_SCORE and not _writes(top[1].agent) and asks_for_change(task):
        writers = [s for s in scored if _writes(s[1].agent)]
        if writers or _writes(_fallback(agents)):
            passed_over = f"{top[1].agent.name} fits better but cannot change files"
            scored = writers
    if not scored or scored[0][0] < MIN_SCORE:
        why = "; ".join(filter(None, ["no agent's description matched the task", passed_over]))
        return Choice(_fallback(agents), 0.0, why, ranking)
    score, doc, contributions = scored[0]
    why = "; ".join(filter(None, [_reason(task, doc, contributions, surface), passed_over]))
    return Choice(doc.agent, round(score, 3), why, ranking)


def _writes(agent: AgentDefinition) -> bool:
    return Capability.WRITE in agent.capabilities


def _named(task: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", task.lower()) is not None


def _reason(task: str, doc: _Doc, contributions: dict[str, float], surface: dict[str, str]) -> str:
    best = sorted(contributions, key=lambda t: (-contributions[t], t))
    shown = ", ".join(surface.get(t, t) for t in best[:6])
    more = f" and {len(best) - 6} more" if len(best) > 6 else ""
    places = []
    if any(t in doc.prose for t in contributions):
        places.append("description")
    in_examples = sum(1 for ex in doc.examples if any(t in ex for t in contributions))
    if in_examples:
        places.append(f"{in_examples} example{'s' if in_examples > 1 else ''}")
    if any(t in doc.body for t in contributions):
        places.append("body")
    parts = []
    if _named(task, doc.agent.name):
        parts.append(f"the task names {doc.agent.name}")
    if shown:
        parts.append(f"matched: {shown}{more} ({' + '.join(places)})")
    return "; ".join(parts)


def _fallback(agents: list[AgentDefinition]) -> AgentDefinition:
    for agent in agents:
        if agent.name == FALLBACK:
            return agent
    return load_definition(BUILTIN_DIR / f"{FALLBACK}.md", source="builtin")
