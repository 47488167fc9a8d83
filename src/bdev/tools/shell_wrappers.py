"""What a parsed command really runs: known wrappers are looked through.

`timeout 5 touch f` runs `touch f`; `bash -lc 'touch f'`, `eval 'touch f'` and
`watch 'touch f'` run a string that is parsed in turn; `find . -exec touch {} \\;` and
`xargs touch` run a second program. Each program becomes a Part that the rules judge.
Wrappers that only change how a program runs (timeout, nice, env, ...) are transparent:
the program inside is what allow rules must name, while deny rules also see the wrapper.

A form whose program cannot be known from the text (a command name that expands, a
string built at run time, a program piped into an interpreter, an option this module
does not know) becomes a Part with a `problem`: it needs approval, never silent
allowance.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bdev.tools.shell_options import Options, option_width, opts, skip_options
from bdev.tools.shell_parse import Redirect, Script, Word, literal_word, parse

_MAX_DEPTH = 5
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish"})
# Interpreters and the options that give them their program as an argument.
_CODE_OPTIONS: dict[str, tuple[str, ...]] = {
    "python": ("-c", "-m"),
    "node": ("-e", "--eval", "-p", "--print"),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "php": ("-r",),
    "lua": ("-e",),
}
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "python": frozenset({"-W", "-X", "--check-hash-based-pycs"}),
    "node": frozenset({"-r", "--require", "--import", "--loader", "--input-type"}),
    "perl": frozenset(),
    "ruby": frozenset({"-I", "-r"}),
    "php": frozenset({"-c", "-d"}),
    "lua": frozenset({"-l"}),
}
_INTERPRETER = re.compile(r"^(python|pypy|node|nodejs|perl|ruby|php|lua)[0-9.]*$")


@dataclass(frozen=True)
class Part:
    """One program that the command runs, as the permission rules see it."""

    words: tuple[Word, ...]
    context: str = ""
    stdin: str | None = None
    open_args: bool = False  # more arguments arrive at run time (xargs)
    wrappers: tuple[tuple[Word, ...], ...] = ()  # enclosing wrapper commands, outermost first
    problem: str | None = None  # why what runs cannot be known from the text
    program_from_stdin: bool = False  # an interpreter reading its program from `stdin`

    @property
    def name(self) -> str | None:
        """The program's base name, when it is a literal word."""
        value = self.words[0].literal if self.words else None
        return posixpath.basename(value) if value is not None else None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def described(self) -> str:
        """`touch f` inside $(...), for reasons shown to the model."""
        where = f" {self.context}" if self.context else ""
        return f"`{self.text}`{where}"


@dataclass
class Plan:
    """Every program a command runs, every redirection, and what could not be read."""

    parts: list[Part] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan(command: str) -> Plan:
    out = Plan()
    _add_script(parse(command), None, (), 0, out)
    return out


def _add_script(
    script: Script, stdin: str | None, wrappers: tuple[tuple[Word, ...], ...], depth: int, out: Plan
) -> None:
    out.redirects.extend(script.redirects)
    out.problems.extend(script.problems)
    for cmd in script.commands:
        part = Part(cmd.words, cmd.context, cmd.stdin or stdin, wrappers=wrappers)
        _expand(part, depth, out)


def _nested(text: str, label: str, part: Part, depth: int, out: Plan) -> None:
    """Parse and add a string that `part` runs as shell code (`bash -c`, `eval`...)."""
    if depth >= _MAX_DEPTH:
        out.parts.append(replace(part, problem="shell code nested this deeply is not followed"))
        return
    context = f"inside {label} {part.context}".strip()
    wrappers = (*part.wrappers, part.words)
    _add_script(parse(text, context), part.stdin, wrappers, depth + 1, out)


def _expand(part: Part, depth: int, out: Plan) -> None:
    name = part.name
    if name is None:
        first = part.words[0].text
        problem = f"the command name `{first}` is not a literal word, so what runs is unknown"
        out.parts.append(replace(part, problem=problem))
        return
    handler = _HANDLERS.get(name)
    if handler is None and _INTERPRETER.match(name):
        handler = _interpreter
    if handler is None:
        out.parts.append(part)
    else:
        handler(part, depth, out)


def _inner(part: Part, start: int, label: str, depth: int, out: Plan, **changes: Any) -> None:
    """Continue with the program that `part` runs from word `start` on."""
    words = part.words[start:]
    if not words:
        out.parts.append(part)  # `nice`, `env`, `time` alone: judged as themselves
        return
    context = f"via {label} {part.context}".strip()
    inner = replace(part, words=words, context=context, wrappers=(*part.wrappers, part.words))
    _expand(replace(inner, **changes), depth, out)


