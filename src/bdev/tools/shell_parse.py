"""A Bash command as the flat list of simple commands and redirections it contains.

The permission policy must see every command a string runs, wherever the shell hides
it: in `$(...)`, backticks, `<(...)`, pipelines, lists, `{ }`, subshells, if/for/while/
case, function bodies, heredocs. This module only reads the syntax; what is allowed is
decided in shell_policy.

Parser: tree-sitter-bash (with the `tree-sitter` bindings), not bashlex. bashlex, a
port of bash's own grammar, raises NotImplementedError on `case`, `$((...))`, `[[ ]]`,
arrays, `select` and the `time` keyword, all of which agents write; tree-sitter-bash
parses them all, is maintained by the tree-sitter project (which editors use on real
scripts every day) and never throws: input it cannot read becomes ERROR/MISSING nodes,
which this module reports as a problem so that such a command needs approval. The cost
is two small prebuilt wheels with no further dependencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

# Unquoted characters after which the shell turns one word into others (globbing,
# brace and tilde expansion): a command name containing them is not known in advance.
_GLOB = re.compile(r"[*?\[]|^~|\{[^{}]*(,|\.\.)[^{}]*\}")
_PIPES = frozenset({"|", "|&"})
_INPUT_OPS = frozenset({"<", "<&", "<>"})


@dataclass(frozen=True)
class Word:
    text: str  # as written
    value: str | None  # after quote removal; None when it expands ($x, $(...), $'...')
    glob: bool = False  # unquoted glob, brace or tilde: may become other words

    @property
    def literal(self) -> str | None:
        """The word's one possible value, or None."""
        return None if self.glob else self.value

    @property
    def shown(self) -> str:
        """The value when known, else the text (how rules and messages see the word)."""
        return self.text if self.value is None else self.value


@dataclass(frozen=True)
class Redirect:
    op: str  # ">", ">>", ">|", "&>", "&>>", ">&", "<", "<&", "<>"
    target: Word
    context: str

    @property
    def fd_duplication(self) -> bool:
        """`2>&1`, `>&2`, `<&0`, `2>&-`: no file involved."""
        return self.op in (">&", "<&") and (
            self.target.value is not None
            and (self.target.value.isdigit() or self.target.value == "-")
        )

    @property
    def reads(self) -> bool:
        return self.op in _INPUT_OPS


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[Word, ...]  # the command name first; leading assignments left out
    text: str  # as written, for messages
    context: str = ""  # e.g. "inside $(...)"; empty at the top level
    stdin: str | None = None  # what feeds it: "a pipe", "a heredoc", "a here-string", ...


@dataclass
class Script:
    commands: list[SimpleCommand] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # forms that cannot be read safely


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


def parse(command: str, context: str = "") -> Script:
    """Every simple command and redirection in `command`. Syntax errors do not stop it:
    what could be read is listed (so deny rules still see it) and the error is a problem."""
    source = command.encode()
    root = _parser().parse(source).root_node
    walker = _Walker()
    walker.visit(root, context, None)
    if root.has_error:
        walker.script.problems.append(_syntax_problem(root))
    if _splits_a_word(source, root):
        walker.script.problems.append(
            "a line continuation inside a word (`tou\\<newline>ch`) cannot be checked"
        )
    return walker.script


_LEAVES = frozenset({"word", "string", "raw_string", "comment", "heredoc_body", "string_content"})


def _splits_a_word(source: bytes, root: Node) -> bool:
    """bash joins `tou\\<newline>ch` into one word; tree-sitter reads two words there."""
    for m in re.finditer(rb"(?<=[^\s\\])(\\\\)*\\\n(?=\S)", source):
        k = m.end() - 2
        node = root.descendant_for_byte_range(k, k + 2)
        if node is None or node.type not in _LEAVES:
            return True
    return False


def _syntax_problem(root: Node) -> str:
    bad = _first_error(root)
    where = f" near `{_text(bad)[:40]}`" if bad is not None and _text(bad) else ""
    return f"the command does not parse as Bash{where}, so what it runs cannot be checked"


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def _text(node: Node) -> str:
    return (node.text or b"").decode(errors="replace")


