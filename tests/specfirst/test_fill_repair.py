"""Framework idioms in a slot body rewritten into the skeleton's own terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from specfirst_support import MINIMAL, load_service, plan_for

from bdev.llm.scripted import ScriptedModel
from bdev.specfirst import Options, generate, slots_for
from bdev.specfirst.fill import SlotFiller
from bdev.specfirst.fill.repair import repair

FASTAPI_HABITS = """```python
from fastapi import HTTPException
from fastapi.responses import JSONResponse

def archive_item(*, item_id: int, store: Store) -> Any:
    item = store.get("items", item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    item = store.update("items", item_id, {"status": "archived"})
    return JSONResponse(content=item, status_code=200)
```"""


def test_the_idioms_and_their_imports() -> None:
    body = [
        "from flask import abort, jsonify, request",
        "if not ok:",
        "    abort(404)",
        "if other:",
        "    raise HTTPException(400)",
        "if name:",
        "    return request.json",
        "return jsonify(done=True)",
    ]
    lines, notes = repair(body)
    assert lines == [
        "from flask import request",  # still needed: the checks will refuse it
        "if not ok:",
        "    raise ApiError(404, 'not found')",
        "if other:",
        "    raise ApiError(400, 'bad request')",
        "if name:",
        "    return request.json",
        "return {'done': True}",
    ]
    assert "dropped unused imports: abort, jsonify" in notes


def test_a_body_without_framework_habits_is_left_as_written() -> None:
    body = ["row = store.get('items', item_id)  # keep me", "return row"]
    assert repair(body) == (body, [])


def test_a_fastapi_habit_body_is_accepted_and_answers(tmp_path: Path, monkeypatch) -> None:
    plan = plan_for("items.yaml")
    options = Options(framework="fastapi", allowed=MINIMAL)
    out = tmp_path / "service"
    generate(plan, options, out)
    model = ScriptedModel.from_turns([{"content": FASTAPI_HABITS}])
    (slot,) = slots_for(plan)
    report = SlotFiller(plan, out, model).fill(slot)
    assert (report.status, report.attempts) == ("implemented", 1), report.problems
    service = load_service(out, plan, options, monkeypatch)
    service.call("POST", "/items", json={"name": "pen", "price": 1})
    status, item, _ = service.call("POST", "/items/1/archive")
    assert (status, item["status"]) == (200, "archived")
    status, payload, _ = service.call("POST", "/items/99/archive")
    assert status == 404 and "no such item" in str(payload)


@pytest.mark.parametrize("bad", ["def f(:", "x = ("])
def test_unparseable_bodies_are_left_for_compile_to_report(bad: str) -> None:
    assert repair([bad]) == ([bad], [])


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["return redirect(row['url'], code=302)"], ["return row['url']"]),
        (["return RedirectResponse(url=target, status_code=307)"], ["return target"]),
        (["return HTMLResponse(content=page)"], ["return page"]),
        (["return Response(content=pdf, media_type='application/pdf')"], ["return pdf"]),
        (["return HTMLResponse(page, headers={'X-A': '1'})"],
         ["return Reply(page, headers={'X-A': '1'})"]),
        (["return send_file(io.BytesIO(png), mimetype='image/png')"], ["return png"]),
        (["return jsonify(row), 201"], ["return row"]),
        (["return send_from_directory(folder, name, as_attachment=True)"],
         ["return Reply(safe_join(folder, name).read_bytes(), headers={'Content-Disposition': "
          "f'attachment; filename=\"{name}\"'})"]),
        (["return FileResponse(p, filename=name)"],
         ["return Reply(Path(p).read_bytes(), headers={'Content-Disposition': "
          "f'attachment; filename=\"{name}\"'})"]),
        (["return send_file(p)"], ["return Path(p).read_bytes()"]),
        (["p = os.path.join(os.environ['DIR'], name)"], ["p = safe_join(os.environ['DIR'], name)"]),
        (["n = secure_filename(f.filename)"], ["n = Path(f.filename).name"]),
        (["p = Path(os.environ['DIR']) / name / 'x.txt'"],
         ["p = safe_join(os.environ['DIR'], name, 'x.txt')"]),
        (["n = width / 2"], ["n = width / 2"]),
        (["image_id = store.create('images', data)"],
         ["image_id = store.create('images', data)['id']"]),
        (["return {'id': store.create('todos', t), 'done': False}"],
         ["return {'id': store.create('todos', t)['id'], 'done': False}"]),
        (["row = store.create('todos', t)"], ["row = store.create('todos', t)"]),
        (["data = store.get('images', id)['file']"],
         ["data = store.require('images', id)['file']"]),
        (["row = store.get('images', id)"], ["row = store.get('images', id)"]),
        (["code = store.create('links', {'url': u})", "return {'code': code, 'url': u}"],
         ["code = store.create('links', {'url': u})['id']", "return {'code': code, 'url': u}"]),
        (["row = store.create('links', d)", "return {'code': row['id']}"],
         ["row = store.create('links', d)", "return {'code': row['id']}"]),
        (["row = store.create('links', d)", "log(row)", "return row"],
         ["row = store.create('links', d)", "log(row)", "return row"]),
        (["if row is None:", "    return ApiError(404, 'No such file')"],
         ["if row is None:", "    raise ApiError(404, 'No such file')"]),
        (["return HTTPException(status_code=400, detail='bad')"],
         ["raise ApiError(400, 'bad')"]),
        (["h = generate_password_hash(pw)", "return check_password_hash(h, pw)"],
         ["h = hash_password(pw)", "return verify_password(pw, h)"]),
    ],
)  # fmt: skip
def test_responses_files_and_redirects_become_values(
    written: list[str], expected: list[str]
) -> None:
    assert repair(written)[0] == expected


def test_a_sent_file_still_needs_a_safe_join_path() -> None:
    from bdev.specfirst.fill.check import forbidden

    joined = ["path = safe_join(base, name)", "return send_file(path, as_attachment=True)"]
    assert forbidden("\n".join(repair(joined)[0]), ["name"]) == []
    raw = ["return send_file(base + '/' + name, as_attachment=True)"]
    (problem,) = forbidden("\n".join(repair(raw)[0]), ["name"])
    assert "safe_join" in problem


def test_upload_habits_reach_the_body_s_one_file_field() -> None:
    written = [
        "name = body.filename",
        "data = body.read()",
        "kind = body.image.mimetype",
        "raw = body.image.file.read()",
        "body.image.save(os.path.join(folder, name))",
        "return {'name': name, 'size': body.image.size}",
    ]
    lines, notes = repair(written, upload="image")
    assert lines == [
        "name = body.image.filename",
        "data = body.image.read()",
        "kind = body.image.content_type",
        "raw = body.image.read()",
        "Path(safe_join(folder, name)).write_bytes(body.image.content)",
        "return {'name': name, 'size': len(body.image.content)}",
    ]
    assert "body.filename -> body.image.filename" in notes


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("z = zipfile.ZipFile(body.image)", "z = zipfile.ZipFile(BytesIO(body.image.content))"),
        ("ok = zipfile.is_zipfile(body.image.stream)",
         "ok = zipfile.is_zipfile(BytesIO(body.image.content))"),
        ("im = Image.open(body.image.file)", "im = Image.open(BytesIO(body.image.content))"),
        ("z = ZipFile(safe_join(d, n))", "z = ZipFile(safe_join(d, n))"),
        ("n = body.image.filesize", "n = len(body.image.content)"),
        ("body.image.file.save(p)", "Path(p).write_bytes(body.image.content)"),
    ],
)  # fmt: skip
def test_an_upload_given_to_a_file_reader_is_its_bytes_as_a_stream(
    written: str, expected: str
) -> None:
    assert repair([written], upload="image")[0] == [expected]
    assert repair(["return body.filename"])[0] == ["return body.filename"]  # no file field


def test_the_upload_field_is_read_from_the_plan() -> None:
    from bdev.specfirst import build_plan
    from bdev.specfirst.fill.repair import upload_field

    def spec(properties: dict) -> dict:
        return {"openapi": "3.0.3", "info": {"title": "U", "version": "1"},
                "paths": {"/u": {"post": {"operationId": "up", "requestBody": {"content": {
                    "multipart/form-data": {"schema": {"type": "object",
                                                       "properties": properties}}}},
                    "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    binary = {"type": "string", "format": "binary"}
    one = build_plan(spec({"photo": binary, "note": {"type": "string"}}), "u.yaml")
    assert upload_field(one, "up") == "photo"
    two = build_plan(spec({"a": binary, "b": binary}), "u.yaml")
    assert upload_field(two, "up") is None


WHOLE_FLASK_APP = """```python
from flask import Flask, abort, jsonify

app = Flask(__name__)
ARCHIVED = "archived"


@app.route("/items", methods=["GET"])
def list_items():
    return jsonify([])


@app.route("/items/<int:id>/archive", methods=["POST"])
def archive(id):
    item = store.update("items", id, {"status": ARCHIVED})
    if item is None:
        abort(404)
    return jsonify(item)


if __name__ == "__main__":
    app.run(debug=True)
```"""


def test_a_whole_flask_app_gives_its_view_for_the_route(tmp_path: Path, monkeypatch) -> None:
    plan = plan_for("items.yaml")
    options = Options(framework="flask", allowed=MINIMAL)
    out = tmp_path / "service"
    generate(plan, options, out)
    (slot,) = slots_for(plan)
    model = ScriptedModel.from_turns([{"content": WHOLE_FLASK_APP}])
    report = SlotFiller(plan, out, model).fill(slot)
    assert (report.status, report.attempts) == ("implemented", 1), report.problems
    handlers = (out / "app/handlers.py").read_text()
    assert "app.run" not in handlers and "Flask(__name__)" not in handlers
    assert "ARCHIVED = 'archived'" in handlers or 'ARCHIVED = "archived"' in handlers
    service = load_service(out, plan, options, monkeypatch)
    service.call("POST", "/items", json={"name": "pen", "price": 1})
    status, item, _ = service.call("POST", "/items/1/archive")
    assert (status, item["status"]) == (200, "archived")
    assert service.call("POST", "/items/7/archive")[0] == 404


def test_a_view_is_found_by_path_and_method_only() -> None:
    from bdev.specfirst.fill.code import Route, body_from

    app = (
        "@app.get('/things/{tid}')\ndef read(tid):\n    return 1\n\n"
        "@app.route('/things/<tid>', methods=['DELETE'])\ndef remove(tid):\n    return 2\n"
    )
    delete = Route("DELETE", "/things/{thingId}", ("thing_id",))
    assert body_from(app, "delete_thing", route=delete) == ["tid = thing_id", "return 2"]
    get = Route("GET", "/things/{thingId}", ("thing_id",))
    assert body_from(app, "get_thing", route=get) == ["tid = thing_id", "return 1"]
    other = Route("GET", "/others/{id}", ("id",))
    assert "@app.get('/things/{tid}')" in body_from(app, "get_other", route=other)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["data = request.get_json()", "return data['name']"],
         ["data = body", "return data['name']"]),
        (["return request.json"], ["return body"]),
        (["q = request.args.get('q', '')"], ["q = q if q is not None else ''"]),
        (["n = request.args['limit']"], ["n = limit"]),
        (["t = request.form.get('title')"], ["t = body.get('title')"]),
        (["f = request.files['upload']", "return f.filename"],
         ["f = body.upload", "return f.filename"]),
        (["return request.headers.get('X-Token')"], ["return request.headers.get('X-Token')"]),
    ],
)  # fmt: skip
def test_flask_request_reads_become_the_handler_s_inputs(
    written: list[str], expected: list[str]
) -> None:
    from bdev.specfirst.fill.repair import Inputs

    inputs = Inputs({"q": "q", "limit": "limit"}, body=True, upload="upload")
    assert repair(written, inputs=inputs)[0] == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["response = {'id': 1}", "response.headers['Content-Type'] = 'application/pdf'",
          "return response"],
         ["response = {'id': 1}", "return response"]),
        (["r = {'id': 1}", "r.status_code = 201", "r.headers['X-Total'] = str(n)", "return r"],
         ["r = {'id': 1}", "return Reply(r, headers={'X-Total': str(n)})"]),
        (["page = '<p>hi</p>'", "if remember:", "    page.set_cookie('sid', token)",
          "return page"],
         ["page = '<p>hi</p>'", "if remember:", "    pass",
          "return Reply(page, cookies={'sid': token})"]),
        (["r = Reply(data)", "r.headers['X-A'] = 'b'", "return r"],
         ["r = Reply(data)", "r.headers['X-A'] = 'b'", "return r"]),
    ],
)  # fmt: skip
def test_response_settings_on_a_plain_value_become_a_reply(
    written: list[str], expected: list[str]
) -> None:
    assert repair(written)[0] == expected


def test_the_caller_s_id_is_its_sub() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = ["uid = principal.get('id')", "return store.get('users', principal['user_id'])"]
    assert repair(written, inputs=Inputs(principal=True))[0] == [
        "uid = principal.get('sub')",
        "return store.get('users', principal['sub'])",
    ]
    assert repair(written, inputs=Inputs())[0] == written  # no caller: left to fail loudly


def test_a_key_owner_s_integer_id_is_read_as_an_int() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "user_id = principal['sub']",
        "row = store.get('members', principal.get('sub'))",
        "return {'id': user_id, 'name': row['name'], 'text': str(principal['sub'])}",
    ]
    lines, notes = repair(written, inputs=Inputs(principal=True, int_caller=True))
    assert lines == [
        "user_id = int(principal['sub'])",
        "row = store.get('members', int(principal.get('sub')))",
        "return {'id': user_id, 'name': row['name'], 'text': str(principal['sub'])}",
    ]
    assert notes == ["principal['sub'] -> int(principal['sub'])"]
    assert repair(written, inputs=Inputs(principal=True))[0] == written  # text ids stay text


def test_inputs_say_when_the_caller_is_a_row_with_an_integer_id() -> None:
    from bdev.specfirst.fill.repair import inputs_of

    plan = plan_for("members.yaml")
    assert plan.key_table and plan.resources[plan.key_table].id_type == "integer"
    me = inputs_of(plan, "who_am_i")
    assert me.principal and me.int_caller and me.caller_table == plan.key_table


def test_flask_login_s_caller_is_the_principal() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "from flask_login import current_user",
        "if not current_user.is_authenticated:",
        "    raise ApiError(401, 'log in')",
        "return store.update('users', current_user.id, {'bio': body.bio})",
    ]
    lines, notes = repair(written, inputs=Inputs(body=True, principal=True))
    assert lines == [
        "if not principal is not None:",
        "    raise ApiError(401, 'log in')",
        "return store.update('users', principal['sub'], {'bio': body.bio})",
    ]
    assert "dropped unused imports: current_user" in notes
    # Without an authenticated caller there is nothing to read it from: left to the checks.
    assert repair(written, inputs=Inputs(body=True))[0][0].startswith("from flask_login")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["return jsonify(error='no such user'), 404"], ["raise ApiError(404, 'no such user')"]),
        (["return Response('No such user', status=404)"],
         ["raise ApiError(404, 'No such user')"]),
        (["return make_response(jsonify({'error': f'{name} taken'}), 409)"],
         ["raise ApiError(409, f'{name} taken')"]),
        (["return JSONResponse(status_code=400, content={'detail': 'bad'})"],
         ["raise ApiError(400, 'bad')"]),
        (["return {'error': why}, 403"], ["raise ApiError(403, why)"]),
        (["return Reply('Not found', status=404)"], ["raise ApiError(404, 'Not found')"]),
        (["return Reply(page, status=200, headers=h)"], ["return Reply(page, headers=h)"]),
        (["return problem, 500"], ["raise ApiError(500, 'internal server error')"]),
        (["return {'id': 1}, 201"], ["return {'id': 1}"]),
        (["return f'<p>{escape(bio)}</p>'"], ["return f'<p>{html.escape(bio)}</p>'"]),
        (["user = store.get('users', username=username)"],
         ["user = store.find('users', 'username', username)"]),
        (["user = store.get('users', id=uid)"], ["user = store.get('users', id=uid)"]),
        (["store.replace('signup', id, {'role': body.role})"],
         ["store.update('signup', id, {'role': body.role})"]),
        (["store.replace('signup', id, row)"], ["store.replace('signup', id, row)"]),
        (["try:", "    raise ApiError(404, 'gone')", "except Exception as e:",
          "    raise ApiError(500, str(e))"],
         ["try:", "    raise ApiError(404, 'gone')", "except ApiError:", "    raise",
          "except Exception as e:", "    raise ApiError(500, str(e))"]),
        (["try:", "    x = f()", "except ApiError:", "    raise", "except Exception:",
          "    x = 0"],
         ["try:", "    x = f()", "except ApiError:", "    raise", "except Exception:",
          "    x = 0"]),
        (["try:", "    x = f()", "except HTTPException:", "    raise"],
         ["try:", "    x = f()", "except ApiError:", "    raise"]),
        (["d = app.config['ARCHIVE_DIR']", "m = current_app.config.get('MAX', 5)"],
         ["d = os.environ['ARCHIVE_DIR']", "m = os.environ.get('MAX', 5)"]),
    ],
)  # fmt: skip
def test_error_responses_escape_and_lookups_by_field(
    written: list[str], expected: list[str]
) -> None:
    assert repair(written)[0] == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["pdf = FPDF()", "return pdf.output(dest='S').encode('latin-1')"],
         ["pdf = FPDF()", "return bytes(pdf.output())"]),
        (["pdf = FPDF()", "buf = BytesIO()", "pdf.output(buf, 'S')", "return buf.getvalue()"],
         ["pdf = FPDF()", "buf = BytesIO()", "buf.write(bytes(pdf.output()))",
          "return buf.getvalue()"]),
        (["doc = FPDF()", "data = doc.output()"], ["doc = FPDF()", "data = bytes(doc.output())"]),
        (["doc = FPDF()", "data = bytes(doc.output())"],
         ["doc = FPDF()", "data = bytes(doc.output())"]),  # a re-fill keeps the fixed form
        (["pdf = FPDF()", "out = pdf.output(buffer=b'', format='pdf')", "return out.getvalue()"],
         ["pdf = FPDF()", "out = bytes(pdf.output())", "return out"]),  # bytes, not a buffer
        (["report = make_report()", "return report.output()"],
         ["report = make_report()", "return report.output()"]),  # not an FPDF
    ],
)  # fmt: skip
def test_pyfpdf_output_idioms_give_fpdf2_s_bytes(written: list[str], expected: list[str]) -> None:
    assert repair(written)[0] == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("rows = store.list('notes', filters={'title': {'$regex': q, '$options': 'i'}})",
         "rows = [_row for _row in store.list('notes') "
         "if str(q).lower() in str(_row.get('title') or '').lower()]"),
        ("rows = store.list('notes', filters={'title__contains': q, 'owner': me})",
         "rows = [_row for _row in store.list('notes', filters={'owner': me}) "
         "if str(q) in str(_row.get('title') or '')]"),
        ("rows = store.list('docs', filters={'body': {'like': f'%{q}%'}})",
         "rows = [_row for _row in store.list('docs') "
         "if str(q).lower() in str(_row.get('body') or '').lower()]"),
        ("rows = store.list('notes', filters={'owner': me})",
         "rows = store.list('notes', filters={'owner': me})"),
        ("rows = store.list('d', filters={'title': {'like': f'%{q}%'},"
         " 'body': {'like': f'%{q}%'}})",
         "rows = [_row for _row in store.list('d') "
         "if str(q).lower() in str(_row.get('title') or '').lower() "
         "or str(q).lower() in str(_row.get('body') or '').lower()]"),
    ],
)  # fmt: skip
def test_query_language_text_matches_become_a_search_in_python(written: str, expected: str) -> None:
    from bdev.specfirst.fill.check import forbidden

    (line,) = repair([written])[0]
    assert line == expected
    assert forbidden(line + "\nreturn rows", ["q", "me"]) == []


def test_an_expression_evaluator_s_eval_is_the_safe_evaluator() -> None:
    from bdev.specfirst.fill.check import forbidden
    from bdev.specfirst.fill.repair import Inputs

    written = ["result = eval(body.expression)", "return {'result': result}"]
    lines, _ = repair(written, inputs=Inputs(body=True, evaluator=True))
    assert lines[0] == "result = evaluate_arithmetic(body.expression)"
    assert forbidden("\n".join(lines), ["body"]) == []
    # Elsewhere an eval stays, for the checks to refuse.
    assert repair(written, inputs=Inputs(body=True))[0] == written


def test_a_handler_given_no_caller_drops_its_caller_checks() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "if not principal or principal.role != 'operator':",
        "    raise ApiError(403, 'not the operator')",
        "user = store.require('members', id)",
        "if user['role'] == body.role:",
        "    raise ApiError(409, 'unchanged')",
        "return store.update('members', id, {'role': body.role})",
    ]
    lines, notes = repair(written, inputs=Inputs(body=True))
    assert lines == written[2:]
    assert notes == ["dropped the check of a caller the handler is not given"]
    # With a caller the check is the handler's own business.
    assert repair(written, inputs=Inputs(body=True, principal=True))[0] == written
    # Nor does it read the request's headers: the route compared the token.
    token = ["if request.headers.get('X-Admin-Token') != os.environ['ADMIN_TOKEN']:",
             "    return ApiError(403, 'no')", "return {}"]  # fmt: skip
    assert repair(token, inputs=Inputs())[0] == ["return {}"]
    # A check that does more than refuse is not dropped.
    mixed = ["if principal is None:", "    log.info('anonymous')", "    raise ApiError(401, 'x')"]
    assert repair(mixed, inputs=Inputs())[0] == mixed
    # Behind the operator's token, a 403 on the target row's role goes too; on a public
    # operation (a login's password check) a 401 stays.
    row_role = ["user = store.require('members', id)", "if user['role'] != 'operator':",
                "    raise ApiError(403, 'Not the operator')", "return user"]  # fmt: skip
    assert repair(row_role, inputs=Inputs(operator=True))[0] == [row_role[0], row_role[3]]
    login = ["user = store.find('users', 'name', body.name)",
             "if user is None or not verify_password(body.password, user['password']):",
             "    raise ApiError(401, 'bad credentials')", "return {}"]  # fmt: skip
    assert repair(login, inputs=Inputs(body=True))[0] == login


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (["if code not in store:", "    raise ApiError(404, 'x')",
          "return store.require('links', code)['url']"],
         ["if store.get('links', code) is None:", "    raise ApiError(404, 'x')",
          "return store.require('links', code)['url']"]),
        (["if not store.exists('users', {'name': body.name}):", "    return 1", "return 2"],
         ["if not store.find('users', 'name', body.name) is not None:", "    return 1",
          "return 2"]),
        (["ok = store.exists(code)", "store.increment('pages', code, 'n')", "return ok"],
         ["ok = store.get('pages', code) is not None", "store.increment('pages', code, 'n')",
          "return ok"]),
        # Which table is not known: left for the checks to refuse.
        (["return code in store"], ["return code in store"]),
    ],
)  # fmt: skip
def test_membership_in_the_store_is_a_lookup(written: list[str], expected: list[str]) -> None:
    assert repair(written)[0] == expected


def test_pillow_filter_names_removed_in_pillow_10_get_their_new_names() -> None:
    written = ["img.thumbnail((w, h), Image.ANTIALIAS)", "return img.resize(s, Image.CUBIC)"]
    assert repair(written)[0] == [
        "img.thumbnail((w, h), Image.LANCZOS)",
        "return img.resize(s, Image.BICUBIC)",
    ]


def test_a_bare_import_of_pillow_imports_the_submodules_used() -> None:
    written = ["import PIL", "img = PIL.Image.open(data)", "return PIL.ImageOps.fit(img, size)"]
    assert repair(written)[0] == [
        "import PIL.Image, PIL.ImageOps",
        "img = PIL.Image.open(data)",
        "return PIL.ImageOps.fit(img, size)",
    ]
    kept = ["import PIL.Image", "return PIL.Image.open(data)"]
    assert repair(kept)[0] == kept


def test_an_api_error_caught_and_returned_is_raised_again() -> None:
    written = [
        "try:",
        "    row = store.require('images', id)",
        "except ApiError as e:",
        "    return {'error': str(e)}",
        "return row",
    ]
    lines, notes = repair(written)
    assert lines[2:4] == ["except ApiError as e:", "    raise"]
    assert "except ApiError: return ... -> raise" in notes


def test_a_row_made_from_the_body_keeps_the_body_s_other_fields() -> None:
    from bdev.specfirst.fill.repair import Inputs

    inputs = Inputs(body=True, creates_from=("customer", "items", "password"))
    written = [
        "total = sum(i.quantity for i in body.items)",
        "row = store.create('invoices', {'customer': body.customer, 'total': total})",
        "return {'id': row['id'], 'total': total}",
    ]
    lines, _ = repair(written, inputs=inputs)
    assert lines[1] == (
        "row = store.create('invoices', {'customer': body.customer, 'total': total, "
        "'items': body.items})"
    )  # never the password; and a row not made from the body is its own business
    counter = ["store.create('visits', {'page': name})", "return {}"]
    assert repair(counter, inputs=inputs)[0] == counter
    assert repair(written, inputs=Inputs(body=True))[0] == written  # not a JSON POST


def test_a_helper_called_on_the_store_is_the_helper() -> None:
    written = ["out = store.run_command(['getent', 'hosts', host])", "return out.stdout"]
    assert repair(written)[0][0] == "out = run_command(['getent', 'hosts', host])"


def test_a_command_s_output_is_text_already() -> None:
    written = [
        "result = run_command(['unzip', '-l', str(path)])",
        "return result.stdout.decode('utf-8') + result.stderr.decode()",
    ]
    lines, notes = repair(written)
    assert lines[1] == "return result.stdout + result.stderr"
    assert ".stdout.decode() -> .stdout (already text)" in notes


def test_a_reply_leaves_media_type_and_status_to_the_route() -> None:
    written = [
        "page = '<p>' + html.escape(bio) + '</p>'",
        "return Reply(page, content_type='text/html', headers={'X-A': '1'}, status=200)",
    ]
    lines, notes = repair(written)
    assert lines[1] == "return Reply(page, headers={'X-A': '1'})"
    assert notes == ["Reply(content_type=, status=...) -> Reply(...)"]


def test_an_increment_without_its_field_counts_the_answer_s_one_integer() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "store.increment('pages', name, by=1)",
        "return {'page': name, 'visits': store.get('pages', name).get('visits', 0)}",
    ]
    lines, notes = repair(written, inputs=Inputs(counter="visits"))
    assert lines[0] == "_counted = store.increment('pages', name, 'visits', by=1)"
    assert "store.increment(t, key) -> store.increment(t, key, 'visits')" in notes
    assert repair(written, inputs=Inputs())[0] == written  # no single count: left to the checks


def test_the_counter_is_the_one_integer_the_operation_answers(tmp_path) -> None:
    from bdev.specfirst.build import build_plan
    from bdev.specfirst.fill.repair import inputs_of
    from bdev.specfirst.loader import load_spec

    spec = tmp_path / "c.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: C, version: '1'}\npaths:\n  /pages/{name}/visits:\n"
        "    post:\n      operationId: visit\n      parameters:\n        - {name: name, in: "
        "path, required: true, schema: {type: string}}\n      responses:\n        '200':\n"
        "          description: ok\n          content:\n            application/json:\n"
        "              schema: {type: object, properties: {page: {type: string}, id: {type: "
        "integer}, visits: {type: integer}}}\n"
    )
    assert inputs_of(build_plan(load_spec(spec), "c.yaml"), "visit").counter == "visits"


def test_a_file_response_returns_the_bytes_not_a_dict_of_them() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "buffer = io.BytesIO()",
        "img.save(buffer, format='PNG')",
        "return {'id': id, 'width': width, 'thumbnail': buffer.getvalue()}",
    ]
    lines, notes = repair(written, inputs=Inputs(file_reply=True))
    assert lines[2] == "return buffer.getvalue()"
    assert notes == ["return {..., 'file': data} -> return data (the response is the file)"]
    assert repair(written, inputs=Inputs())[0] == written  # a JSON answer keeps its dict


def test_a_page_escapes_its_values_not_its_own_tags() -> None:
    written = ["return html.escape(f\"<h1>{user['username']}</h1><p>{bio}</p>\")"]
    lines, notes = repair(written)
    assert lines == [
        "return f\"<h1>{html.escape(str(user['username']))}</h1><p>{html.escape(str(bio))}</p>\""
    ]
    assert notes == ["html.escape(f'<p>{x}</p>') -> f'<p>{html.escape(str(x))}</p>'"]
    plain = ["return html.escape(f'{bio} and more')"]  # no tags: a value, escaped as it is
    assert repair(plain)[0] == plain


def test_a_redirect_object_is_its_target() -> None:
    lines, _ = repair(["row = store.require('links', code)", "return Redirect(row['url'])"])
    assert lines[1] == "return row['url']"


def test_a_key_owner_s_other_fields_are_read_from_its_row() -> None:
    from bdev.specfirst.fill.repair import Inputs

    written = [
        "if principal is None:",
        "    raise ApiError(401, 'no key')",
        "return {'id': principal['sub'], 'username': principal['username'],"
        " 'role': principal.get('role', 'member')}",
    ]
    inputs = Inputs(principal=True, int_caller=True, caller_table="members")
    lines, notes = repair(written, inputs=inputs)
    assert lines[2] == (
        "return {'id': int(principal['sub']), "
        "'username': store.require('members', int(principal['sub']))['username'], "
        "'role': store.require('members', int(principal['sub'])).get('role', 'member')}"
    )
    assert "principal['username'] -> the caller's row's 'username'" in notes
    assert repair(written, inputs=Inputs(principal=True))[0] == written  # claims of a token


def test_rows_a_read_s_words_hide_are_left_out_of_its_listing() -> None:
    from bdev.specfirst.fill.mentions import visibility
    from bdev.specfirst.fill.repair import Inputs

    said = ["GET /search returns matching documents.", "Private documents never show up."]
    assert visibility(said, {"private", "pinned"}) == (("private",), ())
    assert visibility(["Only published posts are listed."], {"published"}) == ((), ("published",))
    body = ["rows = store.list('documents')", "return [r for r in rows if q in r['title']]"]
    lines, notes = repair(body, inputs=Inputs(hidden=("private",)))
    assert lines[0] == (
        "rows = [_row for _row in store.list('documents') if not _row.get('private')]"
    )
    assert notes == ["store.list(...) -> the rows where not _row.get('private')"]
    # A body that names the flag itself decides for itself.
    own = ["rows = store.list('documents')", "return [r for r in rows if not r['private']]"]
    assert repair(own, inputs=Inputs(hidden=("private",)))[0] == own


def test_an_except_of_something_that_is_no_exception_is_dropped() -> None:
    written = [
        "from subprocess import CompletedProcess",
        "try:",
        "    out = run_command(['getent', 'hosts', host])",
        "    return {'addresses': out.stdout.split()}",
        "except CompletedProcess as e:",
        "    raise ApiError(404, 'not found')",
    ]
    lines, notes = repair(written)
    # `except CompletedProcess` meant "if the program failed": it becomes that check.
    assert lines[1:] == [
        "e = run_command(['getent', 'hosts', host])",
        "if e.returncode != 0:",
        "    raise ApiError(404, 'not found')",
        "out = e",
        "return {'addresses': out.stdout.split()}",
    ]
    assert notes == ["except CompletedProcess -> if <result>.returncode != 0"]
    # Any other class that is no exception is dropped.
    other = ["try:", "    x = 1", "except len:", "    x = 2", "return x"]
    lines, notes = repair(other)
    assert lines == ["x = 1", "return x"] and notes == ["except len (not an exception) -> dropped"]
    mixed = ["try:", "    x = int(v)", "except (ValueError, len):", "    x = 0", "return x"]
    assert repair(mixed)[0][2] == "except ValueError:"


def test_a_count_increment_returned_is_the_one_answered() -> None:
    written = [
        "if len(name) > 100:",
        "    raise ApiError(400, 'too long')",
        "store.increment('pages', name, 'visits', by=1)",
        "return {'page': name, 'visits': store.count('pages', filters={'name': name})}",
    ]
    lines, notes = repair(written)
    assert lines[2:] == [
        "_counted = store.increment('pages', name, 'visits', by=1)",
        "return {'page': name, 'visits': _counted}",
    ]
    assert notes == ["store.increment(...) dropped -> its new value answers 'visits'"]
    kept = ["n = store.increment('pages', name, 'visits')", "return {'visits': n}"]
    assert repair(kept)[0] == kept


def test_is_finite_on_a_number_is_math_isfinite() -> None:
    written = [
        "result = evaluate_arithmetic(body.expression)",
        "if not result.is_finite():",
        "    raise ApiError(400, 'x')",
        "return result",
    ]
    lines, notes = repair(written)
    assert lines[1] == "if not math.isfinite(result):"
    assert notes == ["x.is_finite() -> math.isfinite(x)"]


def test_an_error_answered_as_a_success_is_raised_as_the_documented_error() -> None:
    from bdev.specfirst.fill.habits import Inputs

    written = [
        "found = lookup(name)",
        "if found is None:",
        '    return {"error": "Host not found"}',
        "return {'host': name}",
    ]
    lines, notes = repair(written, inputs=Inputs(errors=(400, 404)))
    assert lines[2] == "    raise ApiError(404, 'Host not found')"
    assert notes == ["return {'error': ...} -> raise ApiError(documented status, ...)"]
    # Which of several is meant is read from the message; nothing meant, nothing changed.
    vague = ["if x:", '    return {"error": "bad thing"}', "return {}"]
    assert repair(vague, inputs=Inputs(errors=(404, 409)))[0] == vague
    taken = ["if x:", '    return {"detail": "name already taken"}', "return {}"]
    assert repair(taken, inputs=Inputs(errors=(404, 409)))[0][1] == (
        "    raise ApiError(409, 'name already taken')"
    )
    # No error documented: a reply that is an object with an `error` field stays.
    assert repair(vague, inputs=Inputs())[0] == vague


def test_a_sort_turned_against_the_stated_order_is_turned_back() -> None:
    from bdev.specfirst.fill.habits import Inputs

    written = [
        "rows = store.list('orders')",
        "if sort == 'total':",
        "    return sorted(rows, key=lambda r: r['total'], reverse=True)",
        "rows.sort(key=lambda r: r['id'], reverse=True)",
        "return rows",
    ]
    lines, notes = repair(written, inputs=Inputs(descending=False))
    assert lines[2] == "    return sorted(rows, key=lambda r: r['total'], reverse=False)"
    assert lines[3] == "rows.sort(key=lambda r: r['id'], reverse=False)"
    assert notes == ["reverse=True -> reverse=False (sorted ascending)"]
    # Unstated, or already the stated order: as written.
    assert repair(written, inputs=Inputs())[0] == written
    assert repair(written, inputs=Inputs(descending=True))[0] == written


def test_the_words_state_a_sort_order() -> None:
    from bdev.specfirst.wording import stated_order

    assert stated_order("sorted ascending by the column named in `sort`") is False
    assert stated_order("GET /posts lists them newest first") is True
    assert stated_order("sorted by id") is None
    assert stated_order("ascending or descending, as `dir` says") is None
