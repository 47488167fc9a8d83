"""The data layer: ORM and models, raw SQL, migrations, databases and the servers they need."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from bdev.backend.facts import DataLayer, Location
from bdev.backend.pyast import assigned_names, const_str, last_name
from bdev.backend.pyindex import PyIndex, PyModule
from bdev.backend.tree import SourceTree, is_test_file

ORM_IMPORTS = {
    "sqlalchemy": "sqlalchemy",
    "flask_sqlalchemy": "sqlalchemy",
    "sqlmodel": "sqlmodel",
    "django.db": "django",
    "peewee": "peewee",
    "tortoise": "tortoise",
    "pony": "pony",
    "mongoengine": "mongoengine",
    "beanie": "beanie",
}
ORM_DEPENDENCIES = {
    "@prisma/client": "prisma",
    "sequelize": "sequelize",
    "typeorm": "typeorm",
    "mongoose": "mongoose",
    "drizzle-orm": "drizzle",
    "gorm.io/gorm": "gorm",
    "activerecord": "activerecord",
    "rails": "activerecord",
    "diesel": "diesel",
    "sea-orm": "sea-orm",
}
# Python top-level modules and dependency names (any language) that mean a database.
DATABASE_NAMES = [
    (r"psycopg|asyncpg|pg8000|^pg$|^postgres$|jackc/pgx|lib/pq|npgsql|postgresql", "postgresql"),
    (r"sqlite", "sqlite"),
    (r"mysql|pymysql|asyncmy|mariadb", "mysql"),
    (r"redis", "redis"),
    (r"mongo|^motor$|beanie", "mongodb"),
]
URL_SCHEMES = re.compile(
    r"\b(postgres(?:ql)?|sqlite|mysql|mariadb|rediss?|mongodb)(?:\+[\w-]+)?://", re.IGNORECASE
)
DJANGO_ENGINE = re.compile(r"django\.db\.backends\.(postgresql|sqlite3|mysql)")
COMPOSE_IMAGE = re.compile(
    r"image:\s*['\"]?(?:[\w.-]+/)*(postgres|postgis|redis|mysql|mariadb|mongo)\b", re.IGNORECASE
)
CONFIG_SUFFIXES = (".ini", ".cfg", ".toml", ".yml", ".yaml", ".conf", ".properties", ".env")
SERVERS = ("postgresql", "mysql", "redis", "mongodb")
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
SQL_CALLS = {
    "execute",
    "executemany",
    "executescript",
    "exec_driver_sql",
    "raw",
    "fetch",
    "fetchrow",
    "fetchval",
    "mogrify",
}


def _database(name: str) -> str | None:
    name = name.lower()
    return next((db for pattern, db in DATABASE_NAMES if re.search(pattern, name)), None)


# -- SQL text ------------------------------------------------------------------------------
def _sql_text(node: ast.AST | None) -> tuple[str, bool] | None:
    """The constant text of a query expression and whether it is built at run time."""
    if node is None:
        return None
    if (text := const_str(node)) is not None:
        return text, False
    if isinstance(node, ast.JoinedStr):
        parts = [const_str(v) or "" for v in node.values]
        dynamic = any(isinstance(v, ast.FormattedValue) for v in node.values)
        return "".join(parts), dynamic
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        left, right = _sql_text(node.left), _sql_text(node.right)
        if isinstance(node.op, ast.Mod):
            return (left[0], True) if left else None
        text = (left[0] if left else "") + (right[0] if right else "")
        return text, not (left and right) or left[1] or right[1]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base = _sql_text(node.func.value) if node.func.attr == "format" else None
        return (base[0], True) if base else None
    return None


Assignments = dict[str, list[tuple[int, ast.expr, bool]]]


def _assignments(scope: ast.AST) -> Assignments:
    """Name -> (line, value, is `+=`) for the assignments in a scope."""
    found: Assignments = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            for name in assigned_names(node):
                found.setdefault(name, []).append((node.lineno, node.value, False))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append((node.lineno, node.value, True))
    return found


def _value_at(name: str, line: int, assignments: Assignments) -> ast.expr | None:
    """What a local name holds at a line; `q += x` appends x to what q held."""
    value: ast.expr | None = None
    for at, assigned, augmented in sorted(assignments.get(name, []), key=lambda a: a[0]):
        if at > line:
            break
        if augmented:
            value = ast.BinOp(left=value or ast.Constant(""), op=ast.Add(), right=assigned)
        else:
            value = assigned
    return value


def _query_argument(call: ast.Call, assignments: Assignments) -> ast.AST | None:
    query = call.args[0] if call.args else None
    if isinstance(query, ast.Call) and last_name(query.func) == "text" and query.args:
        query = query.args[0]  # sqlalchemy.text("...")
    if isinstance(query, ast.Name):  # q = f"..."; cursor.execute(q)
        return _value_at(query.id, call.lineno, assignments) or query
    return query


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _innermost_function(functions: list[Function], call: ast.Call) -> ast.AST | None:
    around = [f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)]
    return max(around, key=lambda f: f.lineno, default=None)


def raw_sql(mod: PyModule) -> tuple[list[Location], list[Location]]:
    """(all raw SQL sites, the dynamically built ones) in one module."""
    calls = [
        n
        for n in mod.nodes
        if isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Attribute) and n.func.attr in SQL_CALLS)
            or last_name(n.func) == "text"
        )
    ]
    # execute(text("...")) is one site: the inner text() call is not counted again.
    inner = {id(a) for c in calls if last_name(c.func) != "text" for a in c.args[:1]}
    sites: list[Location] = []
    dynamic: list[Location] = []
    functions = [n for n in mod.nodes if isinstance(n, Function)] if calls else []
    scopes: dict[int, Assignments] = {}  # assignments per enclosing function, computed once
    for call in calls:
        if id(call) in inner:
            continue
        scope = _innermost_function(functions, call) or mod.tree
        if id(scope) not in scopes:
            scopes[id(scope)] = _assignments(scope)
        found = _sql_text(_query_argument(call, scopes[id(scope)]))
        if found and SQL_WORDS.search(found[0]):
            location = Location(file=mod.rel, line=call.lineno)
            sites.append(location)
            if found[1]:
                dynamic.append(location)
    return sites, dynamic


# -- models --------------------------------------------------------------------------------
def _is_abstract(cls: ast.ClassDef) -> bool:
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("abstract", "__abstract__") for t in node.targets
        ):
            return isinstance(node.value, ast.Constant) and node.value.value is True
    return False


def _sqlalchemy_base(index: PyIndex, mod: PyModule, base: ast.expr) -> bool:
    """`Base` from declarative_base(), `X(DeclarativeBase)`, or Flask-SQLAlchemy's db.Model."""
    if last_name(base) in ("DeclarativeBase", "DeclarativeBaseNoMeta"):
        return True
    symbol = index.resolve(mod, base.value if isinstance(base, ast.Attribute) else base)
    node = symbol.node if symbol else None
    if isinstance(base, ast.Attribute) and base.attr == "Model":
        return isinstance(node, ast.Call) and last_name(node.func) == "SQLAlchemy"
    return isinstance(node, ast.Call) and last_name(node.func) in (
        "declarative_base",
        "generate_base",
    )


