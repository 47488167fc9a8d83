"""Success responses that are not JSON: a PDF or an image as bytes, an HTML page, and a
redirect whose target the handler returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from specfirst_support import MINIMAL, load_service

from bdev.specfirst import Options, build_plan, generate
from bdev.specfirst.codegen.slots import slots_for
from bdev.specfirst.fill.prompt import user_prompt

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Media", "version": "1"},
    "paths": {
        "/report": {"get": {"operationId": "report", "responses": {
            "200": {"description": "The report.",
                    "content": {"application/pdf": {"schema": {"type": "string",
                                                            "format": "binary"}}}}}}},
        "/page": {"get": {"operationId": "page", "responses": {
            "200": {"description": "A page.", "content": {"text/html": {}}}}}},
        "/go/{code}": {"get": {"operationId": "follow", "parameters": [
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"302": {"description": "To the target."},
                          "404": {"description": "No such link."}}}},
    },
}  # fmt: skip
PDF = b"%PDF-1.4 fake\x00\xff"


def answers() -> dict[str, Any]:
    return {
        "report": lambda **_: PDF,
        "page": lambda **_: "<h1>&lt;hi&gt;</h1>",
        "follow": lambda *, code, **_: f"https://example.org/{code}",
    }


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_bytes_pages_and_redirects_are_sent_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    plan = build_plan(SPEC, "media.yaml")
    options = Options(framework=framework, allowed=MINIMAL)  # type: ignore[arg-type]
    generate(plan, options, tmp_path / "svc")
    service = load_service(tmp_path / "svc", plan, options, monkeypatch)
    for name, body in answers().items():
        monkeypatch.setattr(service.handlers(), name, body)
    if framework == "fastapi":
        from fastapi.testclient import TestClient

        client = TestClient(service.module.app, follow_redirects=False)
        pdf, page, go = client.get("/report"), client.get("/page"), client.get("/go/abc")
        bodies = (pdf.content, page.text)
    else:
        client = service.module.app.test_client()
        pdf, page, go = client.get("/report"), client.get("/page"), client.get("/go/abc")
        bodies = (pdf.data, page.get_data(as_text=True))
    assert (pdf.status_code, bodies[0]) == (200, PDF)
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert bodies[1] == "<h1>&lt;hi&gt;</h1>"
    assert (go.status_code, go.headers["Location"]) == (302, "https://example.org/abc")


def test_the_model_is_told_what_to_return() -> None:
    plan = build_plan(SPEC, "media.yaml")
    prompts = {s.operation_id: user_prompt(plan, plan.operation(s.operation_id), s)
               for s in slots_for(plan)}  # fmt: skip
    assert "Success 200: application/pdf (return the content as bytes)" in prompts["report"]
    assert "html.escape" in prompts["page"]
    assert "Success 302: a redirect (return the target URL as a str)" in prompts["follow"]


def test_uploads_and_the_task_s_settings_are_spelled_out() -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Drop", "version": "1"},
        "paths": {"/files": {"post": {"operationId": "upload", "requestBody": {
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "note": {"type": "string"}}}}}},
            "responses": {"201": {"description": "Stored", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}}}},
    }  # fmt: skip
    describe = (
        "Save each upload in the folder given by the UPLOAD_DIR environment variable. "
        "Sign sessions with the secret in APP_SECRET. The operator sends ADMIN_TOKEN."
    )
    plan = build_plan(spec, "drop.yaml", describe=describe)
    (slot,) = slots_for(plan)
    prompt = user_prompt(plan, plan.operation("upload"), slot)
    assert "body: {file: Upload(.filename: str, .content: bytes), note: string}" in prompt
    assert 'Settings (environment): os.environ["UPLOAD_DIR"]\n' in prompt
    assert "APP_SECRET" not in prompt and "ADMIN_TOKEN" not in prompt.split("Requirements")[0]


def test_the_body_limit_rises_to_the_size_the_task_states(tmp_path: Path) -> None:
    from bdev.specfirst.limits import DEFAULT_MAX_BODY, ENVELOPE, max_body_bytes

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Images", "version": "1"},
        "paths": {"/images": {"post": {"operationId": "upload", "responses": {
            "201": {"description": "Stored"},
            "413": {"description": "Over 5 MB, or more than 4096 pixels on a side"}}}}},
    }  # fmt: skip
    assert max_body_bytes(build_plan(spec, "i.yaml")) == 5_000_000 + ENVELOPE
    small = {**spec, "paths": {}}
    assert max_body_bytes(build_plan(small, "s.yaml")) == DEFAULT_MAX_BODY
    said = build_plan(small, "s.yaml", describe="Files bigger than 20 MiB are refused. Hi 3 MB.")
    assert max_body_bytes(said) == 20 * 1024 * 1024 + ENVELOPE  # "3 MB" states no limit
    plan = build_plan(spec, "i.yaml")
    generate(plan, Options(framework="flask", allowed=MINIMAL, single_file=True), tmp_path)
    assert f'"APP_MAX_BODY_BYTES", "{5_000_000 + ENVELOPE}"' in (tmp_path / "app.py").read_text()


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_a_download_called_an_attachment_is_sent_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    octets = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Files", "version": "1"},
        "paths": {
            "/files/{name}": {"get": {
                "operationId": "download", "summary": "Download a file as an attachment",
                "parameters": [name], "responses": {"200": {"description": "The file.",
                                                            "content": octets}}}},
            "/own/{name}": {"get": {
                "operationId": "own", "description": "Sent as an attachment.",
                "parameters": [name], "responses": {"200": {"description": "The file.",
                                                            "content": octets}}}},
            "/view/{name}": {"get": {
                "operationId": "view", "parameters": [name],
                "responses": {"200": {"description": "Shown.", "content": octets}}}},
        },
    }  # fmt: skip
    plan = build_plan(spec, "files.yaml")
    options = Options(framework=framework, allowed=MINIMAL)  # type: ignore[arg-type]
    generate(plan, options, tmp_path / "svc")
    service = load_service(tmp_path / "svc", plan, options, monkeypatch)
    module = service.handlers()
    monkeypatch.setattr(module, "download", lambda **_: b"data")
    monkeypatch.setattr(
        module, "own", lambda **_: module.Reply(b"x", headers={"Content-Disposition": "inline"})
    )
    monkeypatch.setattr(module, "view", lambda **_: b"data")
    if framework == "fastapi":
        from fastapi.testclient import TestClient

        client: Any = TestClient(service.module.app)
    else:
        client = service.module.app.test_client()
    got = client.get('/files/r"ep\u00f6rt.txt')
    assert got.status_code == 200
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=\"r_ep_rt.txt\"; filename*=UTF-8''r%22ep%C3%B6rt.txt"
    )
    assert client.get("/own/a").headers["Content-Disposition"] == "inline"  # the handler's
    assert "Content-Disposition" not in client.get("/view/a").headers  # not said: not added
