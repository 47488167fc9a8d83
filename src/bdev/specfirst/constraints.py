"""The constraints a task states in plain words, read before anything is generated.

Tasks written by people say things like "You are not allowed to use anything besides the
standard library and the following packages: Flask, pyjwt. Put all code in one file! Do
not create any additional files! The server must listen on 0.0.0.0:5000; the secret is in
the APP_SECRET environment variable." Each of those is a requirement: `read_constraints`
turns them into `TaskConstraints`, `describe_constraints` says back what was understood,
and whatever bdev cannot meet is named by the caller, never dropped.

Hand-written: no library reads requirements out of prose. The rules are phrase patterns
that hold for any task (package lists after "besides/except/only", address forms,
variable names next to the words "environment variable"), not shapes of known tasks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# A distribution name as people write it in a list: `Flask`, pyjwt, python-multipart,
# Jinja2, "fpdf" (optionally with a version or extras, which are dropped).
_NAME = re.compile(
    r"^[`'\"]?([A-Za-z][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:\s*[<>=!~]=?[^,\s]*)?[`'\"]?$"
)
# What marks a sentence as a package list: "besides / except / only use / allowed
# packages / limited to / packages:" or a mention of the standard library.
_LIST_OPENERS = re.compile(
    r"(?:anything|nothing|no (?:other )?(?:packages?|librar(?:y|ies)|dependencies))\s+"
    r"(?:besides|except(?: for)?|other than|apart from|but)\b"
    r"|\bonly (?:use|import|depend on|the following|the (?:python )?standard)\b"
    r"|\b(?:may|can|must) (?:only )?(?:use|import)\b"
    r"|\b(?:use|using) only\b"
    r"|\b(?:allowed|permitted)(?: (?:third[- ]party )?(?:packages|libraries|dependencies))?"
    r"\s*(?:are)?\s*:"
    r"|\b(?:packages|libraries|dependencies|requirements)\s*(?:allowed|permitted)?\s*:"
    r"|\b(?:limited|restricted) to\b"
    r"|\b(?:the )?(?:python )?standard library\b|\bstdlib\b",
    re.I,
)
_STDLIB_WORDS = re.compile(r"\b(?:the )?(?:python(?:'s)? )?standard library\b|\bstdlib\b", re.I)
# Words around the names in a list, dropped before the names are read (whole words only:
# "python-multipart" keeps its "python").
_LIST_FILLER = re.compile(
    r"(?<![\w-])(?:the|following|third[- ]party|python|packages?|librar(?:y|ies)|dependencies"
    r"|modules|are|is|be|allowed|permitted|available|installed|included|also|only|use|using"
    r"|its|their|own|nothing|else|no|other|besides|except|for|than|apart|from|but|may|can"
    r"|must|import|limited|restricted|to|as|well|you|we|anything|it|them|come|comes"
    r"|requirements)(?![\w-])",
    re.I,
)
# A clause after a name that says what it is for: "fpdf2 for the PDF".
_PURPOSE = re.compile(r"(?:^|\s)(?:for|to|in|if|when|because|since|which|that)\s.*$", re.I)
# Words that make a sentence a restriction rather than a mention of a library.
_RESTRICTS = re.compile(
    r"\b(?:only|nothing (?:else|but|besides|except)|no other|no (?:packages|libraries)"
    r"|anything (?:besides|except|other than|but)|limited to"
    r"|restricted to|allowed|permitted|not allowed|packages\s*:|libraries\s*:"
    r"|dependencies\s*:|requirements\s*:)",
    re.I,
)
_SINGLE_FILE = re.compile(
    r"\b(?:single[- ](?:python )?file|(?:in )?one (?:python )?file"
    r"|all (?:the |of the )?code in (?:one|a single) file"
    r"|(?:a )?single `?[A-Za-z_][\w-]*\.py"
    r"|(?:everything|all (?:of )?(?:the )?code)\s+(?:goes\s+|lives\s+|is\s+)?in\s+"
    r"`?[A-Za-z_][\w-]*\.py)\b",
    re.I,
)
_NO_EXTRA_FILES = re.compile(
    r"\b(?:do not|don't|never|must not) (?:create|write|add|produce) (?:any )?"
    r"(?:additional|extra|other|more|further) files\b"
    r"|\bno (?:additional|extra|other) files\b",
    re.I,
)
_FILE_NAME = re.compile(r"\b(?:file|named|called|in|single)[\s:,]+`?([A-Za-z_][\w-]*\.py)`?", re.I)
_ADDRESS = re.compile(r"\b((?:\d{1,3}\.){3}\d{1,3}|localhost):(\d{2,5})\b")
_PORT = re.compile(
    r"\b(?:on|at|to|use|uses|using)?\s*port\s*(?:number\s*)?:?\s*(\d{2,5})\b"
    r"|\blisten(?:s|ing)?\s+on\s+(?:port\s+)?(\d{2,5})\b",
    re.I,
)
_HOST_WORDS = re.compile(r"\b(?:all interfaces|every interface|0\.0\.0\.0)\b", re.I)
_START = re.compile(r"`\s*((?:python3?|uvicorn|flask|gunicorn)\s[^`\n]+?)\s*`")
_START_BARE = re.compile(r"\b(python3? [A-Za-z_][\w/-]*\.py)\b")
# A variable named as such: "the APP_SECRET environment variable", "env var DB_PATH",
# "environment variable `APP_SECRET`", "os.environ['X']".
_VAR = r"`?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}[0-9]*)`?"
_ENV_AFTER = re.compile(_VAR + r"\s+(?:environment|env\.?)\s*(?:variable|var)\b")
_ENV_BEFORE = re.compile(
    r"\b(?:environment|env\.?)\s*(?:variables?|vars?)\s*(?:named|called|is|:)?\s*" + _VAR
)
# "the path given by USERS_DB": a bare name with an underscore after words that point at
# where a value comes from (the underscore keeps JSON, HTML or PNG out).
_ENV_GIVEN = re.compile(
    r"\b(?:given|set|provided|named|configured) (?:by|in)\s+(?:the\s+)?"
    r"`?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b`?(?!\s+(?:environment|env\b))"
)
_ENV_CODE = re.compile(
    r"(?:os\.environ(?:\.get)?\s*[\[(]|os\.getenv\s*\()\s*['\"]([A-Z][A-Z0-9_]*)"
)
_SECRET_WORDS = re.compile(r"secret|signing|sign (?:tokens|cookies|sessions)|jwt key", re.I)
_DATABASE_WORDS = re.compile(r"database|sqlite|\bdb\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*\-])|\n\s*\n|(?<=[!?])")

# What a framework brings with it: allowing it allows these too (they are its own
# dependencies, present wherever it is installed).
COMES_WITH = {
    "flask": frozenset({"werkzeug", "jinja2", "itsdangerous", "click", "blinker", "markupsafe"}),
    "fastapi": frozenset({"starlette", "pydantic", "anyio", "typing-extensions"}),
    "uvicorn": frozenset({"h11", "click"}),
    "passlib": frozenset(),
}
# Names people write for a distribution that is installed under another name.
_ALIASES = {
    "jwt": "pyjwt",
    "pil": "pillow",
    "fpdf": "fpdf2",
    "yaml": "pyyaml",
    "multipart": "python-multipart",
    "jose": "python-jose",
    "dotenv": "python-dotenv",
    "sqlite3": "",  # the standard library
}


@dataclass(frozen=True)
class EnvVar:
    name: str
    role: str  # "secret", "database" or "setting"


@dataclass(frozen=True)
class TaskConstraints:
    """What the task requires of the service's shape; None / empty: the task is silent."""

    packages: frozenset[str] | None = None  # allowed third-party distributions
    packages_phrase: str = ""  # the words the list was read from, for the echo
    single_file: bool = False
    file_name: str | None = None  # "app.py" when the task names the one file
    no_extra_files: bool = False
    host: str | None = None
    port: int | None = None
    start: str | None = None  # "python app.py": how the service must start
    env: tuple[EnvVar, ...] = field(default_factory=tuple)

    def env_for(self, role: str) -> str | None:
        return next((v.name for v in self.env if v.role == role), None)

    @property
    def stated(self) -> bool:
        return bool(
            self.packages is not None or self.single_file or self.no_extra_files
            or self.host or self.port or self.start or self.env
        )  # fmt: skip

    def allowed_with_dependencies(self) -> frozenset[str] | None:
        """The allowed list plus what each allowed framework brings with it."""
        if self.packages is None:
            return None
        extra = (COMES_WITH.get(p, frozenset()) for p in self.packages)
        return self.packages.union(*extra)