def models(index: PyIndex) -> list[str]:
    """SQLAlchemy/SQLModel and Django model classes (abstract bases left out)."""
    classes = [
        (mod, node) for mod in index.all for node in mod.nodes if isinstance(node, ast.ClassDef)
    ]
    bases: set[tuple[str, str]] = set()  # (module, class) that models derive from
    found: list[str] = []

    def derives(mod: PyModule, base: ast.expr) -> bool:
        symbol = index.resolve(mod, base)
        return symbol is not None and (symbol.module.name, symbol.name or "") in bases

    changed = True
    while changed:
        changed = False
        for mod, cls in classes:
            if (mod.name, cls.name) in bases:
                continue
            is_root = any(
                mod.qualified(b) == "django.db.models.Model" or _sqlalchemy_base(index, mod, b)
                for b in cls.bases
            )
            table = any(kw.arg == "table" for kw in cls.keywords)  # SQLModel, table=True
            if not (is_root or table or any(derives(mod, b) for b in cls.bases)):
                continue
            bases.add((mod.name, cls.name))
            changed = True
            declares_base = any(
                last_name(b) in ("DeclarativeBase", "DeclarativeBaseNoMeta") for b in cls.bases
            )
            if not declares_base and not _is_abstract(cls):
                found.append(cls.name)
    return sorted(set(found))


