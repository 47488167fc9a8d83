"""Documentation of installed Python packages, offline: what bdev's docs server serves.

A library is an installed distribution (`importlib.metadata`), its id `/pypi/<name>`.
Its documentation is built from what it ships: the summary and long description (the
README) of its metadata, and the docstrings of its modules, classes and functions,
read with `ast` from the source files: parsing imports nothing, so no package code runs
and a package that needs a service or a GPU to import still has its docs. Sections are
ranked by the topic's words and cut to a budget of about four characters a token.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ID_PREFIX = "/pypi/"
CHARS_PER_TOKEN = 4
DEFAULT_TOKENS = 5000
MIN_TOKENS, MAX_TOKENS = 500, 20000
_MAX_FILES = 400  # source files parsed per library
_MAX_FILE_BYTES = 400_000
_MAX_SIGNATURE = 160  # characters of a signature in a section's title
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"the", "and", "for", "how", "use", "with", "to", "of", "in", "a", "an"})


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    version: str
    summary: str
    modules: tuple[str, ...]  # its top-level import names


@dataclass(frozen=True)
class Section:
    title: str
    text: str


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def libraries(sites: Sequence[str] = ()) -> dict[str, Library]:
    """Installed distributions (this interpreter's and those in `sites`), by normal name."""
    return _libraries(tuple(sites))


@functools.lru_cache(maxsize=4)
def _libraries(sites: tuple[str, ...]) -> dict[str, Library]:
    found: dict[str, Library] = {}
    for dist in metadata.distributions(path=[*sites, *sys.path]):
        name = dist.metadata["Name"]
        if not name or normalize(name) in found:
            continue  # the first on the path wins, as for imports
        key = normalize(name)
        found[key] = Library(
            id=ID_PREFIX + key,
            name=name,
            version=dist.version,
            summary=(dist.metadata["Summary"] or "").strip(),
            modules=tuple(_top_level(dist)),
        )
    return found


def resolve(query: str, sites: Sequence[str] = (), limit: int = 10) -> list[Library]:
    """Libraries matching a name, best first: the name, an import name, then the summary."""
    wanted = normalize(query.strip())
    words = _words(query)
    scored: list[tuple[int, str, Library]] = []
    for key, lib in libraries(sites).items():
        score = 0
        if key == wanted:
            score = 100
        elif wanted in {normalize(m) for m in lib.modules}:
            score = 90
        elif key.startswith(wanted) or wanted.startswith(key):
            score = 60
        elif wanted and wanted in key:
            score = 40
        # A summary counts when it has every word asked for ("template engine").
        if words and set(words) <= set(_words(lib.summary)):
            score += 20
        if score:
            scored.append((score, key, lib))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [lib for _, _, lib in scored[:limit]]


def find(library_id: str, sites: Sequence[str] = ()) -> Library | None:
    """`/pypi/fastapi`, `fastapi`, a Context7-style `/tiangolo/fastapi` or `name@1.2`."""
    name = library_id.strip().rstrip("/").split("/")[-1].split("@")[0]
    libs = libraries(sites)
    lib = libs.get(normalize(name))
    if lib is None:
        by_module = [x for x in libs.values() if normalize(name) in map(normalize, x.modules)]
        lib = by_module[0] if by_module else None
    if lib is None:  # `/pallets/jinja` for jinja2: the best match when one name starts the other
        best = resolve(name, sites, limit=1)
        key = normalize(name)
        if best and (
            normalize(best[0].name).startswith(key) or key.startswith(normalize(best[0].name))
        ):
            lib = best[0]
    return lib


def docs(
    library_id: str, topic: str = "", tokens: int = DEFAULT_TOKENS, sites: Sequence[str] = ()
) -> str:
    """The library's documentation, the sections about `topic` first, within `tokens`."""
    lib = find(library_id, sites)
    if lib is None:
        raise LookupError(
            f"no installed library {library_id!r}; call resolve-library-id first "
            "(this server reads only the packages installed here)"
        )
    budget = max(MIN_TOKENS, min(tokens or DEFAULT_TOKENS, MAX_TOKENS)) * CHARS_PER_TOKEN
    dist = _dist(lib.name, tuple(sites))
    sections = list(_sections_of(lib.name, tuple(sites)))
    words = _words(topic)
    head = f"# {lib.name} {lib.version}\n{lib.summary}\n"
    head += "".join(f"{u}\n" for u in _urls(dist))
    if words:
        ranked = sorted(
            ((_score(s, words), i, s) for i, s in enumerate(sections)), key=lambda r: (-r[0], r[1])
        )
        hits = [s for score, _, s in ranked if score > 0]
        if hits:
            head += f"(sections mentioning: {', '.join(words)}; best first)\n"
            sections = hits
        else:
            head += f"(no section mentions {topic!r}; the overview follows)\n"
    return _fit(head, sections, budget)


def _fit(head: str, sections: list[Section], budget: int) -> str:
    out, used, left = [head], len(head), 0
    for i, s in enumerate(sections):
        block = f"\n## {s.title}\n{s.text.strip()}\n" if s.text.strip() else f"\n## {s.title}\n"
        if used + len(block) > budget:
            if used < budget // 2:  # a long first section: its start is better than nothing
                out.append(block[: budget - used] + "\n[...]\n")
                i += 1
            left = len(sections) - i
            break
        out.append(block)
        used += len(block)
    if left:
        out.append(f"\n[{left} more sections left out: raise tokens or narrow the topic]\n")
    return "".join(out)


def _score(section: Section, words: list[str]) -> int:
    """How many of the topic's words a section has comes first (a section about all of
    them beats one that repeats one), then how often, a title counting three times."""
    title, text = section.title.lower(), section.text.lower()
    counts = [3 * title.count(w) + min(text.count(w), 5) for w in words]
    return 100 * sum(1 for c in counts if c) + sum(counts)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in _STOP]


