"""Finding agent definitions and choosing the effective one for each name.

Places, by precedence (the first that defines a name wins):
`--agents-dir` > project `.claude/agents/` > user `~/.claude/agents/` > built-ins.
Names are case-insensitive, as in Claude Code: `Backend-Developer` and
`backend-developer` are one agent. Two files of one name in the same place are a
duplicate: the first by path (files sorted by their path below the place) wins, and
`bdev agents validate` reports the others. A broken file in one of these places is
listed with its error instead of breaking the whole listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bdev.agents.definition import AgentDefinition, Source, load_definition, parse_file
from bdev.agents.problems import DefinitionError, Problem, display_path
from bdev.errors import BdevError

BUILTIN_DIR = Path(__file__).with_name("builtin")  # package data, installed as plain files
DEFAULT_USER_DIR = Path("~/.claude/agents")
# Collections of agents often ship a README beside them; it is not a definition.
_NOT_DEFINITIONS = {"readme.md"}


@dataclass(frozen=True)
class BrokenDefinition:
    path: Path
    source: Source
    problem: Problem


@dataclass(frozen=True)
class AgentPlace:
    source: Source
    path: Path


@dataclass
class _Scan:
    effective: dict[str, AgentDefinition] = field(default_factory=dict)
    shadowed: list[AgentDefinition] = field(default_factory=list)
    broken: list[BrokenDefinition] = field(default_factory=list)
    duplicates: list[AgentDefinition] = field(default_factory=list)  # hidden in one place


class AgentRegistry:
    def __init__(
        self,
        project_root: Path,
        agents_dir: Path | None = None,
        user_dir: Path | None = None,
        *,
        builtin_dir: Path | None = BUILTIN_DIR,
    ) -> None:
        self.project_root = Path(project_root)
        if agents_dir is not None and not Path(agents_dir).is_dir():
            raise BdevError(f"--agents-dir {agents_dir}: not a directory")
        candidates: list[tuple[Source, Path | None]] = [
            ("dir", agents_dir),
            ("project", self.project_root / ".claude" / "agents"),
            ("user", user_dir if user_dir is not None else DEFAULT_USER_DIR),
            ("builtin", builtin_dir),
        ]
        self.places = [
            AgentPlace(source, Path(d).expanduser()) for source, d in candidates if d is not None
        ]

    def all(self) -> list[AgentDefinition]:
        """The effective definition for each name, sorted by name."""
        return sorted(self._effective.values(), key=lambda d: d.name)

    def names(self) -> list[str]:
        return sorted(d.name for d in self._effective.values())

    @property
    def shadowed(self) -> list[AgentDefinition]:
        """Definitions hidden by another of the same name from a place with precedence."""
        return self._scan.shadowed

    @property
    def duplicates(self) -> list[AgentDefinition]:
        """Definitions hidden by another of the same name in the same place."""
        return self._scan.duplicates

    @property
    def broken(self) -> list[BrokenDefinition]:
        """Files in the places that could not be loaded, each with its first error."""
        return self._scan.broken

    def files(self) -> list[tuple[Path, Source]]:
        """Every definition file in the places, by precedence then path."""
        return [
            (path, place.source)
            for place in self.places
            if place.path.is_dir()
            for path in sorted(place.path.rglob("*.md"))
            if path.is_file() and path.name.lower() not in _NOT_DEFINITIONS
        ]

    def get(self, name_or_path: str) -> AgentDefinition:
        """A definition by file path (any extension) or by name."""
        path = self._as_path(name_or_path)
        if path is not None:
            return load_definition(path, source="path")
        found = self._effective.get(name_or_path.lower())
        if found is None:
            raise BdevError(self._unknown_message(name_or_path))
        return found

    def _as_path(self, text: str) -> Path | None:
        candidate = Path(text).expanduser()
        for path in (candidate, self.project_root / candidate):
            if path.is_file():
                return path
        return None

    def _unknown_message(self, name: str) -> str:
        available = ", ".join(self.names()) or "none"
        looks_like_path = "/" in name or "\\" in name or Path(name).suffix in (".md", ".txt")
        what = "no such file, and no agent of that name" if looks_like_path else "unknown agent"
        message = f'agent "{name}": {what} (available: {available})'
        if self.broken:
            unusable = "; ".join(str(b.problem) for b in self.broken)
            message += f"; could not load: {unusable}"
        return message

    @property
    def _effective(self) -> dict[str, AgentDefinition]:
        return self._scan.effective

    @cached_property
    def _scan(self) -> _Scan:
        # Loaded once: files are read on first use, not when the registry is made.
        scan = _Scan()
        for path, source in self.files():
            try:
                definition = load_definition(path, source=source)
            except DefinitionError as e:
                scan.broken.append(BrokenDefinition(path, source, e.problem))
                continue
            winner = scan.effective.get(definition.key)
            if winner is None:
                scan.effective[definition.key] = definition
            elif winner.source == source:
                scan.duplicates.append(definition)
            else:
                scan.shadowed.append(definition)
        return scan

    def shadowed_by(self, definition: AgentDefinition) -> AgentDefinition | None:
        """The effective definition that hides `definition`, if it is hidden."""
        winner = self._effective.get(definition.key)
        return None if winner is None or winner is definition else winner

    def __repr__(self) -> str:
        places = ", ".join(f"{p.source}={display_path(p.path)}" for p in self.places)
        return f"AgentRegistry({places})"


def duplicate_problems(files: list[Path]) -> list[Problem]:
    """A warning for each file whose name (case-insensitively) an earlier file of `files`
    already has: discovery keeps the first and ignores it. `files`: one place's, in
    discovery order."""
    first: dict[str, tuple[str, Path]] = {}
    problems: list[Problem] = []
    for path in files:
        definition, _ = parse_file(path)
        if definition is None:
            continue
        earlier = first.setdefault(definition.key, (definition.name, path))
        if earlier[1] == path:
            continue
        problems.append(
            Problem(
                display_path(path),
                _name_line(path) or 1,
                "name",
                f'duplicate: "{earlier[0]}" in {display_path(earlier[1])} has the same name '
                "(names are case-insensitive); that file wins and this one is ignored",
                "warning",
            )
        )
    return problems


def _name_line(path: Path) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((i for i, line in enumerate(lines, 1) if line.startswith("name:")), None)
