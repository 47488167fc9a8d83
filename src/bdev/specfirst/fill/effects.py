"""What a handler must do, read from the task, and what it must not undo.

- A requirement that names a command in backticks ("return what `unzip -l` prints", "runs
  `getent hosts NAME`") is met by running that program. A small model answers from memory
  instead (Python's zipfile, a JSON list), so a body that never runs it is sent back.
- A handler that saves a file and then removes it (to "clean up") leaves nothing for the
  operations that read it later.
- A program's exit status says whether it found anything: `getent hosts NAME` prints
  nothing and exits 2 for an unknown name. A body that reads only `.stdout`, for an
  operation that documents a 404, answers 200 with an empty result instead.
- A download the requirements call an attachment ("browsers should save it, not display
  it") needs the Content-Disposition header; returned as bare bytes it is shown inline.
"""

from __future__ import annotations

import ast
import re
import shutil

from bdev.specfirst.fill.nodes import parsed

# A command in backticks in a sentence that says it is run or what it prints.
_QUOTED = re.compile(r"`([a-z][\w.+-]*)(?:\s[^`]*)?`")
_RUN_WORDS = re.compile(r"\b(command|runs?|running|prints?|output)\b", re.I)
# Programs a task names for how the service itself is run, never for a handler to call.
_NOT_FOR_HANDLERS = frozenset(
    {"python", "python3", "pip", "uvicorn", "gunicorn", "flask", "docker", "curl", "pytest"}
)


def named_commands(sentences: list[str]) -> list[str]:
    """The programs the operation's requirements say to run, when installed here."""
    found: list[str] = []
    for sentence in sentences:
        if not _RUN_WORDS.search(sentence):
            continue
        for program in _QUOTED.findall(sentence):
            if program not in _NOT_FOR_HANDLERS and shutil.which(program) and program not in found:
                found.append(program)
    return found


def commands_not_run(code: str, programs: list[str]) -> list[str]:
    """One problem per named program the body never passes to run_command."""
    tree = parsed(code)
    if tree is None:
        return []
    run: set[str] = set()
    lists = {  # `command = ["getent", "hosts", host]`, then run_command(command)
        t.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "run_command":
            argv = node.args[0] if node.args else None
            if isinstance(argv, ast.Name):
                argv = lists.get(argv.id)
            if isinstance(argv, ast.List | ast.Tuple) and argv.elts:
                first = argv.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    run.add(first.value.rsplit("/", 1)[-1])
    return [
        f"the requirements say to run `{p}`: call run_command([{p!r}, ...]) and answer from "
        "what it prints (its .stdout), not from your own version of it"
        for p in programs
        if p not in run
    ]


def exit_status_unread(code: str, documents_not_found: bool) -> list[str]:
    """A body that runs a program and never reads its `.returncode`, for an operation
    with a documented 404."""
    if not documents_not_found:
        return []
    tree = parsed(code)
    if tree is None:
        return []
    runs = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "run_command"
    ]
    reads = any(isinstance(n, ast.Attribute) and n.attr == "returncode" for n in ast.walk(tree))
    if not runs or reads:
        return []
    return [
        f"line {runs[0].lineno}: the program's exit status is never read: check "
        "`.returncode` (not 0 when it failed or found nothing) and raise ApiError(404, ...) "
        "when it found nothing, before reading `.stdout`"
    ]


_WRITE_MODES = re.compile(r"[wax]")


def removes_what_it_saved(code: str) -> list[str]:
    """A file removed after the handler saved it under the same name."""
    tree = parsed(code)
    if tree is None:
        return []
    saved: dict[str, int] = {}
    removed: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _saved_path(node)
        if target is not None:
            saved.setdefault(ast.dump(target), node.lineno)
        target = _removed_path(node)
        if target is not None:
            removed.append((ast.dump(target), node.lineno))
    return [
        f"line {line}: removes the file it saved at line {saved[key]}; the other "
        "operations read it from there: keep it"
        for key, line in removed
        if key in saved and saved[key] < line
    ]


def _saved_path(node: ast.Call) -> ast.expr | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "open" and node.args:
        mode = node.args[1] if len(node.args) > 1 else None
        mode = mode or next((k.value for k in node.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and _WRITE_MODES.search(str(mode.value)):
            return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr in ("write_bytes", "write_text"):
        return _path_of(func.value)
    if isinstance(func, ast.Attribute) and func.attr == "save" and node.args:
        return node.args[0]
    return None


def _removed_path(node: ast.Call) -> ast.expr | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("remove", "unlink"):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id == "os" and node.args:
            return node.args[0]
        if func.attr == "unlink":
            return _path_of(owner)
    return None


def _path_of(node: ast.expr) -> ast.expr:
    """`Path(x)` is x: the same file whichever way it is named."""
    named = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Path"
    if named and len(node.args) == 1:  # type: ignore[attr-defined]
        return node.args[0]  # type: ignore[attr-defined]
    return node


_ATTACHMENT = re.compile(r"\battachment\b", re.I)


def attachment_missing(code: str, sentences: list[str]) -> list[str]:
    """The requirements say the reply is an attachment and the body sets no
    Content-Disposition."""
    if not any(_ATTACHMENT.search(s) for s in sentences) or "content-disposition" in code.lower():
        return []
    return [
        "the requirements say the file is sent as an attachment: return Reply(data, "
        'headers={"Content-Disposition": f\'attachment; filename="{name}"\'})'
    ]