def _dist(name: str, sites: tuple[str, ...]) -> metadata.Distribution:
    for dist in metadata.distributions(path=[*sites, *sys.path]):
        if normalize(dist.metadata["Name"] or "") == normalize(name):
            return dist
    raise LookupError(name)


def _urls(dist: metadata.Distribution) -> list[str]:
    urls = dist.metadata.get_all("Project-URL") or []
    home = dist.metadata["Home-page"]
    found = ([home] if home else []) + [u.split(",", 1)[-1].strip() for u in urls]
    return list(dict.fromkeys(found))[:4]


def _top_level(dist: metadata.Distribution) -> list[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    names = {
        f.parts[0].removesuffix(".py")
        for f in dist.files or []
        if f.suffix == ".py" and not f.parts[0].endswith((".dist-info", ".data"))
    }
    return sorted(names) or [normalize(dist.metadata["Name"] or "").replace("-", "_")]


@functools.lru_cache(maxsize=16)
def _sections_of(name: str, sites: tuple[str, ...]) -> tuple[Section, ...]:
    """Parsed once per library for the life of the server."""
    return tuple(_sections(_dist(name, sites)))


def _sections(dist: metadata.Distribution) -> Iterator[Section]:
    yield from _readme(dist.metadata["Description"] or _payload(dist))
    for module, path in _sources(dist):
        yield from _module_sections(module, path)


def _payload(dist: metadata.Distribution) -> str:
    try:
        payload = dist.metadata.get_payload()  # type: ignore[attr-defined]
    except AttributeError:
        return ""
    return payload if isinstance(payload, str) else ""


def _readme(text: str) -> Iterator[Section]:
    """The long description, one section per Markdown heading."""
    title, lines = "README", list[str]()
    for line in text.splitlines():
        if line.startswith("#"):
            if "".join(lines).strip():
                yield Section(title, "\n".join(lines))
            title, lines = f"README: {line.lstrip('#').strip()}", []
        else:
            lines.append(line)
    if "".join(lines).strip():
        yield Section(title, "\n".join(lines))


def _sources(dist: metadata.Distribution) -> list[tuple[str, Path]]:
    """(module name, file) of the distribution's public source files."""
    found: list[tuple[str, Path]] = []
    for f in dist.files or []:
        if f.suffix == ".py" and not f.parts[0].endswith((".dist-info", ".data")):
            found.append((_module_name(f.parts), Path(str(dist.locate_file(f)))))
    if not found:  # an editable install lists no files: find its packages on the path
        for top in _top_level(dist):
            spec = importlib.util.find_spec(top) if top.isidentifier() else None
            for root in (spec.submodule_search_locations or []) if spec else []:
                base = Path(root)
                for path in sorted(base.rglob("*.py")):
                    rel = (top, *path.relative_to(base).parts)
                    found.append((_module_name(rel), path))
    # Private modules stay (httpx and many others define everything in `_x` modules and
    # re-export it), after the public ones; tests and vendored copies do not.
    kept = [(m, p) for m, p in found if not _skipped(m)]
    return sorted(kept, key=lambda mp: (_private(mp[0]), mp[0].count("."), mp[0]))[:_MAX_FILES]


def _module_name(parts: Sequence[str]) -> str:
    names = [*parts[:-1], parts[-1].removesuffix(".py")]
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def _private(module: str) -> bool:
    return any(p.startswith("_") for p in module.split("."))


def _skipped(module: str) -> bool:
    return any(
        p in ("tests", "test", "testing", "_vendor", "vendor") or p.startswith("test_")
        for p in module.split(".")
    )


def _module_sections(module: str, path: Path) -> Iterator[Section]:
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            return
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return
    doc = ast.get_docstring(tree)
    if doc:
        yield Section(f"module {module}", doc)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            text = ast.get_docstring(node)
            if text:
                yield Section(f"{module}.{node.name}({_args(node)})", text)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from _class_sections(module, node)


def _class_sections(module: str, node: ast.ClassDef) -> Iterator[Section]:
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    methods = [
        m
        for m in node.body
        if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
        and (not m.name.startswith("_") or m.name == "__init__")
    ]
    doc = ast.get_docstring(node) or ""
    listing = ", ".join(m.name for m in methods if m.name != "__init__")
    init = next((m for m in methods if m.name == "__init__"), None)
    sig = f"({_args(init)})" if init else (f"({bases})" if bases else "")
    text = doc + (f"\nMethods: {listing}" if listing else "")
    if doc or listing:
        yield Section(f"class {module}.{node.name}{sig}", text)
    for m in methods:
        text = ast.get_docstring(m) or ""
        if text and m.name != "__init__":
            yield Section(f"{module}.{node.name}.{m.name}({_args(m)})", text)


def _args(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = re.sub(r"^(self|cls)(, )?", "", ast.unparse(node.args))
    # Annotated[..., Doc("...")] signatures (FastAPI) run to pages: keep their start.
    return args if len(args) <= _MAX_SIGNATURE else args[:_MAX_SIGNATURE] + " …"
