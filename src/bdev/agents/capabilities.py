"""What an agent can do, read from what its definition declares, never from its name.

Its `tools` say what it can do to a workspace (`Capability`); its description says what
work it is for. Two rules are built on them:

- `asks_for_change(task)`: the task asks to change code, so an agent that cannot write
  files is the wrong choice for it (the router's rule).
- `suits_backend_workflow(definition)`: the agent can change files and run commands
  (the workflow sends measured failures back for it to fix and re-test) and its
  description declares HTTP service work (APIs, endpoints, server-side code), which is
  what the audit measures. `general-purpose` has every tool but declares no service
  work; `database-specialist` can build but declares database work; `security-reviewer`
  cannot write. Every seed `backend-developer` qualifies whatever its name's spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from bdev.agents.tokens import stem, terms

if TYPE_CHECKING:
    from bdev.agents.definition import AgentDefinition


class Capability(StrEnum):
    READ = "read"
    WRITE = "write"  # changes files
    EXECUTE = "execute"  # runs commands
    DELEGATE = "delegate"  # starts sub-agents
    WEB = "web"


# TodoWrite keeps a plan: it changes nothing the user sees, so it grants nothing here.
TOOL_CAPABILITIES: dict[str, Capability] = {
    "Read": Capability.READ,
    "LS": Capability.READ,
    "Glob": Capability.READ,
    "Grep": Capability.READ,
    "Write": Capability.WRITE,
    "Edit": Capability.WRITE,
    "MultiEdit": Capability.WRITE,
    "NotebookEdit": Capability.WRITE,
    "Bash": Capability.EXECUTE,
    "Task": Capability.DELEGATE,
    "WebSearch": Capability.WEB,
    "WebFetch": Capability.WEB,
}

BUILD = frozenset({Capability.WRITE, Capability.EXECUTE})

# Words in a description's prose that declare HTTP service work. "backend" is not one:
# general-purpose says it is for what is "not clearly backend" work.
_SERVICE_TERMS = frozenset(
    terms("api apis endpoint endpoints server servers http restful microservice microservices")
)

_WORD = re.compile(r"[a-z][a-z'-]*")
_CLAUSE = re.compile(r"[.;:!?\n,]+|\band\b|\bthen\b")
# A clause that starts with one of these verbs asks for a change ("add a DELETE route",
# "... ; fix it"); "review the fix" does not.
_CHANGE_VERBS = frozenset(
    stem(w)
    for w in _WORD.findall(
        "add build change convert create delete edit extend fix generate implement make "
        "migrate move patch refactor remove rename replace rewrite update upgrade write"
    )
)
# Words that may open a request before its verb: "please add", "can you fix", "we need to".
_OPENERS = frozenset(
    _WORD.findall(
        "please can could would will you we i need needs want wants should must to also now "
        "then just kindly let's go ahead"
    )
)


def capabilities_of(tools: Iterable[str]) -> frozenset[Capability]:
    return frozenset(TOOL_CAPABILITIES[t] for t in tools if t in TOOL_CAPABILITIES)


def can_build(capabilities: frozenset[Capability]) -> bool:
    return capabilities >= BUILD


def declares_service_work(description: str) -> bool:
    return not _SERVICE_TERMS.isdisjoint(terms(description))


def suits_backend_workflow(definition: AgentDefinition) -> bool:
    """Whether `--workflow auto` runs this agent in the backend workflow (see above)."""
    return can_build(definition.capabilities) and declares_service_work(definition.summary)


def asks_for_change(task: str) -> bool:
    """Whether some clause of `task` opens with a verb that changes code."""
    for clause in _CLAUSE.split(task.lower()):
        for word in _WORD.findall(clause):
            if word in _OPENERS:
                continue
            if stem(word) in _CHANGE_VERBS:
                return True
            break
    return False