# -- migrations ----------------------------------------------------------------------------
def _alembic_revisions(tree: SourceTree, folder: str) -> list[str]:
    down: dict[str, str | None] = {}
    for rel in tree.python_files:
        if str(PurePosixPath(rel).parent) != folder or (module := tree.module(rel)) is None:
            continue
        values: dict[str, str | None] = {}
        for node in module.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                for name in assigned_names(node):
                    values[name] = const_str(node.value)
        if revision := values.get("revision"):
            down[revision] = values.get("down_revision")
    # Oldest first along the down_revision chain; branches and leftovers after, sorted.
    ordered: list[str] = []
    current = next((r for r, d in down.items() if d is None), None)
    children = {d: r for r, d in down.items()}
    while current is not None and current not in ordered:
        ordered.append(current)
        current = children.get(current)
    return ordered + sorted(set(down) - set(ordered))


def migrations(tree: SourceTree) -> tuple[str | None, list[str]]:
    envs = [f for f in tree.files if PurePosixPath(f).name == "env.py"]
    for env in envs:
        folder = str(PurePosixPath(env).parent / "versions")
        if folder in tree.directories or tree.named("alembic.ini"):
            return "alembic", _alembic_revisions(tree, folder)
    if tree.named("alembic.ini"):
        return "alembic", []
    django = [
        f
        for f in tree.python_files
        if PurePosixPath(f).parent.name == "migrations" and PurePosixPath(f).name[0].isdigit()
    ]
    if django:
        return "django", [f"{PurePosixPath(f).parts[-3]}.{PurePosixPath(f).stem}" for f in django]
    rails = [f for f in tree.files if f.startswith("db/migrate/") and f.endswith(".rb")]
    if rails:
        return "rails", [PurePosixPath(f).stem.split("_")[0] for f in rails]
    return None, []


# -- databases -----------------------------------------------------------------------------
def databases(tree: SourceTree, index: PyIndex, dependencies: list[str]) -> list[str]:
    found = {db for name in dependencies if (db := _database(name))}
    for mod in index.all:
        found.update(db for n in mod.imported if (db := _database(n.split(".")[0])))
        for node in mod.nodes:
            if (text := const_str(node)) is not None:
                found.update(_databases_in_text(text))
    for rel in tree.files:
        name = PurePosixPath(rel).name
        if (name.endswith(CONFIG_SUFFIXES) or name.startswith(".env")) and not is_test_file(rel):
            found.update(_databases_in_text(tree.text(rel)))
    return sorted(found)


def _databases_in_text(text: str) -> set[str]:
    found: set[str] = set()
    for match in URL_SCHEMES.finditer(text):
        found.add(_database(match.group(1)) or match.group(1).lower())
    for match in DJANGO_ENGINE.finditer(text):
        found.add(_database(match.group(1)) or match.group(1))
    for match in COMPOSE_IMAGE.finditer(text):
        found.add(_database(match.group(1).replace("postgis", "postgres")) or match.group(1))
    return found


def orm(index: PyIndex, dependencies: list[str]) -> list[str]:
    found = {ORM_DEPENDENCIES[d] for d in dependencies if d in ORM_DEPENDENCIES}
    for mod in index.all:
        for name in mod.imported:
            found.update(
                label
                for prefix, label in ORM_IMPORTS.items()
                if name == prefix or name.startswith(prefix + ".")
            )
    return sorted(found)


def analyze_data(tree: SourceTree, index: PyIndex, dependencies: list[str]) -> DataLayer:
    layer = DataLayer(orm=orm(index, dependencies), models=models(index))
    for mod in index.all:
        sites, dynamic = raw_sql(mod)
        layer.raw_sql_sites += sites
        layer.dynamic_sql_sites += dynamic
    layer.migration_tool, layer.migration_revisions = migrations(tree)
    layer.databases = databases(tree, index, dependencies)
    return layer


def services(databases: list[str]) -> list[str]:
    """The databases that are servers to run (SQLite is a file)."""
    return [db for db in databases if db in SERVERS]
