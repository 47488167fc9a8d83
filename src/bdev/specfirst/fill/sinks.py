"""What the data-flow check (`flow`) knows by name: sinks, sanitisers and its advice.

Names are dotted as the body's imports resolve them (`subprocess.run`, `yaml.load`); a
bare name is a builtin or a helper the skeleton provides (`run_command`, `safe_join`).
"""

from __future__ import annotations

import re

EXPRESSION_HINT = (
    "to evaluate arithmetic, call evaluate_arithmetic(text) (provided: numbers, + - * / //"
    " % ** and parentheses; an ApiError 400 for anything else), or parse it with"
    " ast.parse(text, mode='eval') and evaluate only BinOp/UnaryOp/Constant nodes with an"
    " allowlist of operators"
)
EXPRESSION_WORDS = re.compile(r"expr|formula|calc|arith|math|evaluat|equation|comput", re.I)

# Calls whose result holds nothing of their arguments' text.
SANITISERS = {
    "int", "float", "bool", "len", "complex", "round", "abs", "isinstance", "issubclass",
    "hash", "id", "ord", "type", "callable", "any", "all", "hash_password", "evaluate_arithmetic",
    "verify_password", "uuid.UUID", "UUID", "datetime.fromisoformat", "date.fromisoformat",
    "datetime.datetime.fromisoformat", "datetime.date.fromisoformat", "ipaddress.ip_address",
    "math.isfinite", "math.isnan", "os.path.exists", "os.path.isfile", "os.path.isdir",
}  # fmt: skip
# str methods answering a number or a bool.
PREDICATES = re.compile(r"^(is\w+|startswith|endswith|count|find|rfind|index|rindex)$")
STORE_READS = {"get", "require", "list", "count", "find", "delete"}
# Methods that put their arguments into their receiver.
MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "appendleft"}

CODE_CALLS = {
    "eval", "exec", "compile", "__import__", "builtins.eval", "builtins.exec",
    "importlib.import_module", "importlib.__import__", "runpy.run_path", "runpy.run_module",
}  # fmt: skip
SHELL_CALLS = {
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell", "commands.getoutput",
}  # fmt: skip
# Calls that start a program: name -> (index of the program, index of argv; None: the
# arguments from the program on are argv, as in os.execl).
PROCESS_CALLS: dict[str, tuple[int, int | None]] = {
    "run_command": (0, 0),
    "subprocess.run": (0, 0),
    "subprocess.call": (0, 0),
    "subprocess.check_call": (0, 0),
    "subprocess.check_output": (0, 0),
    "subprocess.Popen": (0, 0),
    "pty.spawn": (0, 0),
    "os.execv": (0, 1),
    "os.execve": (0, 1),
    "os.execvp": (0, 1),
    "os.execvpe": (0, 1),
    "os.posix_spawn": (0, 1),
    "os.posix_spawnp": (0, 1),
    "os.spawnv": (1, 2),
    "os.spawnve": (1, 2),
    "os.spawnvp": (1, 2),
    "os.execl": (0, None),
    "os.execle": (0, None),
    "os.execlp": (0, None),
    "os.spawnl": (1, None),
    "os.spawnlp": (1, None),
    "asyncio.create_subprocess_exec": (0, None),
}
INTERPRETER = re.compile(
    r"^(python[\d.]*|pypy[\d.]*|sh|bash|zsh|dash|ksh|csh|tcsh|fish|ash|busybox|node|nodejs|"
    r"deno|bun|perl[\d.]*|ruby[\d.]*|irb|php[\d.]*|lua[\d.]*|luajit|tclsh|wish|rscript|r|"
    r"julia|osascript|powershell|pwsh|cmd|cmd\.exe|awk|gawk|mawk|jshell|groovy|scala|"
    r"erl|elixir|ghci|runghc|swift|gdb)$",
    re.I,
)
# Options after which an interpreter takes code (or a module name) from argv.
CODE_FLAGS = {"--eval", "--print", "--command", "-command", "-encodedcommand", "/c"}
SHORT_CODE_FLAG = re.compile(r"^-[A-Za-z]*[ceErp]$")