def _fail(part: Part, why: str, out: Plan) -> None:
    out.parts.append(replace(part, problem=why))


def _wrapper(spec: Options, positionals: int = 0) -> Callable[[Part, int, Plan], None]:
    """A transparent wrapper: options, `positionals` operands, then the program."""

    def handle(part: Part, depth: int, out: Plan) -> None:
        start = skip_options(part.words, 1, spec)
        if isinstance(start, str):
            _fail(part, f"`{part.name}`: {start}, so the program it runs is unclear", out)
            return
        if start + positionals > len(part.words):
            out.parts.append(part)
            return
        _inner(part, start + positionals, part.name or "?", depth, out)

    return handle


# -- wrappers with their own grammar ------------------------------------------------

_ENV = opts(
    "-u --unset -C --chdir -S --split-string --block-signal --default-signal --ignore-signal",
    "-i --ignore-environment -0 --null -v --debug --list-signal-handling",
)


def _env(part: Part, depth: int, out: Plan) -> None:
    words, i = part.words, 1
    split: tuple[Word, ...] = ()  # `env -S 'a b'` runs the words of its string
    while i < len(words):
        w = words[i].literal
        if w == "--" or w == "-":
            i += 1
            continue
        if w is None or not w.startswith("-"):
            break
        text: str | None = None
        if w in ("-S", "--split-string"):
            text = words[i + 1].literal if i + 1 < len(words) else ""
            i += 2
        elif w.startswith(("--split-string=", "-S")):
            text = w.partition("=")[2] if w.startswith("--") else w[2:]
            i += 1
        else:
            width = option_width(words, i, _ENV)
            if isinstance(width, str):
                _fail(part, f"`env`: {width}, so the program it runs is unclear", out)
                return
            i += width
            continue
        if text is None:
            _fail(part, "`env -S` splits a string that is not literal", out)
            return
        split = (*split, *(literal_word(s) for s in _split(text)))
    while i < len(words) and _ASSIGNMENT.match(words[i].shown):
        i += 1
    _inner(replace(part, words=(*words[:i], *split, *words[i:])), i, "env", depth, out)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


_XARGS = opts(
    "-a --arg-file -d --delimiter -E -I -L --max-lines -n --max-args -P --max-procs "
    "-s --max-chars --process-slot-var",
    "-0 --null -o --open-tty -p --interactive -r --no-run-if-empty -t --verbose -x --exit",
    "-e --eof -i --replace -l",
)


def _xargs(part: Part, depth: int, out: Plan) -> None:
    start = skip_options(part.words, 1, _XARGS)
    if isinstance(start, str):
        _fail(part, f"`xargs`: {start}, so the program it runs is unclear", out)
        return
    marker = _replace_string(part.words[1:start])
    inner = part.words[start:]
    if marker is not None:  # words holding the marker are filled in from the input
        inner = tuple(Word(w.text, None) if marker in w.text else w for w in inner)
    target = replace(part, words=(*part.words[:start], *inner))
    _inner(target, start, "xargs", depth, out, open_args=True, stdin=None)


def _replace_string(options: tuple[Word, ...]) -> str | None:
    for i, w in enumerate(options):
        v = w.shown
        if v == "-I" and i + 1 < len(options):
            return options[i + 1].shown
        if v.startswith(("-I", "-i", "--replace")):
            rest = v.partition("=")[2] if v.startswith("--") else v[2:]
            return rest or "{}"
    return None


_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


def _find(part: Part, depth: int, out: Plan) -> None:
    out.parts.append(part)  # find itself is judged, and so is each program it runs
    words = part.words
    i = 0
    while i < len(words):
        if words[i].shown in _FIND_EXEC:
            end = next((j for j in range(i + 1, len(words)) if words[j].shown in (";", "+")), None)
            stop = len(words) if end is None else end
            # `{}` becomes each file found: not known in advance.
            inner = tuple(Word(w.text, None) if "{}" in w.text else w for w in words[i + 1 : stop])
            if inner:
                label = f"find {words[i].shown}"
                context = f"run by {label} {part.context}".strip()
                wrappers = (*part.wrappers, part.words)
                _expand(Part(inner, context, None, wrappers=wrappers), depth, out)
            i = stop
        i += 1


