"""Request data reaching a dangerous sink, followed through one handler body.

Why a data-flow check: the per-call rules in `check` look at one call at a time, so
`run_command(["python", "-c", f"print({expression})"])` passed (an argument list, no
shell) while it ran the user's text as Python. Here every value is followed from the
handler's parameters (the sources) through assignments, f-strings, calls, containers,
loops and `with` into the calls that execute code, start an interpreter or a shell, build
SQL, open files, compile templates or unpickle (the sinks).

Engine: our own may-taint pass over the AST of the one function, not semgrep or bandit.
Bandit checks one call at a time (no data flow: the hole above); semgrep's taint mode
would follow the data but is a large binary, one process per check (seconds, on every
attempt of every slot) and a rule language whose findings we would have to translate
back into advice. The input here is small and closed: one function of a few dozen lines
whose sources are known by name, so a pass over its statements in order takes
milliseconds and can say which parameter reached which sink and what to write instead.

The pass is flow-sensitive: a variable maps to the request values it may hold (labels
such as `expression` or `body.path`), assignments replace it (`n = int(n)` clears `n`),
branches join by union and loops run until nothing changes. Calls pass taint from their
arguments and receiver to their result, except sanitisers (`int`, `len`, comparisons...),
the store's reads and calls whose result is chosen from a clean container
(`ALLOWED.get(name)`). `shlex.quote` clears taint for shell strings only, `safe_join` for
file paths only, `not_option` for a program's arguments only (`fill.arguments` wraps
them). Nested functions get their parameters' taint from their call sites.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bdev.specfirst.fill import sinks

# A taint is the set of (label, how) it came from; `how` is "" or the one kind of sink a
# sanitiser made it safe for: "shell-safe" (shlex.quote), "path-safe" (safe_join, or an
# in-memory file that is no path at all) or "option-safe" (not_option).
Origin = tuple[str, str]
Taint = frozenset[Origin]
State = dict[str, Taint]
CLEAN: Taint = frozenset()


@dataclass(frozen=True)
class Finding:
    """One request value reaching one sink; `kind` says which rule of `check` it covers."""

    line: int
    kind: str  # code, interpreter, shell, process, sql, path, template, deserialise
    message: str


def sources_from_signature(signature: str) -> dict[str, str]:
    """{parameter: annotation} of a handler's `def ...:` line (the slot's signature)."""
    try:
        function = ast.parse(signature.rstrip() + "\n    pass\n").body[0]
    except SyntaxError:
        return {}
    if not isinstance(function, ast.FunctionDef):
        return {}
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return {a.arg: ast.unparse(a.annotation) if a.annotation else "" for a in every}


def is_source(name: str, annotation: str) -> bool:
    """Whether a handler parameter carries request data: all but the store, and values
    the route already parsed into a number, a bool or a date."""
    if name == "store":
        return False
    parts = {p.strip() for p in re.split(r"[|,\[\]]", annotation) if p.strip()}
    parts -= {"None", "Optional"}
    clean = {"int", "float", "bool", "date", "datetime", "UUID", "Decimal", "StrictInt"}
    return not (parts and parts <= clean)


def free_names(statements: list[ast.stmt], known: Iterable[str] = ()) -> set[str]:
    """Names the body reads before it binds them: its parameters, when the signature is
    not known (`expression = expression.strip()` reads first). Builtins, `known` names,
    UPPER_CASE constants and the store are left out."""
    first_load: dict[str, int] = {}
    first_store: dict[str, int] = {}
    bound: set[str] = set(known)
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, ast.Name):
            seen = first_load if isinstance(node.ctx, ast.Load) else first_store
            seen[node.id] = min(seen.get(node.id, node.lineno), node.lineno)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return {
        name
        for name, line in first_load.items()
        if line <= first_store.get(name, line)
        and name not in bound
        and not hasattr(builtins, name)
        and name[:1].islower()
        and name != "store"
    }


def find_flows(
    statements: list[ast.stmt], sources: Iterable[str], *, operation: str = ""
) -> list[Finding]:
    """Where request data from `sources` reaches a sink in `statements` (a body)."""
    return _settled(statements, sources, operation).found()


def option_arguments(statements: list[ast.stmt], sources: Iterable[str]) -> set[tuple[int, int]]:
    """(line, column) of the argument-list elements in `statements` that hold request data
    a program could take as an option (see `_Flow.options_of`)."""
    return _settled(statements, sources, "").options


def _settled(statements: list[ast.stmt], sources: Iterable[str], operation: str) -> _Flow:
    flow = _Flow(aliases=_aliases(statements), operation=operation)
    start: State = {name: frozenset({(name, "")}) for name in sources}
    for _ in range(4):  # nested functions learn their parameters' taint from call sites
        flow.changed = False
        flow.run(statements, dict(start))
        if not flow.changed:
            break
    return flow


def _aliases(statements: list[ast.stmt]) -> dict[str, str]:
    """Local name -> dotted name, from the body's imports (`import subprocess as sp`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _labels(taint: Taint) -> str:
    return ", ".join(sorted({label for label, _ in taint}))


