"""What a command the requirements name prints here, shown to the model before it writes.

"GET /services/{name} runs `getent services NAME` and returns the port": a small model
guesses the output's shape (`int("22/tcp")` fails) and whether "not found" is an error
or an empty output (getent prints nothing and exits 2). Both are facts of this machine,
so the program finds them out: it runs the command once with an example value and once
with a value that exists nowhere, and puts what came back in the prompt.

The command comes from the task's text, so it runs in the sandbox (read-only system, no
network, a scratch folder, a time limit), and only when it names an installed program
and every placeholder can be given a plain example: a value the requirements or the
document give, or a well-known one for a host or a user. A placeholder for a file is
skipped: there is no file to show.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bdev.sandbox import SandboxUnavailable, confine
from bdev.specfirst.plan import Operation

_COMMAND = re.compile(r"`([a-z][\w.+-]*(?:\s[^`]*)?)`")
_RUN_WORDS = re.compile(r"\b(command|runs?|running|prints?|output)\b", re.I)
_PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z0-9_]*|<[\w-]+>|\{[\w-]+\})$")
_FILE_WORDS = re.compile(r"file|path|dir|folder|archive|zip|image|upload", re.I)
_EXAMPLE_AFTER = re.compile(r"""\(?e\.g\.,?\s*["'`]?([\w.@:-]+)""", re.I)
# Values every machine knows, for placeholders that name what they stand for.
_WELL_KNOWN = {"host": "localhost", "hostname": "localhost", "domain": "localhost",
               "user": "root", "username": "root", "login": "root"}  # fmt: skip
_UNKNOWN = "no-such-name-bdev"
# How the service itself is run or built: never a handler's command.
_NOT_SAMPLED = frozenset({"python", "python3", "pip", "uvicorn", "gunicorn", "flask", "docker"})
_MAX_SHOWN = 240


def command_samples(sentences: Iterable[str], op: Operation, timeout: float = 5.0) -> list[str]:
    """One line per named command that could be run here: what it printed and its exit
    status, for an example value and for one that exists nowhere. Shown only when the
    example run succeeds (exit 0): a failed one teaches nothing."""
    text = " ".join(sentences)  # "(e.g. "ssh")" is split off as a sentence of its own
    shown: list[str] = []
    for found in _COMMAND.finditer(text):
        near = text[max(0, found.start() - 80) : found.end() + 80]
        words = found.group(1).split()
        if not _RUN_WORDS.search(near) or words[0] in _NOT_SAMPLED:
            continue
        if shutil.which(words[0]) is None:
            continue
        example = _argv(words, near, op)
        if example is None:
            continue
        first = _run(example, timeout)
        if not first.startswith(f"`{' '.join(example)}` exits 0 "):
            continue
        lines = [first]
        if example != words:
            unknown = [_UNKNOWN if w != e else w for w, e in zip(words, example, strict=True)]
            lines.append(_run(unknown, timeout))
        shown.append("; ".join(line for line in lines if line))
    return list(dict.fromkeys(shown))


def _argv(words: list[str], sentence: str, op: Operation) -> list[str] | None:
    """The command with each placeholder given an example (None: one has none)."""
    out = [words[0]]
    for word in words[1:]:
        if not _PLACEHOLDER.match(word):
            out.append(word)
            continue
        value = _example_for(word.strip("<>{}"), sentence, op)
        if value is None:
            return None
        out.append(value)
    return out


def _example_for(placeholder: str, sentence: str, op: Operation) -> str | None:
    # `?host=NAME` in the sentence ties the placeholder to the parameter it stands for.
    bound = re.search(rf"[?&/{{]?(\w+)=?{{?{re.escape(placeholder)}\b", sentence)
    names = [placeholder.lower()]
    if bound and bound.group(1).lower() != placeholder.lower():
        names.insert(0, bound.group(1).lower())
    if any(_FILE_WORDS.search(n) for n in names):
        return None
    for param in op.params:
        if param.py_name.lower() in names or param.name.lower() in names:
            given = _documented_example(param.schema_)
            if given is not None:
                return given
    stated = _EXAMPLE_AFTER.search(sentence)
    if stated:
        return stated.group(1)
    return next((_WELL_KNOWN[n] for n in names if n in _WELL_KNOWN), None)


def _documented_example(schema: dict[str, Any]) -> str | None:
    value = schema.get("example")
    if value is None and isinstance(schema.get("examples"), list) and schema["examples"]:
        value = schema["examples"][0]
    text = str(value) if isinstance(value, str | int) else None
    return text if text and re.fullmatch(r"[\w.@:-]+", text) else None


def _run(argv: list[str], timeout: float) -> str:
    """`argv` run in the sandbox: "`cmd` exits N and prints: ..." ("" when it cannot)."""
    with tempfile.TemporaryDirectory(prefix="bdev-sample-") as tmp:
        try:
            confined = confine(argv, cwd=Path(tmp))
            done = subprocess.run(
                confined.argv, cwd=tmp, env=confined.env, capture_output=True, text=True,
                timeout=timeout, check=False,
            )  # fmt: skip
        except (SandboxUnavailable, OSError, subprocess.TimeoutExpired):
            return ""
    printed = done.stdout.strip()
    if len(printed) > _MAX_SHOWN:
        printed = printed[:_MAX_SHOWN] + " ..."
    said = f"prints {printed!r}" if printed else "prints nothing"
    return f"`{' '.join(argv)}` exits {done.returncode} and {said}"