@functools.lru_cache(maxsize=32)  # each slot's prompt and checks read the same paragraph
def read_constraints(text: str) -> TaskConstraints:
    packages, phrase = _packages(text)
    address = _ADDRESS.search(text)
    host = address.group(1) if address else ("0.0.0.0" if _HOST_WORDS.search(text) else None)
    port_match = address or _PORT.search(text)
    port = None
    if port_match:
        value = int(next(g for g in port_match.groups()[::-1] if g))
        port = value if 0 < value < 65536 else None
    single = bool(_SINGLE_FILE.search(text))
    named = _FILE_NAME.findall(text) if single else []
    return TaskConstraints(
        packages=packages,
        packages_phrase=phrase,
        single_file=single,
        file_name=named[0] if named else None,
        no_extra_files=bool(_NO_EXTRA_FILES.search(text)),
        host=host,
        port=port,
        start=_start(text),
        env=_env_vars(text),
    )


def normalise(name: str) -> str:
    """A distribution name in its canonical form (PEP 503), aliases resolved."""
    canonical = re.sub(r"[-_.]+", "-", name).lower()
    return _ALIASES.get(canonical, canonical)


def _packages(text: str) -> tuple[frozenset[str] | None, str]:
    """The allowed-package list: the first sentence that announces one and reads as one."""
    for sentence in _sentences(text):
        opener = _LIST_OPENERS.search(sentence)
        if opener is None:
            continue
        names = _names(sentence[opener.start() :])
        if names is not None:
            return names, " ".join(sentence.split())
    return None, ""


