"""Slot checks by data flow: request data followed into sinks, and web apps in a body.

Each sink is reached directly and through assignments, f-strings and calls; its safe
counterpart passes. Bodies are checked with `forbidden` as the filler does, with the
handler's parameters as the sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from specfirst_support import MINIMAL, load_service

from bdev.llm.scripted import ScriptedModel
from bdev.specfirst import Options, build_plan, generate, load_spec, slots_for
from bdev.specfirst.fill import SlotFiller
from bdev.specfirst.fill.arguments import guard_options
from bdev.specfirst.fill.check import forbidden, request_sources
from bdev.specfirst.fill.sinks import EXPRESSION_HINT

SOURCES = ("body", "name", "host", "expression", "params")


def flows(code: str, *, operation: str = "") -> list[str]:
    """The data-flow problems of `code` (the per-call rules' lines left out)."""
    return [p for p in forbidden(code, SOURCES, operation=operation) if "request data" in p]


# (code, the line and words of the one flow problem expected)
REJECTED = {
    # code execution
    "eval direct": ("return eval(expression)", "line 1: request data (expression) reaches eval()"),
    "exec via fstring": (
        'src = f"result = {body.code}"\nexec(src)\nreturn {}',
        "line 2: request data (body.code) reaches exec()",
    ),
    "compile via call": (
        "text = body.source.strip()\ncode = compile(text, '<x>', 'eval')\nreturn {}",
        "line 2: request data (body.source) reaches compile()",
    ),
    "__import__": ("mod = __import__(name)\nreturn {}", "reaches __import__()"),
    "import_module": (
        "import importlib\nm = importlib.import_module(body.module)\nreturn {}",
        "line 2: request data (body.module) reaches importlib.import_module()",
    ),
    # interpreters
    "python -c (the reported body)": (
        'result = run_command(["python", "-c", f"print({expression})"], timeout=5)\n'
        'return {"result": result.stdout.strip()}',
        "line 1: request data (expression) reaches an interpreter started with -c: never run"
        " the user's text as code",
    ),
    "node -e via a list variable": (
        'parts = [w.upper() for w in body.words]\ncode = " ".join(parts)\n'
        'cmd = ["node", "-e"]\ncmd.append(code)\nrun_command(cmd)\nreturn {}',
        "line 5: request data (body.words) reaches an interpreter started with -e",
    ),
    "bash -lc via subprocess": (
        "import subprocess\nline = 'echo ' + name\n"
        "subprocess.run(['/bin/bash', '-lc', line], check=False)\nreturn {}",
        "line 3: request data (name) reaches an interpreter started with -lc",
    ),
    "perl -e through a helper": (
        "def run(snippet):\n    return run_command(['perl', '-e', snippet])\n"
        "out = run(body.code)\nreturn {'out': out.stdout}",
        "line 2: request data (body.code) reaches an interpreter started with -e",
    ),
    "os.execlp with its argv0": (
        "import os\nos.execlp('python3', 'python3', '-c', body.code)",
        "line 2: request data (body.code) reaches an interpreter started with -c",
    ),
    "asyncio subprocess": (
        "import asyncio\nproc = asyncio.create_subprocess_exec('ruby', '-e', name)\nreturn {}",
        "line 2: request data (name) reaches an interpreter started with -e",
    ),
    "python on stdin": (
        "program = body.code + '\\n'\nrun_command(['python3'], input=program)\nreturn {}",
        "line 2: request data (body.code) is code on python3's stdin",
    ),
    "sys.executable -c": (
        "import sys\nrun_command([sys.executable, '-c', expression])\nreturn {}",
        "reaches an interpreter started with -c",
    ),
    "sh -c even when quoted": (
        "import shlex\nrun_command(['sh', '-c', 'ls ' + shlex.quote(name)])\nreturn {}",
        "line 2: request data (name) reaches an interpreter started with -c",
    ),
    "the program itself": (
        "tool = body.tool\nrun_command([tool, '--version'])\nreturn {}",
        "line 2: request data (body.tool) chooses the program run_command() runs",
    ),
    "the script of an interpreter": (
        "run_command(['python3', body.script])\nreturn {}",
        "chooses the script or module python3 runs",
    ),
    # shells
    "os.system via fstring": (
        'import os\ncmd = f"ping -c 1 {host}"\nos.system(cmd)\nreturn {}',
        "line 3: request data (host) reaches a shell in os.system()",
    ),
    "shell=True through a loop": (
        "import subprocess\nfor h in body.hosts:\n    line = 'ping ' + h\n"
        "    subprocess.run(line, shell=True)\nreturn {}",
        "line 4: request data (body.hosts) reaches a shell in subprocess.run()",
    ),
    "run_command with one string": (
        "run_command('ls ' + name)\nreturn {}",
        "line 1: request data (name) is in one command string: run_command() needs a list",
    ),
    "run_command with a string variable": (
        "line = 'ls ' + name\nrun_command(line)\nreturn {}",
        "line 2: request data (name) makes up the command of run_command()",
    ),
    "the program prepended to a fixed argv": (
        "run_command([body.tool] + ['--version'])\nreturn {}",
        "line 1: request data (body.tool) chooses the program",
    ),
    "run_command with a split string": (
        "import shlex\nrun_command(shlex.split(body.command))\nreturn {}",
        "line 2: request data (body.command) makes up the command of run_command()",
    ),
    # SQL
    "sql direct fstring": (
        "rows = store.conn.execute(f\"SELECT * FROM t WHERE n = '{name}'\").fetchall()\n"
        "return rows",
        "line 1: request data (name) reaches the SQL text of store.conn.execute()",
    ),
    "sql through a %-format variable": (
        "q = \"SELECT * FROM t WHERE n = '%s'\" % name\nrows = store.conn.execute(q)\n"
        "return list(rows)",
        "line 2: request data (name) reaches the SQL text of store.conn.execute()",
    ),
    "sql executescript via concatenation": (
        "script = 'DELETE FROM t WHERE id = ' + str(body.id) + ';'\n"
        "store.conn.executescript(script)\nreturn {}",
        "line 2: request data (body.id) reaches the SQL text",
    ),
    "sqlalchemy text()": (
        "from sqlalchemy import text\nclause = text('SELECT 1 WHERE x = ' + name)\nreturn {}",
        "line 2: request data (name) reaches the SQL text of sqlalchemy.text()",
    ),
    # file paths
    "open direct": ("return open(name).read()", "line 1: request data (name) reaches open()"),
    "pathlib through os.path.join": (
        'import os\nfrom pathlib import Path\np = Path(os.path.join("/data", body.name))\n'
        "return p.read_text()",
        "line 4: request data (body.name) reaches .read_text() on a path not made by safe_join",
    ),
    "os.remove via fstring": (
        'import os\nos.remove(f"/tmp/{name}.txt")\nreturn {}',
        "line 2: request data (name) reaches os.remove()",
    ),
    "shutil.rmtree in a with": (
        "import shutil\nwith lock:\n    target = '/srv/' + params['dir']\n"
        "    shutil.rmtree(target)\nreturn {}",
        "line 4: request data (params.dir) reaches shutil.rmtree()",
    ),
    # templates
    "jinja2 Template": (
        "from jinja2 import Template\nreturn Template(body.template).render(x=1)",
        "line 2: request data (body.template) is the template source of jinja2.Template()",
    ),
    "from_string via a variable": (
        "import jinja2\nsource = '<p>' + body.template + '</p>'\n"
        "env = jinja2.Environment()\nreturn env.from_string(source).render()",
        "line 4: request data (body.template) is the template source of",
    ),
    "render_template_string": (
        "return render_template_string(f'<h1>{name}</h1>')",
        "line 1: request data (name) is the template source of render_template_string()",
    ),
    "string.Template": (
        "import string\nt = string.Template(body.text)\nreturn t.substitute(a=1)",
        "line 2: request data (body.text) is the template source of string.Template()",
    ),
    "str.format with a tainted format string": (
        "fmt = body.greeting\nreturn fmt.format(user=principal)",
        "line 2: request data (body.greeting) is the format string of .format()",
    ),
    "%-format with a tainted format string": (
        "pattern = name.strip()\nreturn pattern % ('a', 'b')",
        "line 2: request data (name) is the format string of `%`",
    ),
    # deserialisers
    "pickle via base64": (
        "import base64\nimport pickle\ndata = base64.b64decode(body.blob)\n"
        "return pickle.loads(data)",
        "line 4: request data (body.blob) reaches pickle.loads(): it can run code",
    ),
    "yaml.load without a safe loader": (
        "import yaml\ntext = body.config\nreturn yaml.load(text, Loader=yaml.Loader)",
        "line 3: request data (body.config) reaches yaml.load()",
    ),
    "yaml.unsafe_load": (
        "import yaml\nreturn yaml.unsafe_load(body.config)",
        "reaches yaml.unsafe_load()",
    ),
    "jsonpickle": (
        "import jsonpickle\nobj = jsonpickle.decode(name)\nreturn {}",
        "line 2: request data (name) reaches jsonpickle.decode()",
    ),
    "marshal": ("import marshal\nreturn marshal.loads(body.blob)", "reaches marshal.loads()"),
    # propagation forms
    "tuple unpacking": (
        "a, b = 1, body.path\nreturn open(b).read()",
        "line 2: request data (body.path) reaches open()",
    ),
    "augmented assignment": (
        "path = '/srv/'\npath += name\nreturn open(path).read()",
        "line 3: request data (name) reaches open()",
    ),
    "dict container and subscript": (
        "opts = {'file': body.name}\nreturn open(opts['file']).read()",
        "line 2: request data (body.name) reaches open()",
    ),
    "comprehension": (
        "files = [open(p).read() for p in body.paths]\nreturn files",
        "line 1: request data (body.paths) reaches open()",
    ),
    "walrus in a condition": (
        "if (code := body.code):\n    exec(code)\nreturn {}",
        "line 2: request data (body.code) reaches exec()",
    ),
    "while loop carries taint": (
        "text = ''\nparts = list(body.parts)\nwhile parts:\n    eval(text)\n"
        "    text += parts.pop()\nreturn {}",
        "line 4: request data (body.parts) reaches eval()",
    ),
    "an image opened by a request's path": (
        "from PIL import Image\nimg = Image.open(name)\nreturn img.size",
        "line 2: request data (name) reaches PIL.Image.open() on a path not made by safe_join",
    ),
    "an argument that may be an option": (
        "out = run_command(['getent', 'hosts', host])\nreturn out.stdout",
        "line 1: request data (host) may start with '-' and be taken by getent as an option",
    ),
    "an option in a list built first": (
        "argv = ['ping', '-c', '1']\nargv.append(body.host)\nreturn run_command(argv).stdout",
        "line 3: request data (body.host) may start with '-' and be taken by ping as an option",
    ),
    "try/except branch": (
        "try:\n    src = body.code\nexcept KeyError:\n    src = '1'\nreturn eval(src)",
        "line 5: request data (body.code) reaches eval()",
    ),
}


@pytest.mark.parametrize(("code", "expected"), REJECTED.values(), ids=REJECTED.keys())
def test_request_data_reaching_a_sink_is_rejected(code: str, expected: str) -> None:
    found = flows(code)
    assert any(expected in p for p in found), found


SAFE = {
    "parameterised sql": (
        "q = 'SELECT * FROM t WHERE n = ? AND k = ?'\n"
        "rows = store.conn.execute(q, (name, body.kind)).fetchall()\nreturn rows"
    ),
    "sql from a constant table of queries": (
        "QUERIES = {'asc': 'SELECT * FROM t ORDER BY n',\n"
        "           'desc': 'SELECT * FROM t ORDER BY n DESC'}\n"
        "sql = QUERIES.get(body.order, QUERIES['asc'])\nreturn store.conn.execute(sql).fetchall()"
    ),
    "safe_join paths": (
        "import os\npath = safe_join(os.environ['FILES_DIR'], body.name)\n"
        "with open(path) as fh:\n    text = fh.read()\n"
        "safe_join(BASE, name).write_text(body.content)\nreturn {'text': text}"
    ),
    "a fixed argv to a non-interpreter": (
        "out = run_command(['ping', '-c', '1', not_option(host)], timeout=10)\n"
        "return {'ok': out.returncode == 0}"
    ),
    "a script with user arguments": (
        "out = run_command(['python3', '/opt/tools/report.py', '--', name], timeout=10)\n"
        "return {'out': out.stdout}"
    ),
    "an allowlisted program": (
        "TOOLS = {'disk': ['df', '-h'], 'uptime': ['uptime']}\n"
        "argv = TOOLS.get(body.tool)\nif argv is None:\n    raise ApiError(400, 'unknown tool')\n"
        "return {'out': run_command(argv, timeout=10).stdout}"
    ),
    "a fixed argv plus a list of hosts": (
        "out = run_command(['ping', '-c', '1', '--'] + list(body.hosts), timeout=10)\n"
        "return {'ok': out.returncode == 0}"
    ),
    "an uploaded zip read in memory": (
        "import io\nimport zipfile\narchive = zipfile.ZipFile(io.BytesIO(body.data))\n"
        "text = archive.read('index.txt').decode()\n"
        "return {'text': text}"
    ),
    "a constant module fed data on stdin": (
        "out = run_command(['python3', '-m', 'json.tool'], input=body.text)\n"
        "return {'pretty': out.stdout}"
    ),
    "a number into -c": (
        "n = int(body.count)\nout = run_command(['python3', '-c', f'print({n} * 2)'])\n"
        "return {'out': out.stdout}"
    ),
    "a variable cleaned by reassignment": (
        "size = body.size\nsize = len(size)\n"
        "return run_command(['python3', '-c', f'print({size})']).stdout"
    ),
    "ast allowlist evaluator": (
        "import ast\nimport operator\n"
        "OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}\n"
        "def _eval(node):\n"
        "    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):\n"
        "        return node.value\n"
        "    if isinstance(node, ast.BinOp) and type(node.op) in OPS:\n"
        "        return OPS[type(node.op)](_eval(node.left), _eval(node.right))\n"
        "    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):\n"
        "        return -_eval(node.operand)\n"
        "    raise ApiError(400, 'unsupported expression')\n"
        "try:\n    tree = ast.parse(body.expression, mode='eval')\n"
        "except SyntaxError:\n    raise ApiError(400, 'not an expression') from None\n"
        "return {'result': _eval(tree.body)}"
    ),
    "json and yaml.safe_load": (
        "import json\nimport yaml\ndata = json.loads(body.payload)\n"
        "conf = yaml.safe_load(body.config)\n"
        "other = yaml.load(body.config, Loader=yaml.SafeLoader)\n"
        "return {'data': data, 'conf': conf, 'other': other}"
    ),
    "jinja template from a constant with tainted context": (
        "from jinja2 import Environment, Template\n"
        "page = Template('<p>{{ name }}</p>').render(name=body.name)\n"
        "other = Environment(autoescape=True).from_string('{{ x }}').render(x=name)\n"
        "return page + other"
    ),
    "format of a constant string": (
        "text = 'Hello {}, {n}'.format(name, n=body.count)\nline = '%s: %d' % (name, 3)\n"
        "return text + line + '{}'.format(body.greeting)"
    ),
    "arithmetic % on request data": ("return {'even': body.count % 2 == 0, 'r': name % 7}"),
    "comparisons and predicates": (
        "ok = name in ('a', 'b') or name.isdigit()\n"
        "return run_command(['python3', '-c', f'print({ok})']).stdout"
    ),
    "an image opened from a stored row": (
        "row = store.require('images', id)\nimg = PIL.Image.open(row['file'])\nreturn img.size"
    ),
    "store reads are not request data": (
        "row = store.get('files', int(body.id))\nreturn open(safe_join(BASE, row['path'])).read()"
    ),
}


@pytest.mark.parametrize("code", SAFE.values(), ids=SAFE.keys())
def test_safe_counterparts_pass(code: str) -> None:
    assert forbidden(code, SOURCES) == []


def test_shlex_quote_clears_a_shell_string_but_the_shell_is_still_refused() -> None:
    code = "import os\nimport shlex\nos.system('ping -c 1 ' + shlex.quote(host))\nreturn {}"
    (problem,) = forbidden(code, SOURCES)
    assert problem.startswith("line 3: os.system() runs a shell")  # the per-call rule
    unquoted = forbidden("import os\nos.system('ping -c 1 ' + host)\nreturn {}", SOURCES)
    assert unquoted == [
        "line 2: request data (host) reaches a shell in os.system(): no shell; call"
        " run_command([program, arg, ...], timeout=10) with each value as its own argument"
    ]


def test_one_line_per_problem_when_a_rule_and_a_flow_agree() -> None:
    problems = forbidden("import subprocess\nsubprocess.run(['python', '-c', name])", SOURCES)
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 2"]
    assert "subprocess.run() directly" in problems[0] or "subprocess.run() directly" in problems[1]
    assert any("interpreter started with -c" in p for p in problems)
    (only,) = forbidden("return eval(name)", SOURCES)  # not also "eval() runs arbitrary code"
    assert only.startswith("line 1: request data (name) reaches eval()")


def test_an_expression_operation_is_told_to_parse_with_an_allowlist() -> None:
    code = 'return {"result": eval(body.text)}'
    (plain,) = forbidden(code, SOURCES, operation="run_snippet")
    assert EXPRESSION_HINT not in plain and "json.loads" in plain
    (hinted,) = forbidden(code, SOURCES, operation="calculate")
    assert hinted.endswith(EXPRESSION_HINT)
    assert "ast.parse(text, mode='eval')" in hinted and "allowlist" in hinted
    (by_name,) = forbidden("return eval(expression)", SOURCES)
    assert by_name.endswith(EXPRESSION_HINT)


def test_typed_numbers_are_not_request_text() -> None:
    signature = (
        "def f(*, item_id: int, limit: int | None, q: str, body: FBody, store: Store) -> Any:"
    )
    assert request_sources(signature) == ["q", "body", "request"]
    code = "return eval(str(item_id))"
    assert [p for p in forbidden(code, request_sources(signature)) if "request data" in p] == []
    assert forbidden(code, request_sources(signature))[0].startswith("line 1: eval() runs")


def test_without_sources_the_free_names_are_the_parameters() -> None:
    code = "import os\np = Path(os.environ['DIR']) / name\nreturn p.read_text()"
    (problem,) = forbidden(code)
    assert problem.startswith("line 3: request data (name) reaches .read_text()")
    # A parameter reassigned from itself is still read first.
    (problem,) = forbidden("expression = expression.strip()\nreturn eval(expression)")
    assert problem.startswith("line 2: request data (expression) reaches eval()")


def test_flasks_global_request_is_request_data() -> None:
    sources = request_sources("def f(*, store: Store) -> Any:")
    code = "cmd = request.args.get('cmd')\nreturn run_command(['bash', '-c', cmd]).stdout"
    reading, flowing = forbidden(code, sources)
    assert reading.startswith("line 1: no Flask `request` in a handler")  # the parameters
    assert flowing.startswith("line 2: request data (request.args) reaches an interpreter")


def test_a_bare_body_with_return_keeps_its_line_numbers() -> None:
    code = "x = name\nif x:\n    return eval(x)\nreturn 1"
    assert flows(code)[0].startswith("line 3: request data (name) reaches eval()")


# The structural rejections: a web app written into the slot.
STRAY = {
    "flask import": ("from flask import Flask, request\nreturn {}", "line 1: no flask import"),
    "fastapi import": (
        "import fastapi.responses\nreturn {}",
        "line 1: no fastapi.responses import",
    ),
    "new app": ("app = Flask(__name__)\nreturn {}", "line 1: no new web app (Flask())"),
    "route decorator": (
        "@app.get('/x')\ndef inner():\n    return 1\nreturn inner()",
        "line 1: no route (@app.get)",
    ),
    "flask route decorator": (
        "@bp.route('/x', methods=['POST'])\ndef inner():\n    return 1\nreturn {}",
        "line 1: no route (@bp.route)",
    ),
    "add_url_rule": ("app.add_url_rule('/x', 'x', view)\nreturn {}", "line 1: no route"),
    "main block": (
        'result = {"a": 1}\nif __name__ == "__main__":\n    print(result)\nreturn result',
        'line 2: no `if __name__ == "__main__":` block',
    ),
    "app.run": ("app.run(port=8000)\nreturn {}", "line 1: no server start (app.run())"),
    "uvicorn.run": ("import uvicorn\nuvicorn.run(app)\nreturn {}", "line 2: no server start"),
    "yield": ("ticks = 0\nwhile ticks < 3:\n    ticks += 1\n    yield ticks", "line 4: no yield"),
    "principal rebound": (
        "principal = Principal()\nreturn principal",
        "line 1: do not assign `principal`",
    ),
    "thread": (
        "t = threading.Thread(target=tick, daemon=True)\nt.start()\nreturn {}",
        "line 1: no thread started in a handler",
    ),
    "endless loop": (
        "ticks = 0\nwhile True:\n    ticks += 1\nreturn {'ticks': ticks}",
        "line 2: no endless `while True:` loop",
    ),
}


@pytest.mark.parametrize(("code", "expected"), STRAY.values(), ids=STRAY.keys())
def test_a_web_app_inside_the_body_is_rejected(code: str, expected: str) -> None:
    problems = forbidden(code, SOURCES)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_loop_that_ends_passes() -> None:
    code = "n = 0\nwhile True:\n    n += 1\n    if n > 3:\n        break\nreturn {'n': n}"
    assert forbidden(code, SOURCES) == []


def test_ordinary_calls_named_like_routes_pass() -> None:
    code = (
        "import json\nrow = store.get('t', 1)\nvalue = (row or {}).get('x')\n"
        "api = {'name': name}\nresult = api.get('name')\nrun = len(result or '')\n"
        "return {'value': value, 'n': run, 'j': json.dumps(api)}"
    )
    assert forbidden(code, SOURCES) == []


# End to end: the reported calculator body goes back to the model with the reason.
CALC_SPEC = """
openapi: 3.0.3
info: {title: Calculator, version: "1.0"}
paths:
  /calculate:
    post:
      operationId: calculate
      summary: Evaluate an arithmetic expression
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [expression]
              properties:
                expression: {type: string, maxLength: 200}
      responses:
        "200":
          description: The value
          content:
            application/json:
              schema:
                type: object
                properties:
                  result: {type: number}
        "400": {description: Not an arithmetic expression}
"""

INJECTION = """```python
from flask import Flask, jsonify

def calculate(*, body: CalculateBody, store: Store) -> Any:
    expression = body.expression
    result = run_command(["python", "-c", f"print({expression})"], timeout=5)
    if result.returncode != 0:
        raise ApiError(400, "bad expression")
    if __name__ == "__main__":
        app.run()
    return {"result": float(result.stdout)}
```"""

EVALUATOR = """```python
import ast
import operator

def calculate(*, body: CalculateBody, store: Store) -> Any:
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv}

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ApiError(400, "only numbers and + - * /")

    try:
        tree = ast.parse(body.expression, mode="eval")
        return {"result": value(tree.body)}
    except (SyntaxError, ZeroDivisionError):
        raise ApiError(400, "not an arithmetic expression") from None
```"""


def test_the_reported_calculator_injection_goes_back_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "calc.yaml"
    spec.write_text(CALC_SPEC)
    plan = build_plan(load_spec(spec), "calc.yaml")
    options = Options(framework="fastapi", allowed=MINIMAL)
    out = tmp_path / "service"
    generate(plan, options, out)
    (slot,) = slots_for(plan)
    seen: list[Any] = []
    inner = ScriptedModel.from_turns([{"content": INJECTION}, {"content": EVALUATOR}])

    class Model:
        name = "recording"

        def complete(self, messages: Any, tools: Any, **_: Any) -> Any:
            seen.append(list(messages))
            return inner.complete(messages, tools)

    report = SlotFiller(plan, out, Model()).fill(slot)
    assert (report.status, report.attempts) == ("implemented", 2), report.problems
    retry = seen[1][-1].content
    assert "request data (body.expression) reaches an interpreter started with -c" in retry
    assert "ast.parse(text, mode='eval')" in retry
    # (Its unused `from flask import ...` is dropped before the checks: fill.repair.)
    assert "no flask import" not in retry and '`if __name__ == "__main__":`' in retry
    service = load_service(out, plan, options, monkeypatch)
    assert service.call("POST", "/calculate", json={"expression": "2 * (3 + 4)"})[:2] == (
        200,
        {"result": 14},
    )
    status, _, _ = service.call("POST", "/calculate", json={"expression": "__import__('os')"})
    assert status == 400


def test_a_body_importing_a_package_the_task_does_not_allow_is_sent_back() -> None:
    from bdev.specfirst.fill.imports import clean_imports

    body = ["from pydantic import BaseModel", "import json", "return json.dumps({})"]
    allows_flask_only = {"flask", "werkzeug"}.__contains__
    _, problems = clean_imports(body, set(), allows_flask_only)
    assert problems == [
        "line 1: 'pydantic' comes from pydantic, which the task does not allow: use the "
        "standard library or what the service already imports"
    ]
    # Without a list, or when the list allows it, nothing is said.
    assert clean_imports(body, set())[1] == []
    assert clean_imports(body, set(), {"pydantic"}.__contains__)[1] == []


def test_opening_an_in_memory_stream_is_not_a_path() -> None:
    from bdev.specfirst.fill.check import forbidden

    body = "image = Image.open(io.BytesIO(body.content))\nreturn {'width': image.width}"
    assert forbidden(body, ["body"]) == []
    # A real path still needs safe_join.
    assert forbidden("return Image.open(Path(name)).size", ["name"]) != []


@pytest.mark.parametrize(
    ("imported", "advice"),
    [
        ("from fastapi import Depends, HTTPException", "use the `principal` parameter"),
        ("from fastapi import UploadFile, File", "an Upload with .filename and .content"),
        ("from flask import request", "use the function's parameters"),
        ("from flask import render_template_string", "html.escape"),
        ("from starlette.responses import StreamingResponse", "Reply(content, headers="),
        ("from flask import Blueprint", "return a dict, list or str"),
    ],
)
def test_a_refused_framework_import_says_what_to_use_instead(imported: str, advice: str) -> None:
    import ast

    from bdev.specfirst.fill.stray import stray_problems

    ((line, problem),) = stray_problems(ast.parse(imported).body)
    assert line == 1 and "import inside the handler" in problem and advice in problem


def test_every_store_method_the_skeleton_has_may_be_called() -> None:
    code = (
        "n = store.increment('pages', name, 'visits')\n"
        "row = store.require('pages', name)\n"
        "return {'page': name, 'visits': n, 'row': row}"
    )
    assert forbidden(code, SOURCES) == []
    (problem,) = forbidden("return store.bump('pages', name)", SOURCES)
    assert "no method bump()" in problem and "increment" in problem
    (short,) = forbidden("return store.increment('pages', name, by=1)", SOURCES)
    assert short.endswith("needs its field: store.increment('pages', name, <field>, 1)")


def test_request_data_passed_to_a_program_is_wrapped_in_not_option() -> None:
    body = [
        "name = host.strip()",
        "out = run_command(['getent', 'hosts', name, f'{body.other}'], timeout=10)",
        "path = safe_join(BASE, body.file)",
        "listing = run_command(['unzip', '-l', str(path)])",
        "return {'out': out.stdout, 'after': run_command(['grep', '-e', 'x', '--', host]).stdout}",
    ]
    guarded, notes = guard_options(body, SOURCES)
    assert guarded[1] == (
        "out = run_command(['getent', 'hosts', not_option(name), not_option(f'{body.other}')],"
        " timeout=10)"
    )
    assert guarded[3] == "listing = run_command(['unzip', '-l', str(path)])"  # absolute path
    assert "'--', host]" in guarded[4]  # options end before it
    assert notes == ["not_option() around name, f'{body.other}' (argument injection)"]
    assert forbidden("\n".join(guarded), SOURCES) == []
    assert guard_options(["return run_command(['date']).stdout"], SOURCES) == (
        ["return run_command(['date']).stdout"],
        [],
    )


def test_not_option_refuses_what_a_program_would_read_as_an_option(make_service) -> None:
    import sys

    make_service("auth.yaml", "fastapi")
    security = sys.modules["app.security"]
    assert security.not_option("localhost") == "localhost"
    assert security.not_option("a-b") == "a-b"
    for value in ("-s", "--help", "--output=/tmp/x"):
        with pytest.raises(security.ApiError) as caught:
            security.not_option(value)
        assert caught.value.status == 400
