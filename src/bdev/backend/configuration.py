"""Configuration: the environment variables the code reads, and secrets written into it.

Secrets are found by shape, not by proof: a string assigned to a secret-like name that
is not an obvious placeholder, a private-key block, an AWS access key id, a password in
a connection URL. Test code is left out of the name-based checks (fixtures there are
expected), not of the shape-based ones (a real key in a test is still a leak).
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from bdev.backend.facts import Location, Secret
from bdev.backend.pyast import class_bases, const_str, keyword, last_name
from bdev.backend.pyindex import PyModule
from bdev.backend.tree import SourceTree, is_test_file

SECRET_NAME = re.compile(
    r"secret|passw(or)?d|passwd|pwd|token|api_?key|private_?key|access_?key|auth_?key"
    r"|credential|signing_?key",
    re.IGNORECASE,
)
# Names that mention a secret without holding one: TOKEN_URL, password_field, ...
NOT_A_SECRET_NAME = re.compile(
    r"(url|uri|type|field|header|name|len|length|expire|expires|minutes|seconds|ttl|algorithm"
    r"|alg|prefix|endpoint|path|scheme|env|var|file|pattern|regex|label|message|msg|format"
    r"|policy|mode|hash|hasher|location|lifetime|salt_rounds|rounds|min|max|help|description"
    r"|error|query|param|cookie_name|key_name)s?$",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(
    r"change|example|sample|dummy|placeholder|your|fake|test|dev|local|insecure_default"
    r"|todo|fixme|xxx|\*\*\*|<|>|\$\{|\{\{|%\(|^\$|^none$|^null$|^secret$|^passw(or)?d$|^token$",
    re.IGNORECASE,
)
PRIVATE_KEY = re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY")
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
EXAMPLE_PASSWORDS = re.compile(r"^(pass|tiger|passw(or)?d|pwd|secret|s3cr3t|xxx+)$", re.I)
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@", re.IGNORECASE)
# KEY=value / key: value lines in .env, YAML, INI and similar files.
CONFIG_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*[:=]\s*['"]?([^'"\s#]+)""", re.MULTILINE
)
CONFIG_FILES = (".env", ".ini", ".cfg", ".yml", ".yaml", ".toml", ".conf", ".properties")
SHAPE_SCANNED = (
    *CONFIG_FILES,
    *(".py", ".js", ".ts", ".go", ".rb", ".java", ".kt", ".cs", ".rs", ".php", ".sh"),
    *(".pem", ".key", ".json", ".xml", ".tf", ".tfvars"),
)
SHAPE_SCANNED_NAMES = ("Dockerfile", ".npmrc", ".pypirc", "id_rsa", "id_ecdsa", "id_ed25519")
ENV_CALLS = re.compile(r"(?:process\.env\.(\w+)|os\.Getenv\(\"(\w+)\"\)|ENV\[['\"](\w+)['\"]\])")


# -- environment variables -----------------------------------------------------------------
def _env_name(mod: PyModule, node: ast.AST) -> str | None:
    """The variable name in os.environ[...], os.environ.get(...), os.getenv(...)."""
    if isinstance(node, ast.Subscript) and _is_environ(mod, node.value):
        return const_str(node.slice)
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "setdefault", "pop")
            and _is_environ(mod, func.value)
        ):
            return const_str(node.args[0])
        if mod.qualified(func) == "os.getenv":
            return const_str(node.args[0])
    return None


def _is_environ(mod: PyModule, node: ast.AST) -> bool:
    return mod.qualified(node) == "os.environ"


def _settings_fields(cls: ast.ClassDef) -> list[str]:
    """pydantic BaseSettings fields as the environment names them (prefix + upper name)."""
    prefix = ""
    fields: list[str] = []
    for node in ast.walk(cls):
        if isinstance(node, ast.Call) and last_name(node.func) in ("SettingsConfigDict", "dict"):
            prefix = const_str(keyword(node, "env_prefix")) or prefix
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "env_prefix" for t in node.targets
        ):
            prefix = const_str(node.value) or prefix  # class Config: env_prefix = "APP_"
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == "model_config":
                continue
            alias = None
            if isinstance(node.value, ast.Call) and last_name(node.value.func) == "Field":
                alias = const_str(keyword(node.value, "validation_alias")) or const_str(
                    keyword(node.value, "alias")
                )
            fields.append(alias or (prefix + node.target.id).upper())
    return fields


def env_vars(tree: SourceTree, modules: list[PyModule]) -> list[str]:
    names: set[str] = set()
    for mod in modules:
        for node in mod.nodes:
            if (name := _env_name(mod, node)) is not None:
                names.add(name)
            elif isinstance(node, ast.ClassDef) and "BaseSettings" in class_bases(node):
                names.update(_settings_fields(node))
    for rel in tree.files:
        if rel.endswith((".js", ".ts", ".mjs", ".go", ".rb")) and not is_test_file(rel):
            for match in ENV_CALLS.finditer(tree.text(rel)):
                names.add(next(g for g in match.groups() if g))
    return sorted(names)


# -- secrets -------------------------------------------------------------------------------
def _character_classes(value: str) -> int:
    classes = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
    return sum(1 for c in classes if re.search(c, value))


