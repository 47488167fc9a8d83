"""Delegation: does a task go to a specialist that the owner's definition names?

The owner's definition states its own criteria, in whatever shape its author chose
(seed 004: "**Delegate to rails-backend-expert when**:" and bullets; bdev's
backend-developer: "- `database-specialist`: schema redesign, ..." under a heading
"Delegation"). Read here: every passage in a section about delegation, or itself
saying "delegate", that names another agent the registry knows. From each passage the
technology names are kept (words written as names: `NestJS`, `Rails`, `Node.js`,
`EXPLAIN`, not the first word of a line), plus the specialist's own name parts; a word
that the owner's description also uses, or that two specialists share, is dropped.

A task whose title names one of those technologies makes that specialist a candidate.
bdev's router (`bdev.agents.router.choose_agent`) then scores every agent for the task by
its description; the best candidate the router counts as a fit gets it (none: the owner
keeps it). A specialist that cannot write files is never chosen for a task that writes
some. The reason names the criterion and the router's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bdev.agents.capabilities import Capability
from bdev.agents.definition import AgentDefinition
from bdev.agents.router import MIN_SCORE, choose_agent
from bdev.agents.tokens import terms

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.+#]*[A-Za-z0-9+#]|[A-Za-z]")
_DELEGATE = re.compile(r"delegat|hand (?:it|them|this|work) (?:off )?to", re.IGNORECASE)


@dataclass(frozen=True)
class Criterion:
    specialist: str  # the name as the registry has it
    text: str  # the passage, on one line
    technologies: frozenset[str]  # stems


@dataclass(frozen=True)
class Decision:
    agent: AgentDefinition
    delegated: bool
    reason: str
    candidates: tuple[str, ...] = ()


def criteria(owner: AgentDefinition, agents: list[AgentDefinition]) -> list[Criterion]:
    """The delegation criteria in `owner`'s body, for the specialists in `agents`."""
    others = {a.key: a for a in agents if a.key != owner.key}
    found: list[tuple[str, str]] = []
    for passage, about_delegation in _passages(owner.body):
        text = " ".join(line.strip() for line in passage)
        if not (about_delegation or _DELEGATE.search(text)):
            continue
        for key, agent in others.items():
            if _mentions(text, key):
                found.append((agent.name, text))
    owned = set(terms(owner.summary))
    by_agent: dict[str, set[str]] = {}
    for name, text in found:
        by_agent.setdefault(name, set()).update(_technologies(text) | _name_parts(name))
    shared = {t for name, ts in by_agent.items() for t in ts for o, os in by_agent.items()
              if o != name and t in os}  # fmt: skip
    distinct = {name: ts - owned - shared for name, ts in by_agent.items()}
    return [
        Criterion(name, text, frozenset((_technologies(text) | _name_parts(name)) & distinct[name]))
        for name, text in found
    ]


def choose(
    owner: AgentDefinition, task_text: str, agents: list[AgentDefinition], *, writes: bool
) -> Decision:
    """The owner, or the specialist its criteria and the router pick for `task_text`."""
    task_terms = set(terms(task_text))
    by_name = {a.name: a for a in agents}
    matched: dict[str, tuple[Criterion, frozenset[str]]] = {}
    for c in criteria(owner, agents):
        hits = c.technologies & task_terms
        specialist = by_name[c.specialist]
        if hits and (not writes or Capability.WRITE in specialist.capabilities):
            matched.setdefault(c.specialist, (c, hits))
    if not matched:
        return Decision(owner, False, f"{owner.name} keeps it: no delegation criterion matched")
    # The router scores every agent for the task by its description; a candidate that
    # scores as a fit on its own (the router's threshold) gets it, the best one first.
    # The owner's score is no argument against: its body names every specialist's
    # technology precisely because it hands that work on.
    ranking = choose_agent(task_text, agents).ranking
    scored = [(name, score) for name, score in ranking if name in matched]
    said = "; ".join(
        f"{owner.name}'s criterion for {n} ({', '.join(sorted(h))}): {c.text[:160]}"
        for n, (c, h) in matched.items()
    )
    best, score = scored[0] if scored else (None, 0.0)
    rank = [name for name, _ in ranking].index(best) + 1 if best else 0
    if best is None or score < MIN_SCORE:
        why = f"{said}; but no candidate's description fits the task (router score {score})"
        return Decision(owner, False, f"{why}: {owner.name} keeps it", tuple(matched))
    why = f"{said}; router: {best} scores {score} (rank {rank} of {len(ranking)})"
    return Decision(by_name[best], True, why, tuple(matched))


def _passages(body: str) -> list[tuple[list[str], bool]]:
    """Bullets (with the lines that continue them) and lines, each with whether a heading
    above it is about delegation. A line ending in ':' is put before each bullet under
    it ("Delegate to X when:" and its conditions)."""
    out: list[tuple[list[str], bool]] = []
    headings: list[tuple[int, str]] = []
    lead: list[str] = []
    in_bullet = False
    for raw in body.splitlines():
        line = raw.rstrip()
        heading = _HEADING.match(line)
        if heading:
            level = len(heading[1])
            headings = [h for h in headings if h[0] < level] + [(level, heading[2])]
        if heading or not line.strip():
            lead, in_bullet = [], False
            continue
        about = any(_DELEGATE.search(h) for _, h in headings)
        if _BULLET.match(line):
            out.append(([*lead, line], about))
            in_bullet = True
        elif in_bullet and raw.startswith((" ", "\t")):
            out[-1][0].append(line)
        else:
            out.append(([line], about))
            lead, in_bullet = ([line] if line.endswith(":") else []), False
    return out


def _mentions(text: str, key: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text.lower()) is not None


def _technologies(text: str) -> set[str]:
    """Words written as names: with a capital not at the start of a clause, or an inner
    capital, digit or dot (`NestJS`, `Node.js`, `N+1`); agent names are left out."""
    found: set[str] = set()
    for clause in re.split(r"[.;:!?()\[\]\n]|\s-\s|\*\*", text):
        for i, word in enumerate(_WORD.findall(clause)):
            inner = any(c.isupper() for c in word[1:]) or any(c in ".+#" for c in word)
            if inner or (i > 0 and word[0].isupper()):
                found.update(terms(word.rstrip(".")))
    return found


def _name_parts(name: str) -> set[str]:
    return set(terms(name.replace("-", " ").replace("_", " ")))