SQL_METHODS = {"execute", "executemany", "executescript", "mogrify", "raw", "read_sql"}
SQL_CALLS = {
    "text", "sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.literal_column",
    "RawSQL", "pandas.read_sql", "pandas.read_sql_query",
}  # fmt: skip
# SQL expression builders bind their values as parameters.
QUERY_BUILDERS = {
    "select", "sqlalchemy.select", "sqlalchemy.insert", "sqlalchemy.update",
    "sqlalchemy.delete", "and_", "or_", "sqlalchemy.and_", "sqlalchemy.or_",
}  # fmt: skip

PATH_CALLS = {
    "open", "io.open", "codecs.open", "builtins.open", "os.open", "gzip.open", "bz2.open",
    "lzma.open", "tarfile.open", "zipfile.ZipFile", "os.remove", "os.unlink", "os.rmdir",
    "os.removedirs", "os.rename", "os.replace", "os.mkdir", "os.makedirs", "os.listdir",
    "os.scandir", "os.walk", "os.chmod", "os.chown", "os.truncate", "os.symlink", "os.link",
    "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
    "shutil.rmtree", "shutil.unpack_archive", "shutil.make_archive", "glob.glob",
    "FileResponse", "fastapi.responses.FileResponse", "starlette.responses.FileResponse",
    "send_file", "flask.send_file", "PIL.Image.open", "Image.open",
}  # fmt: skip
# pathlib methods that read, write or list the path they are called on (not replace():
# str has one too).
PATH_METHODS = {
    "open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "rmdir",
    "mkdir", "touch", "iterdir", "glob", "rglob", "rename", "symlink_to", "hardlink_to",
    "chmod",
}  # fmt: skip
# Modules with an open()/read_text() of their own: not a path method call.
MODULES = {
    "os", "io", "codecs", "gzip", "bz2", "lzma", "tarfile", "zipfile", "webbrowser",
    "shelve", "dbm", "pickle", "json", "yaml", "tempfile", "urllib", "requests", "httpx",
}  # fmt: skip

TEMPLATE_CALLS = {
    "Template", "jinja2.Template", "string.Template", "mako.template.Template",
    "django.template.Template", "render_template_string", "flask.render_template_string",
    "str.format", "str.format_map", "jinja2.Environment.from_string",
}  # fmt: skip
DESERIALISERS = {
    "pickle.loads", "pickle.load", "pickle.Unpickler", "cPickle.loads", "_pickle.loads",
    "marshal.loads", "marshal.load", "shelve.open", "dill.loads", "dill.load",
    "jsonpickle.decode", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all",
    "pandas.read_pickle", "torch.load", "joblib.load",
}  # fmt: skip
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader"}
UNJOINED = "on a path not made by safe_join"

ADVICE = {
    "code": "never run the user's text as code",
    "shell": (
        "no shell; call run_command([program, arg, ...], timeout=10) with each value as its"
        " own argument"
    ),
    "import": "import only modules named in a constant table ({'name': module})",
    "argv": "start a fixed program: run_command(['program', 'arg', value], timeout=10)",
    "string": (
        "run_command() needs a list of arguments, not one command string:"
        " run_command(['program', 'arg', value], timeout=10)"
    ),
    "sql": (
        "use the store helpers, or a constant query with ? placeholders and the values as a tuple"
    ),
    "path": "build the path with safe_join(base, part)",
    "tpl": "keep the template a constant and pass the values in when rendering it",
    "format": "format a constant string and pass the values as arguments",
    "deserialise": "it can run code from the data; use json.loads() or yaml.safe_load()",
    "option": (
        "pass it as not_option(value) (an ApiError 400 when it starts with '-'), or put '--'"
        " before it in the list"
    ),
}