def _shell(part: Part, depth: int, out: Plan) -> None:
    words, name = part.words, part.name or "sh"
    command_string, from_stdin, i = False, False, 1
    while i < len(words):
        w = words[i].literal
        if w is None:
            break
        if w in ("--", "-"):
            i += 1
            from_stdin = from_stdin or w == "-"
            break
        if w.startswith("--"):
            i += 2 if w in ("--rcfile", "--init-file") else 1
            continue
        if not w.startswith(("-", "+")) or len(w) == 1:
            break
        command_string = command_string or "c" in w[1:]
        from_stdin = from_stdin or "s" in w[1:]
        i += 2 if w[-1] in "oO" else 1
    operand = words[i] if i < len(words) else None
    if operand is None and part.open_args:
        _fail(part, f"`{name}` runs code taken from its input", out)
        return
    if command_string:
        if operand is None:
            out.parts.append(part)  # bash refuses `-c` without a string
        elif operand.literal is None:
            _fail(part, f"`{name} -c` runs `{operand.text}`, which is not a literal string", out)
        else:
            _nested(operand.literal, f"{name} -c", part, depth, out)
        return
    if operand is not None and not from_stdin and operand.shown != "-":
        if operand.literal is None:
            _fail(part, f"`{name}` runs the script `{operand.text}`, whose name expands", out)
        else:
            out.parts.append(part)  # a script file: judged as `bash script.sh`
        return
    _from_stdin(part, out)


def _interpreter(part: Part, depth: int, out: Plan) -> None:
    family = re.sub(r"[0-9.]+$", "", part.name or "").replace("pypy", "python")
    family = "node" if family == "nodejs" else family
    code, values = _CODE_OPTIONS.get(family, ()), _VALUE_OPTIONS.get(family, frozenset())
    words, i = part.words, 1
    while i < len(words):
        w = words[i].shown
        if code and w.startswith(code):
            out.parts.append(part)  # program given inline: judged as the command it is
            return
        if w == "-" or not w.startswith("-"):
            break
        i += 2 if w in values else 1
    operand = words[i] if i < len(words) else None
    if operand is None and part.open_args:
        _fail(part, f"`{part.name}` runs code taken from its input", out)
        return
    if operand is not None and operand.shown != "-":
        if operand.literal is None:
            _fail(part, f"`{part.name}` runs `{operand.text}`, whose name expands", out)
        else:
            out.parts.append(part)
        return
    _from_stdin(part, out)


def _from_stdin(part: Part, out: Plan) -> None:
    """An interpreter that reads its program from standard input."""
    if part.stdin is None:
        out.parts.append(part)  # no input: an idle interpreter
        return
    why = f"`{part.name}` reads its program from {part.stdin}, which cannot be checked"
    out.parts.append(replace(part, problem=why, program_from_stdin=True))


def _eval(part: Part, depth: int, out: Plan) -> None:
    args = part.words[1:]
    if any(w.literal is None for w in args):
        _fail(part, "`eval` runs a string built at run time", out)
    elif args:
        _nested(" ".join(w.literal or "" for w in args), "eval", part, depth, out)


def _script(part: Part, depth: int, out: Plan) -> None:
    """`script -qc CMD [file]` runs CMD with the shell; without -c an idle shell."""
    words = part.words
    for i, w in enumerate(words[1:], start=1):
        v = w.shown
        if v.startswith("--command="):
            _nested(v.partition("=")[2], "script -c", part, depth, out)
            return
        if v == "--command" or (v.startswith("-") and not v.startswith("--") and "c" in v):
            code = words[i + 1].literal if i + 1 < len(words) else None
            if code is None:
                _fail(part, "`script -c` runs a command string that is not literal", out)
            else:
                _nested(code, "script -c", part, depth, out)
            return
    out.parts.append(part)


_FLOCK = opts(
    "-w --wait --timeout -E --conflict-exit-code",
    "-s --shared -x -e --exclusive -u --unlock -n --nb --nonblock -o --close -F --no-fork "
    "--verbose",
)


def _flock(part: Part, depth: int, out: Plan) -> None:
    """`flock [opts] FILE PROGRAM...` or `flock [opts] FILE -c CMD`."""
    words = part.words
    start = skip_options(words, 1, _FLOCK)
    if isinstance(start, str):
        _fail(part, f"`flock`: {start}, so the program it runs is unclear", out)
        return
    rest = words[start + 1 :]
    if rest and rest[0].shown in ("-c", "--command"):
        code = rest[1].literal if len(rest) > 1 else None
        if code is None:
            _fail(part, "`flock -c` runs a command string that is not literal", out)
        else:
            _nested(code, "flock -c", part, depth, out)
        return
    _inner(part, start + 1, "flock", depth, out)