def looks_secret(name: str, value: str) -> bool:
    """A literal value for a secret-like name that is not a placeholder."""
    name = name.rsplit(".", 1)[-1]
    if not SECRET_NAME.search(name) or NOT_A_SECRET_NAME.search(name):
        return False
    if len(value) < 6 or " " in value.strip() or PLACEHOLDER.search(value):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value):  # the name of an env var, not its value
        return False
    if re.fullmatch(r"(.)\1*", value) or value.lower() == name.lower():  # "xxxx", apiKey="apiKey"
        return False
    # "token" and "key" also name lexer tokens and dict keys ("downgrade_token":
    # "downgrades"): there, only values that look generated count.
    strong = re.search(r"secret|passw|pwd|credential|private", name, re.IGNORECASE)
    return bool(strong) or _character_classes(value) >= 2


def url_password(text: str) -> str | None:
    """The password of a credentials URL, unless it is a well-known example one."""
    match = URL_PASSWORD.search(text)
    if match is None:
        return None
    password = match.group(1)
    if len(password) < 4 or PLACEHOLDER.search(password) or EXAMPLE_PASSWORDS.match(password):
        return None
    return password


def _target_name(node: ast.AST) -> str:
    if isinstance(node, ast.Subscript):  # app.config["SECRET_KEY"] = "..."
        return const_str(node.slice) or ""
    return last_name(node)


def _kind(name: str) -> str:
    lowered = name.lower()
    if re.search(r"passw|pwd", lowered):
        return "hard-coded password"
    if "token" in lowered:
        return "hard-coded token"
    if re.search(r"api_?key|access_?key", lowered):
        return "hard-coded API key"
    return "hard-coded secret"


def _python_secrets(mod: PyModule) -> list[Secret]:
    found: list[Secret] = []

    def add(
        node: ast.stmt | ast.expr, name: str, value: ast.AST | None, kind: str | None = None
    ) -> None:
        text = const_str(value)
        if text is not None and looks_secret(name, text):
            location = Location(file=mod.rel, line=node.lineno)
            found.append(Secret(location=location, kind=kind or _kind(name), name=name))

    docstrings = {id(n.value) for n in mod.nodes if isinstance(n, ast.Expr) and const_str(n.value)}
    for node in mod.nodes:
        text = const_str(node)  # not None only for a string ast.Constant
        if (
            isinstance(node, ast.Constant)
            and text is not None
            and id(node) not in docstrings
            and url_password(text)
        ):
            location = Location(file=mod.rel, line=node.lineno)
            found.append(Secret(location=location, kind="password in connection URL"))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                add(node, _target_name(target), node.value)
        elif isinstance(node, ast.AnnAssign):
            add(node, _target_name(node.target), node.value)
        elif isinstance(node, ast.Call):
            for kw in node.keywords:  # connect(password="...")
                if kw.arg:
                    add(node, kw.arg, kw.value)
            env = _env_name(mod, node)
            if env is not None and len(node.args) > 1:  # os.getenv("API_KEY", "sk-live-...")
                add(node, env, node.args[1], _kind(env) + " (environment fallback)")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (name := const_str(key)) is not None:
                    add(value, name, value)
    return found


def _shape_secrets(rel: str, text: str, urls: bool) -> list[Secret]:
    """Private keys and AWS key ids anywhere; URL passwords when `urls` (Python files
    check those on their string constants instead, so docstring examples do not count)."""
    found: list[Secret] = []

    def add(offset: int, kind: str) -> None:
        line = text.count("\n", 0, offset) + 1
        found.append(Secret(location=Location(file=rel, line=line), kind=kind))

    for match in PRIVATE_KEY.finditer(text):
        add(match.start(), "private key")
    for match in AWS_KEY_ID.finditer(text):
        if "EXAMPLE" not in match.group():  # AWS's documented sample key
            add(match.start(), "AWS access key id")
    if urls:
        for match in URL_PASSWORD.finditer(text):
            if url_password(match.group()):
                add(match.start(), "password in connection URL")
    return found


def _config_secrets(rel: str, text: str) -> list[Secret]:
    found: list[Secret] = []
    for match in CONFIG_ASSIGNMENT.finditer(text):
        name, value = match.group(1), match.group(2)
        if looks_secret(name, value):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append(
                Secret(location=Location(file=rel, line=line), kind=_kind(name), name=name)
            )
    return found


def secrets(tree: SourceTree, modules: dict[str, PyModule]) -> list[Secret]:
    found: list[Secret] = []
    for rel in tree.files:
        name = PurePosixPath(rel).name
        if not (name.endswith(SHAPE_SCANNED) or name in SHAPE_SCANNED_NAMES or ".env" in name):
            continue
        found += _shape_secrets(rel, tree.text(rel), urls=not rel.endswith(".py"))
        if is_test_file(rel):
            continue
        if rel.endswith(".py"):
            module = modules.get(rel)
            if module is not None:
                found += _python_secrets(module)
        elif (name.endswith(CONFIG_FILES) or name.startswith(".env")) and not re.search(
            r"example|sample|template", name
        ):
            found += _config_secrets(rel, tree.text(rel))
    unique = {(s.location.file, s.location.line, s.kind): s for s in found}
    return sorted(unique.values(), key=lambda s: (s.location.file, s.location.line))