def _sentences(text: str) -> list[str]:
    """Sentences with wrapped lines joined; a bullet list after a colon stays with the
    sentence that introduces it."""
    lines = text.splitlines()
    joined: list[str] = []
    for line in lines:
        item = re.match(r"\s*(?:[-*+]|\d+[.)])\s+(.*)", line)
        if joined and item and joined[-1].rstrip().endswith(":"):
            joined[-1] += " " + item.group(1)  # "allowed:" then "- flask" "- pyjwt"
        elif joined and item and re.fullmatch(r"[`'\"]?[A-Za-z][\w.-]*[`'\"]?,?", item.group(1)):
            joined[-1] += ", " + item.group(1)  # the next bullet of such a list
        elif joined and not item and _continues(joined[-1], line):
            joined[-1] += " " + line.strip()  # a wrapped line
        else:
            joined.append(item.group(1) if item else line)
    sentences: list[str] = []
    for paragraph in joined:
        # A period ends a sentence only before a space: "Flask==3.0.3" keeps its dots.
        sentences += re.split(r"(?<=[.!?])\s+", paragraph)
    return [s for s in sentences if s.strip()]


def _continues(previous: str, line: str) -> bool:
    """Whether `line` wraps the sentence of `previous` rather than starting a new one:
    it starts in lower case, or `previous` stopped mid-list (a comma, "and", "(")."""
    first, last = line.strip()[:1], previous.rstrip()[-1:]
    if not first or not last or last in ".!?":
        return False
    ends_open = last in ",(:&" or re.search(r"\b(?:and|or|plus|with|the)$", previous.rstrip())
    return bool(ends_open) or not first.isupper()


def _names(phrase: str) -> frozenset[str] | None:
    """The package names in a list phrase; None when it is not a list of names. Items
    that are prose ("what it installs") are passed over; a phrase with no name in it is
    a list only when it limits the service to the standard library in so many words."""
    stdlib = bool(_STDLIB_WORDS.search(phrase))
    body = _STDLIB_WORDS.sub(",", phrase)
    body = re.sub(r"[():;!]|\.(?=\s|$)", ",", body)
    items = re.split(r",|\s&\s|\s/\s|\band\b|\bplus\b|\bor\b|\bwith\b", body)
    names: set[str] = set()
    for item in items:
        words = _LIST_FILLER.sub(" ", _PURPOSE.sub("", item.strip())).split()
        if len(words) != 1:
            continue  # empty, or prose
        match = _NAME.match(words[0])
        if match and (name := normalise(match.group(1).rstrip("._-"))):
            names.add(name)
    restricts = bool(_RESTRICTS.search(phrase))
    if names and (restricts or stdlib):
        return frozenset(names)
    if not names and stdlib and restricts:
        return frozenset()
    return None


def _start(text: str) -> str | None:
    for match in _START.finditer(text):
        return match.group(1).strip()
    bare = _START_BARE.search(text)
    return bare.group(1) if bare else None


def _env_vars(text: str) -> tuple[EnvVar, ...]:
    found: dict[str, EnvVar] = {}
    for sentence in _SENTENCE_END.split(text):
        names = [
            *(m.group(1) for m in _ENV_AFTER.finditer(sentence)),
            *(m.group(1) for m in _ENV_BEFORE.finditer(sentence)),
            *(m.group(1) for m in _ENV_CODE.finditer(sentence)),
            *(m.group(1) for m in _ENV_GIVEN.finditer(sentence)),
        ]
        for name in names:
            if name not in found:
                found[name] = EnvVar(name, _role(name, sentence))
    return tuple(found.values())


def _role(name: str, sentence: str) -> str:
    if "SECRET" in name or ("KEY" in name and "API" not in name):
        return "secret"
    if re.search(r"DB|DATABASE|SQLITE", name):
        return "database"
    if _SECRET_WORDS.search(sentence) and not re.search(r"TOKEN|API", name):
        return "secret"
    if _DATABASE_WORDS.search(sentence):
        return "database"
    return "setting"


def describe_constraints(found: TaskConstraints, framework: str) -> list[str]:
    """The constraints as understood, one line each, for the terminal and the report."""
    lines = [f"framework: {framework}"]
    if found.packages is not None:
        listed = ", ".join(sorted(found.packages)) or "none"
        lines.append(f"packages: the standard library and only these: {listed}")
    if found.single_file:
        lines.append(f"files: all code in one file, {found.file_name or 'app.py'}")
    if found.no_extra_files or found.single_file:
        lines.append("files: no additional files (tests and reports go under .bdev/ only)")
    if found.host or found.port:
        lines.append(f"serve: on {found.host or '127.0.0.1'}:{found.port or 8000}")
    if found.start:
        lines.append(f"start: `{found.start}`")
    for var in found.env:
        lines.append(f"environment: {var.name} ({var.role})")
    return lines
