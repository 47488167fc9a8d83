"""Reading and validating specs: errors name the file and the JSON path."""

from __future__ import annotations

import pytest
from specfirst_support import SPECS

from bdev.errors import BdevError
from bdev.specfirst import build_plan, load_spec

INVALID = SPECS / "invalid"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bad_ref.yaml",
            "at paths./items.get.responses.200.content.application/json.schema.$ref: "
            "reference '#/components/schemas/Nope' points nowhere",
        ),
        ("missing_responses.yaml", 'at paths./items.get: "responses" is a required property'),
        (
            "wrong_type.yaml",
            "at paths./items.get.parameters[0].schema.maximum: 'lots' is not of type 'number'",
        ),
        ("not_yaml.yaml", "not valid YAML: line 3, column 1"),
    ],
)
def test_invalid_spec_names_the_json_path(name: str, expected: str) -> None:
    with pytest.raises(BdevError) as info:
        load_spec(INVALID / name)
    message = str(info.value)
    assert message.startswith(str(INVALID / name))
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "where"),
    [("mutual_tls.yaml", "at components.securitySchemes.client_cert.type: security scheme")],
)
def test_unsupported_feature_names_the_json_path(name: str, where: str) -> None:
    with pytest.raises(BdevError, match="is not supported by `bdev new`") as info:
        build_plan(load_spec(INVALID / name), name)
    assert where in str(info.value)


def test_a_path_naming_a_parameter_twice_is_refused(tmp_path) -> None:
    spec = tmp_path / "twice.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}/b/{id}:\n"
        "    get:\n      parameters:\n"
        "        [{in: path, name: id, required: true, schema: {type: string}}]\n"
        "      responses: {'200': {description: ok}}\n"
    )
    with pytest.raises(
        BdevError, match=r"at paths\./a/\{id\}/b/\{id\}: a path naming parameter 'id' twice"
    ):
        build_plan(load_spec(spec), "twice.yaml")


def test_once_refused_features_now_build() -> None:
    """Cookie API keys, multipart bodies and callbacks (noted as not served)."""
    assert (
        build_plan(load_spec(INVALID / "cookie_auth.yaml")).security_schemes["session"].location
        == "cookie"
    )
    body = build_plan(load_spec(INVALID / "multipart.yaml")).operations[0].body
    assert body is not None and body.encoding == "multipart"
    plan = build_plan(load_spec(INVALID / "callbacks.yaml"))
    assert plan.not_served == [
        "paths./subscribe.post.callbacks: requests it sends back to the caller"
    ]


def test_wrong_openapi_version_is_refused(tmp_path) -> None:
    spec = tmp_path / "swagger.yaml"
    spec.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(BdevError, match=r"field 'openapi' must be 3.0.x or 3.1.x, found '2.0'"):
        load_spec(spec)


def test_remote_refs_are_refused(tmp_path) -> None:
    spec = tmp_path / "remote.json"
    spec.write_text(
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": '
        '{"responses": {"200": {"$ref": "https://example.com/r.json"}}}}}}'
    )
    with pytest.raises(
        BdevError, match=r"at paths./a.get.responses.200.\$ref: only local references"
    ):
        load_spec(spec)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(BdevError, match="cannot read the spec"):
        load_spec(tmp_path / "nope.yaml")


def test_json_and_yaml_specs_load() -> None:
    assert load_spec(SPECS / "apikey.json")["info"]["title"] == "Reports API"
    assert load_spec(SPECS / "items.yaml")["openapi"] == "3.0.3"