def _join(a: State, b: State) -> State:
    out = dict(a)
    for name, taint in b.items():
        out[name] = out.get(name, CLEAN) | taint
    return out


@dataclass
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    params: dict[str, Taint] = field(default_factory=dict)
    returns: Taint = CLEAN


@dataclass
class _Flow:
    aliases: dict[str, str]
    operation: str = ""
    hits: dict[tuple[int, str], tuple[Taint, str, str]] = field(default_factory=dict)
    functions: dict[str, _Function] = field(default_factory=dict)
    # Argument lists built as literals, element by element: (constant text, taint).
    argvs: dict[str, list[tuple[str | None, Taint]]] = field(default_factory=dict)
    changed: bool = False
    current: list[_Function] = field(default_factory=list)
    # (line, column) of argument-list literals' elements that may be taken as an option.
    options: set[tuple[int, int]] = field(default_factory=set)

    # --- statements -------------------------------------------------------------------

    def run(self, statements: list[ast.stmt], state: State) -> State:
        for statement in statements:
            state = self.statement(statement, state)
        return state

    def statement(self, node: ast.stmt, state: State) -> State:
        if isinstance(node, ast.Assign):
            taint = self.expr(node.value, state)
            for target in node.targets:
                self.bind(target, taint, state, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.bind(node.target, self.expr(node.value, state), state, node.value)
        elif isinstance(node, ast.AugAssign):
            taint = self.expr(node.value, state) | self.expr(node.target, state)
            if isinstance(node.target, ast.Name) and node.target.id in self.argvs:
                self.argvs[node.target.id] += self._elements(node.value, state) or []
            self.bind(node.target, taint, state, None, weak=True)
        elif isinstance(node, ast.Expr | ast.Return | ast.Raise | ast.Assert | ast.Delete):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    taint = self.expr(child, state)
                    if isinstance(node, ast.Return) and self.current:
                        self.current[-1].returns |= taint
        elif isinstance(node, ast.If):
            self.expr(node.test, state)
            state = _join(self.run(node.body, dict(state)), self.run(node.orelse, dict(state)))
        elif isinstance(node, ast.For | ast.AsyncFor):
            items = self.expr(node.iter, state)
            state = self.loop(node.body, state, lambda s: self.bind(node.target, items, s, None))
            state = self.run(node.orelse, state)
        elif isinstance(node, ast.While):
            state = self.loop(node.body, state, lambda s: self.expr(node.test, s))
            state = self.run(node.orelse, state)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                taint = self.expr(item.context_expr, state)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, taint, state, None)
            state = self.run(node.body, state)
        elif isinstance(node, ast.Try | ast.TryStar):
            after = self.run(node.body, dict(state))
            merged = _join(state, after)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type, merged)
                caught = dict(merged)
                if handler.name:
                    caught[handler.name] = CLEAN
                merged = _join(merged, self.run(handler.body, caught))
            merged = _join(merged, self.run(node.orelse, dict(after)))
            state = self.run(node.finalbody, merged)
        elif isinstance(node, ast.Match):
            subject = self.expr(node.subject, state)
            joined = dict(state)
            for case in node.cases:
                branch = dict(state)
                for sub in ast.walk(case.pattern):
                    name = getattr(sub, "name", None) or getattr(sub, "rest", None)
                    if isinstance(name, str):
                        branch[name] = subject
                if case.guard is not None:
                    self.expr(case.guard, branch)
                joined = _join(joined, self.run(case.body, branch))
            state = joined
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(node, state)
        elif isinstance(node, ast.ClassDef):
            self.run(node.body, dict(state))
        return state

    def loop(self, body: list[ast.stmt], state: State, enter: Callable[[State], object]) -> State:
        """Run a loop body until the state stops growing (taint only grows: it ends)."""
        for _ in range(10):
            entered = dict(state)
            enter(entered)
            grown = _join(state, self.run(body, entered))
            if grown == state:
                break
            state = grown
        return state

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, state: State) -> None:
        """A nested helper: its body runs with the outer state and its parameters' taint
        from the calls seen so far (`_settled` repeats until that settles)."""
        for default in [*node.args.defaults, *node.args.kw_defaults, *node.decorator_list]:
            if default is not None:
                self.expr(default, state)
        if node.name not in self.functions:
            self.functions[node.name] = _Function(node)
            self.changed = True  # calls before this def (in other helpers) now resolve
        known = self.functions[node.name]
        known.node = node
        inner = dict(state)
        every = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for extra in (node.args.vararg, node.args.kwarg):
            if extra is not None:
                every.append(extra)
        for arg in every:
            inner[arg.arg] = known.params.get(arg.arg, CLEAN)
        self.current.append(known)
        try:
            self.run(node.body, inner)
        finally:
            self.current.pop()
        state[node.name] = CLEAN

    def bind(
        self,
        target: ast.expr,
        taint: Taint,
        state: State,
        value: ast.expr | None,
        *,
        weak: bool = False,
    ) -> None:
        if isinstance(target, ast.Name):
            state[target.id] = (state.get(target.id, CLEAN) | taint) if weak else taint
            if not weak:
                elements = self._elements(value, state) if value is not None else None
                if elements is None:
                    self.argvs.pop(target.id, None)
                else:
                    self.argvs[target.id] = elements
        elif isinstance(target, ast.Tuple | ast.List):
            parts = value.elts if isinstance(value, ast.Tuple | ast.List) else []
            starred = any(isinstance(e, ast.Starred) for e in [*target.elts, *parts])
            if len(parts) == len(target.elts) and not starred:
                # `a, b = b, a`: every right-hand value is taken before any is bound.
                taints = [self.expr(part, state) for part in parts]
                for sub, part, each in zip(target.elts, parts, taints, strict=True):
                    self.bind(sub, each, state, part)
            else:
                for sub in target.elts:
                    self.bind(sub, taint, state, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, taint, state, None)
        elif isinstance(target, ast.Attribute | ast.Subscript):
            # Storing into an object or a container taints all of it (weakly).
            if isinstance(target, ast.Subscript):
                self.expr(target.slice, state)
            root = _root(target)
            if root is not None:
                state[root] = state.get(root, CLEAN) | taint
                if root in self.argvs and taint:
                    self.argvs[root].append((None, taint))

    # --- expressions ------------------------------------------------------------------

    def expr(self, node: ast.expr | None, state: State) -> Taint:
        """The taint of `node`'s value; every call inside it is checked against the sinks."""
        if node is None or isinstance(node, ast.Constant):
            return CLEAN
        if isinstance(node, ast.Name):
            return state.get(node.id, CLEAN)
        if isinstance(node, ast.Call):
            return self.call(node, state)
        if isinstance(node, ast.Attribute):
            return self._refined(node.value, node.attr, state)
        if isinstance(node, ast.Subscript):
            key = node.slice
            self.expr(key, state)  # a user-chosen key into a clean table selects clean data
            text = key.value if isinstance(key, ast.Constant) else None
            return self._refined(node.value, text if isinstance(text, str) else None, state)
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left, state), self.expr(node.right, state)
            if isinstance(node.op, ast.Mod) and left and _is_format_args(node.right):
                self.report(node, "template", left, "is the format string of `%`", "format")
            return left | right
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                self.expr(part, state)
            return CLEAN
        if isinstance(node, ast.UnaryOp):
            taint = self.expr(node.operand, state)
            return CLEAN if isinstance(node.op, ast.Not) else taint
        if isinstance(node, ast.IfExp):
            self.expr(node.test, state)
            return self.expr(node.body, state) | self.expr(node.orelse, state)
        if isinstance(node, ast.NamedExpr):
            taint = self.expr(node.value, state)
            self.bind(node.target, taint, state, node.value)
            return taint
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self.comprehension(node, state)
        if isinstance(node, ast.Lambda):
            inner = dict(state)
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                inner[arg.arg] = CLEAN
            return self.expr(node.body, inner)
        taint = CLEAN  # containers, f-strings, boolean operators, await, starred...
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                taint |= self.expr(child, state)
        return taint

    def _refined(self, value: ast.expr, part: str | None, state: State) -> Taint:
        """`body.path` of an untouched source is labelled `body.path`, not just `body`."""
        taint = self.expr(value, state)
        if part and isinstance(value, ast.Name) and taint == {(value.id, "")}:
            return frozenset({(f"{value.id}.{part}", "")})
        return taint

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, state: State
    ) -> Taint:
        inner = dict(state)
        for generator in node.generators:
            self.bind(generator.target, self.expr(generator.iter, inner), inner, None)
            for condition in generator.ifs:
                self.expr(condition, inner)
        if isinstance(node, ast.DictComp):
            return self.expr(node.key, inner) | self.expr(node.value, inner)
        return self.expr(node.elt, inner)

    def call(self, node: ast.Call, state: State) -> Taint:
        func = node.func
        name = self.qualified(func)
        receiver = func.value if isinstance(func, ast.Attribute) else None
        method = func.attr if isinstance(func, ast.Attribute) else None
        own = self.expr(receiver, state) if receiver is not None else CLEAN
        if not isinstance(func, ast.Name | ast.Attribute):
            own = self.expr(func, state)
        args = [self.expr(a, state) for a in node.args]
        keywords = {k.arg: self.expr(k.value, state) for k in node.keywords}
        every = own.union(*args, *keywords.values())
        self.check_sinks(node, name, method, own, args, keywords, state)
        if isinstance(func, ast.Name) and func.id in self.functions:
            return self.local_call(self.functions[func.id], node, args, keywords)
        if method in sinks.MUTATORS and receiver is not None:
            root = _root(receiver)
            added = CLEAN.union(*args, *keywords.values())
            if root is not None and added:
                state[root] = state.get(root, CLEAN) | added
                if root in self.argvs:
                    self.argvs[root].append((None, added))
        if name in sinks.SANITISERS or name in sinks.QUERY_BUILDERS:
            return CLEAN
        if method is not None and sinks.PREDICATES.match(method):
            return CLEAN
        if name in ("shlex.quote", "pipes.quote"):
            return frozenset((label, "shell-safe") for label, _ in every)
        if name in ("safe_join", "io.BytesIO", "io.StringIO", "BytesIO", "StringIO"):
            return frozenset((label, "path-safe") for label, _ in every)
        if name == "not_option":
            return frozenset((label, "option-safe") for label, _ in every)
        if (
            isinstance(receiver, ast.Name)
            and receiver.id == "store"
            and method in sinks.STORE_READS
        ):
            return CLEAN
        if method == "get" and receiver is not None:  # a lookup in a clean table is clean
            return own | (args[1] if len(args) > 1 else CLEAN)
        return every

    def local_call(
        self, known: _Function, node: ast.Call, args: list[Taint], keywords: dict[str | None, Taint]
    ) -> Taint:
        """A call of a nested helper: its parameters take the arguments' taint."""
        spec = known.node.args
        positional = [a.arg for a in [*spec.posonlyargs, *spec.args]]
        given: dict[str, Taint] = {}
        for i, taint in enumerate(args):
            if i < len(positional):
                given[positional[i]] = taint
            elif spec.vararg is not None:
                given[spec.vararg.arg] = given.get(spec.vararg.arg, CLEAN) | taint
        for key, taint in keywords.items():
            target = key if key is not None else (spec.kwarg.arg if spec.kwarg else None)
            if target is None:  # **mapping: could be any parameter
                for param in positional:
                    given[param] = given.get(param, CLEAN) | taint
            else:
                given[target] = given.get(target, CLEAN) | taint
        for param, taint in given.items():
            if not taint <= known.params.get(param, CLEAN):
                known.params[param] = known.params.get(param, CLEAN) | taint
                self.changed = True
        return known.returns

    def qualified(self, node: ast.expr) -> str | None:
        """`sp.run` -> `subprocess.run` after `import subprocess as sp`; None for calls on
        computed objects."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    # --- sinks ------------------------------------------------------------------------

    def check_sinks(
        self,
        node: ast.Call,
        name: str | None,
        method: str | None,
        own: Taint,
        args: list[Taint],
        keywords: Mapping[str | None, Taint],
        state: State,
    ) -> None:
        first = args[0] if args else CLEAN
        shown = f"{name or method}()"
        if name in sinks.CODE_CALLS:
            advice = "import" if "import" in (name or "") else "code"
            self.report(node, "code", first, f"reaches {shown}", advice)
        if name in sinks.SHELL_CALLS or any(
            k.arg == "shell" and not _falsy(k.value) for k in node.keywords
        ):
            command = first | keywords.get("args", CLEAN)
            self.report(node, "shell", _unquoted(command), f"reaches a shell in {shown}", "shell")
        elif name in sinks.PROCESS_CALLS:
            self.process(node, name, args, keywords, state)
        if name in sinks.SQL_CALLS or (
            method in sinks.SQL_METHODS and name not in sinks.PROCESS_CALLS
        ):
            sql = first | keywords.get("sql", CLEAN) | keywords.get("statement", CLEAN)
            self.report(node, "sql", sql, f"reaches the SQL text of {shown}", "sql")
        if name in sinks.PATH_CALLS:
            paths = CLEAN.union(*args, *(keywords.get(k, CLEAN) for k in ("file", "path")))
            self.report(node, "path", _unjoined(paths), f"reaches {shown} {sinks.UNJOINED}", "path")
        elif method in sinks.PATH_METHODS and not self._on_module(node):
            path = own | (first if method == "rename" else CLEAN)
            self.report(
                node, "path", _unjoined(path), f"reaches .{method}() {sinks.UNJOINED}", "path"
            )
        if name in sinks.TEMPLATE_CALLS or method == "from_string":
            source = first | keywords.get("source", CLEAN)
            self.report(node, "template", source, f"is the template source of {shown}", "tpl")
        elif method in ("format", "format_map") and (node.args or node.keywords):
            # Without arguments a format string can reach nothing (and it may not be a str).
            self.report(node, "template", own, f"is the format string of .{method}()", "format")
        if name in sinks.DESERIALISERS or (name == "yaml.load" and not safe_yaml_load(node)):
            self.report(node, "deserialise", first, f"reaches {shown}", "deserialise")

    def _on_module(self, node: ast.Call) -> bool:
        func = node.func
        assert isinstance(func, ast.Attribute)
        name = self.qualified(func.value)
        return name is not None and name.split(".")[0] in sinks.MODULES

    def process(
        self,
        node: ast.Call,
        name: str,
        args: list[Taint],
        keywords: Mapping[str | None, Taint],
        state: State,
    ) -> None:
        """A program started with an argument list: request data may be an ordinary
        argument, never the program, nor code for an interpreter."""
        program_at, argv_at = sinks.PROCESS_CALLS[name]
        shown = f"{name}()"
        if argv_at is None:
            elements = [(_constant(a), t) for a, t in zip(node.args, args, strict=True)]
            elements = elements[program_at:]
            if name.startswith("os."):  # os.execl(path, arg0, arg1, ...): arg0 names it
                elements = elements[:1] + elements[2:]
        else:
            argv = node.args[argv_at] if len(node.args) > argv_at else _keyword(node, "args")
            found = self._elements(argv, state) if argv is not None else None
            if found is None:
                whole = args[argv_at] if len(args) > argv_at else keywords.get("args", CLEAN)
                if _is_text(argv):
                    self.report(node, "process", whole, "is in one command string", "string")
                else:
                    self.report(node, "process", whole, f"makes up the command of {shown}", "argv")
                return
            elements = found
            if program_at != argv_at and len(node.args) > program_at:
                elements = [(_constant(node.args[program_at]), args[program_at]), *elements[1:]]
        stdin = keywords.get("input", CLEAN)
        executable = _keyword(node, "executable")
        if executable is not None and elements:
            elements = [(_constant(executable), self.expr(executable, state)), *elements[1:]]
        if not elements:
            return
        program, program_taint = elements[0]
        if program_taint:
            self.report(node, "process", program_taint, f"chooses the program {shown} runs", "argv")
            return
        literal = node.args[argv_at] if argv_at is not None and len(node.args) > argv_at else None
        rest = elements[1:]
        if program and program.rsplit("/", 1)[-1] == "env":  # env [VAR=value] program ...
            while rest and (rest[0][0] or "").find("=") > 0:
                rest = rest[1:]
            if not rest:
                return
            (program, program_taint), rest = rest[0], rest[1:]
        if not program or not sinks.INTERPRETER.match(program.rsplit("/", 1)[-1]):
            self.options_of(node, program, elements[1:], literal)
            return
        flag, script = _code_position(rest)
        if flag is not None:
            tainted = CLEAN.union(*(t for _, t in rest))
            where = f"an interpreter started with {flag}"
            self.report(node, "interpreter", tainted | stdin, f"reaches {where}", "code")
        elif script is None or script[0] == "-":
            self.report(node, "interpreter", stdin, f"is code on {program}'s stdin", "code")
        elif script[1]:
            what = f"chooses the script or module {program} runs"
            self.report(node, "interpreter", script[1], what, "code")
        else:  # a fixed script: what follows it are the script's own arguments
            self.options_of(node, program, elements[1:], literal)

    def options_of(
        self,
        node: ast.Call,
        program: str | None,
        arguments: list[tuple[str | None, Taint]],
        literal: ast.expr | None,
    ) -> None:
        """Request data among a program's arguments before any `--`: a value such as
        `--help` or `-s` is read as an option (argument injection, CWE-88). Paths from
        safe_join are absolute, so they never start with `-`."""
        nodes: list[ast.expr | None] = [None] * len(arguments)
        if isinstance(literal, ast.List | ast.Tuple) and len(literal.elts) == len(arguments) + 1:
            nodes = [None if isinstance(e, ast.Starred) else e for e in literal.elts[1:]]
        for (text, taint), element in zip(arguments, nodes, strict=True):
            if text == "--":
                return
            risky = frozenset(o for o in taint if o[1] not in ("option-safe", "path-safe"))
            if not risky:
                continue
            what = f"may start with '-' and be taken by {program or 'the program'} as an option"
            self.report(node, "option", risky, what, "option")
            if element is not None:
                self.options.add((element.lineno, element.col_offset))

    def _elements(
        self, node: ast.expr | None, state: State
    ) -> list[tuple[str | None, Taint]] | None:
        """An argument list's elements as (constant text, taint), when it is a literal (or
        a variable holding one): None when its elements cannot be told apart."""
        if isinstance(node, ast.Name) and node.id in self.argvs:
            return list(self.argvs[node.id])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            # ["ping", "-c", "1"] + hosts: the unknown part is one or more arguments.
            left, right = self._elements(node.left, state), self._elements(node.right, state)
            if left is None and right is None:
                return None
            left = left if left is not None else [(None, self.expr(node.left, state))]
            right = right if right is not None else [(None, self.expr(node.right, state))]
            return left + right
        if not isinstance(node, ast.List | ast.Tuple):
            return None
        out: list[tuple[str | None, Taint]] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                out.append((None, self.expr(element.value, state)))
            else:
                out.append((_constant(element), self.expr(element, state)))
        return out

    def report(self, node: ast.AST, kind: str, taint: Taint, what: str, advice: str) -> None:
        """Note a flow; loops and helpers run more than once, so labels are merged."""
        if not taint:
            return
        line = getattr(node, "lineno", 0)
        seen = self.hits.get((line, kind))
        taint = taint | (seen[0] if seen else CLEAN)
        self.hits[(line, kind)] = (taint, what, advice)

    def found(self) -> list[Finding]:
        out = []
        for (line, kind), (taint, what, advice) in sorted(self.hits.items()):
            text = f"request data ({_labels(taint)}) {what}: {self._advice(advice, taint)}"
            out.append(Finding(line, kind, text))
        return out

    def _advice(self, advice: str, taint: Taint) -> str:
        if advice != "code":
            return sinks.ADVICE[advice]
        words = " ".join([self.operation, *(label for label, _ in taint)])
        if sinks.EXPRESSION_WORDS.search(words):
            return f"{sinks.ADVICE['code']}; {sinks.EXPRESSION_HINT}"
        return f"{sinks.ADVICE['code']}; parse the input instead (int(), float(), json.loads)"


def _is_text(node: ast.expr | None) -> bool:
    """A string built in place: an f-string, a concatenation, a %-format or a constant."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_text(node.left)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _root(node: ast.expr) -> str | None:
    """The variable an attribute/subscript chain starts from (`a` of `a.b[0].c`)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _constant(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if ast.unparse(node) == "sys.executable":
        return "python"
    return None


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _code_position(
    rest: list[tuple[str | None, Taint]],
) -> tuple[str | None, tuple[str | None, Taint] | None]:
    """An interpreter's arguments: (the option after which code follows, None) or (None,
    the script or `-m` module it runs; None when it reads code from stdin)."""
    for i, (text, taint) in enumerate(rest):
        if text is None or not text.startswith("-") or text == "-":
            return None, (text, taint)
        if text == "-m":
            return None, rest[i + 1] if i + 1 < len(rest) else None
        if text.lower() in sinks.CODE_FLAGS or sinks.SHORT_CODE_FLAG.match(text):
            return text, None
    return None, None


def _falsy(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and not node.value


def _unquoted(taint: Taint) -> Taint:
    return frozenset(o for o in taint if o[1] != "shell-safe")


def _unjoined(taint: Taint) -> Taint:
    return frozenset(o for o in taint if o[1] != "path-safe")


def _is_format_args(node: ast.expr) -> bool:
    """The right side of `text % args` when it is what a format string takes (not a number:
    `n % 2` of a tainted number is arithmetic)."""
    if isinstance(node, ast.Tuple | ast.Dict | ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def safe_yaml_load(node: ast.Call) -> bool:
    """`yaml.load(text, Loader=SafeLoader)`: as safe as yaml.safe_load()."""
    loader = _keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
    if loader is None:
        return False
    text = ast.unparse(loader).rsplit(".", 1)[-1]
    return text in sinks.SAFE_LOADERS