def _watch(part: Part, depth: int, out: Plan) -> None:
    spec = opts(
        "-n --interval -d --differences -q --equexit",
        "-b --beep -c --color -e --errexit -g --chgexit -p --precise -t --no-title -w --no-wrap "
        "-x --exec",
    )
    start = skip_options(part.words, 1, spec)
    if isinstance(start, str):
        _fail(part, f"`watch`: {start}, so the program it runs is unclear", out)
        return
    args = part.words[start:]
    if any(w.literal is None for w in args):
        _fail(part, "`watch` runs a command built at run time", out)
    elif args:
        _nested(" ".join(w.literal or "" for w in args), "watch", part, depth, out)


def _trap(part: Part, depth: int, out: Plan) -> None:
    out.parts.append(part)
    args = [w for w in part.words[1:] if not w.shown.startswith("-")]
    if args and args[0].literal is None:
        _fail(part, "`trap` sets an action built at run time", out)
    elif len(args) > 1 and args[0].literal:
        _nested(args[0].literal, "trap", part, depth, out)


def _alias(part: Part, depth: int, out: Plan) -> None:
    if any("=" in w.shown for w in part.words[1:]):
        _fail(part, "an alias changes what later words run, which cannot be checked", out)
    else:
        out.parts.append(part)


def _command(part: Part, depth: int, out: Plan) -> None:
    options = [w.shown for w in part.words[1:] if w.shown.startswith("-")]
    if any("v" in o or "V" in o for o in options):
        out.parts.append(part)  # `command -v x` only looks x up
        return
    _wrapper(opts(flags="-p"))(part, depth, out)


def _source(part: Part, depth: int, out: Plan) -> None:
    target = part.words[1] if len(part.words) > 1 else None
    if target is not None and target.literal is None:
        _fail(part, f"`{part.name}` runs `{target.text}`, whose name expands", out)
    else:
        out.parts.append(part)


def _refused_option(option: str, why: str) -> Callable[[Part, int, Plan], None]:
    """Builtins that one option turns into a way to run other code (`hash -p`)."""

    def handle(part: Part, depth: int, out: Plan) -> None:
        for w in part.words[1:]:
            v = w.shown
            if v.startswith("-") and not v.startswith("--") and option[1] in v[1:]:
                _fail(part, f"`{part.name} {option}` {why}", out)
                return
        out.parts.append(part)

    return handle


_HANDLERS: dict[str, Callable[[Part, int, Plan], None]] = {
    "timeout": _wrapper(
        opts("-s --signal -k --kill-after", "--foreground --preserve-status -v --verbose"), 1
    ),
    "nice": _wrapper(opts("-n --adjustment", numeric=True)),
    "ionice": _wrapper(opts("-c --class -n --classdata -p --pid -P --pgid -u --uid", "-t")),
    "nohup": _wrapper(opts()),
    "setsid": _wrapper(opts(flags="-c --ctty -f --fork -w --wait")),
    "stdbuf": _wrapper(opts("-i --input -o --output -e --error")),
    "time": _wrapper(opts("-f --format -o --output", "-p -a --append -v --verbose -q --quiet")),
    "builtin": _wrapper(opts()),
    # tree-sitter reads `coproc NAME { ...; }` as plain words: not followed.
    "coproc": lambda part, depth, out: _fail(part, "`coproc` is not followed", out),
    "exec": _wrapper(opts("-a", "-c -l")),
    "command": _command,
    "env": _env,
    "xargs": _xargs,
    "find": _find,
    "eval": _eval,
    "watch": _watch,
    "trap": _trap,
    "alias": _alias,
    "source": _source,
    ".": _source,
    "script": _script,
    "flock": _flock,
    "busybox": _wrapper(opts()),
    "hash": _refused_option("-p", "makes a name run another program"),
    "enable": _refused_option("-f", "loads new builtins"),
    "mapfile": _refused_option("-C", "runs a callback"),
    "readarray": _refused_option("-C", "runs a callback"),
    **dict.fromkeys(SHELLS, _shell),
}
# Wrappers whose own words allow rules never see: the command inside is what is judged.
TRANSPARENT = frozenset(_HANDLERS) - {
    *("find", "trap", "alias", "source", ".", "command", "coproc"),
    *("hash", "enable", "mapfile", "readarray"),
    *SHELLS,
}