class _Walker:
    def __init__(self) -> None:
        self.script = Script()

    def visit(self, node: Node, ctx: str, stdin: str | None) -> None:
        kind = node.type
        if kind == "command":
            self._command(node, ctx, stdin, [])
        elif kind == "redirected_statement":
            self._redirected(node, ctx, stdin)
        elif kind == "pipeline":
            self._pipeline(node, ctx, stdin)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            inner = _join(f"inside function {_text(name) if name else '?'}", ctx)
            for child in node.named_children:
                if child != name:
                    self.visit(child, inner, stdin)
        elif kind in ("command_substitution", "process_substitution"):
            opener = _text(node.children[0]) if node.children else "$("
            label = "`...`" if opener == "`" else f"{opener}...)"
            # `tee >(sh)`: what an output process substitution runs reads a pipe.
            fed = "a pipe" if opener == ">(" else None
            for child in node.named_children:
                self.visit(child, _join(f"inside {label}", ctx), fed)
        elif kind in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
            self._redirect(node, ctx)
        elif kind == "test_command":
            self._test(node, ctx)
        elif kind == "heredoc_body":
            self._heredoc_body(node, ctx)
        elif kind != "comment":
            for child in node.named_children:
                self.visit(child, ctx, stdin)

    def _command(self, node: Node, ctx: str, stdin: str | None, extra: list[Node]) -> None:
        words: list[Word] = []
        redirects = [*extra]
        for i, child in enumerate(node.children):
            field_name = node.field_name_for_child(i)
            if child.type == "command_name":
                target = child.named_children[0] if child.named_children else child
                words.append(word(target))
                self.visit(target, ctx, None)
            elif field_name == "argument":
                words.append(word(child))
                self.visit(child, ctx, None)
            elif child.type.endswith("redirect"):
                redirects.append(child)
            elif child.is_named:  # prefix assignments: `X=$(cmd) tool`
                self.visit(child, ctx, None)
        for r in redirects:
            stdin = _stdin_from(r) or stdin
            self._redirect(r, ctx)
        if words:
            self.script.commands.append(SimpleCommand(tuple(words), _text(node), ctx, stdin))

    def _redirected(self, node: Node, ctx: str, stdin: str | None) -> None:
        body = node.child_by_field_name("body")
        redirects = [c for c in node.named_children if c != body and c.type.endswith("redirect")]
        if body is not None and body.type == "command":
            self._command(body, ctx, stdin, redirects)
            return
        for r in redirects:
            stdin = _stdin_from(r) or stdin
            self._redirect(r, ctx)
        for child in node.named_children:
            if child not in redirects:
                self.visit(child, ctx, stdin)

    def _pipeline(self, node: Node, ctx: str, stdin: str | None) -> None:
        for child in node.children:
            if not child.is_named and child.type in _PIPES:
                stdin = "a pipe"
            elif child.is_named:
                self.visit(child, ctx, stdin)

    def _redirect(self, node: Node, ctx: str) -> None:
        if node.type == "file_redirect":
            dest = node.child_by_field_name("destination")
            op = next((_text(c) for c in node.children if not c.is_named), ">")
            if dest is not None:
                self.script.redirects.append(Redirect(op, word(dest), ctx))
        for child in node.named_children:
            if _after_pipe(child) or _starts_with_pipe(child):
                # `cat <<EOF | sh`: the rest of the pipeline sits inside the heredoc node.
                self.visit(child, ctx, "a pipe")
            else:
                self.visit(child, ctx, None)

    def _heredoc_body(self, node: Node, ctx: str) -> None:
        start = node.prev_sibling
        while start is not None and start.type != "heredoc_start":
            start = start.prev_sibling
        quoted = start is not None and any(q in _text(start) for q in "'\"\\")
        # The body's text outside the substitutions tree-sitter did parse.
        body = bytearray(node.text or b"")
        for child in node.named_children:
            if child.type == "command_substitution":
                a, b = child.start_byte - node.start_byte, child.end_byte - node.start_byte
                body[a:b] = b" " * (b - a)
        if not quoted and (b"`" in body or b"$(" in body):
            # tree-sitter leaves backticks in an unquoted heredoc unparsed; bash runs them.
            self.script.problems.append(
                "a command substitution inside an unquoted heredoc cannot be checked"
            )
        for child in node.named_children:
            if child.type != "heredoc_content":
                self.visit(child, ctx, None)

    def _test(self, node: Node, ctx: str) -> None:
        single = bool(node.children) and _text(node.children[0]) == "["
        if single and any(_has_anonymous(c, ("<", ">")) for c in node.named_children):
            self.script.problems.append(
                f"in `{_text(node)}`, < and > are redirections that create or read files"
            )
        for child in node.named_children:
            self.visit(child, ctx, None)


def _after_pipe(node: Node) -> bool:
    before = node.prev_sibling
    return before is not None and not before.is_named and before.type in _PIPES


def _starts_with_pipe(node: Node) -> bool:
    first = node.children[0] if node.children else None
    return first is not None and not first.is_named and first.type in _PIPES


def _has_anonymous(node: Node, types: tuple[str, ...]) -> bool:
    if not node.is_named and node.type in types:
        return True
    return any(_has_anonymous(c, types) for c in node.children)


def _stdin_from(redirect: Node) -> str | None:
    if redirect.type == "heredoc_redirect":
        return "a heredoc"
    if redirect.type == "herestring_redirect":
        return "a here-string"
    descriptor = redirect.child_by_field_name("descriptor")
    if redirect.type == "file_redirect" and (descriptor is None or _text(descriptor) == "0"):
        op = next((_text(c) for c in redirect.children if not c.is_named), "")
        if op in _INPUT_OPS:
            return "a file"
    return None


def _join(label: str, ctx: str) -> str:
    return f"{label} {ctx}" if ctx else label


def word(node: Node) -> Word:
    """A word node as a Word: its value when it is fully literal."""
    value, glob = _literal(node)
    return Word(_text(node), value, glob)


def literal_word(text: str) -> Word:
    """A Word for text that is already a value (e.g. split from a string by a wrapper)."""
    return Word(text, text)


def _literal(node: Node) -> tuple[str | None, bool]:
    kind, text = node.type, _text(node)
    if kind == "word":
        unescaped = re.sub(r"\\(.)", "", text, flags=re.DOTALL)
        value = re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.DOTALL)
        return value, bool(_GLOB.search(unescaped))
    if kind == "number":
        return text, False
    if kind == "raw_string":
        return text[1:-1], False
    if kind == "string":
        parts: list[str] = []
        for child in node.named_children:
            if child.type != "string_content":
                return None, False
            content = _text(child).replace("\\\n", "")
            parts.append(re.sub(r"\\([$`\"\\])", r"\1", content))
        return "".join(parts), False
    if kind == "concatenation":
        values: list[str] = []
        globbed = False
        for child in node.named_children:
            piece, glob = _literal(child)
            if piece is None:
                return None, False
            values.append(piece)
            globbed = globbed or glob
        # Braces split across children: `{a,b}` is the words `{`, `a,b`, `}`.
        return "".join(values), globbed or bool(_GLOB.search(text))
    if kind == "extglob_pattern":
        return text, True
    return None, False
