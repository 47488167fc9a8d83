"""Endpoints from OpenAPI documents, and how they merge with the ones found in code."""

from __future__ import annotations

import json
from pathlib import Path

from bdev.backend.analyze import analyze, endpoints_from_openapi, merge_endpoints
from bdev.backend.facts import Endpoint

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "security": [{"bearer": []}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "security": [],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Pet"},
                                }
                            }
                        }
                    }
                },
            },
            "post": {
                "operationId": "addPet",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}
                    }
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        }
                    }
                },
            },
            "parameters": [{"name": "x", "in": "query"}],
        },
        "/pets/{petId}": {"delete": {"security": [{}], "responses": {"204": {}}}},
    },
}


def test_openapi3_operations() -> None:
    found = {(e.method, e.path): e for e in endpoints_from_openapi(OPENAPI)}
    assert set(found) == {("GET", "/pets"), ("POST", "/pets"), ("DELETE", "/pets/{petId}")}
    listing, adding = found[("GET", "/pets")], found[("POST", "/pets")]
    assert (listing.handler, listing.auth_required, listing.response_model) == (
        "listPets",
        False,  # operation-level `security: []` overrides the global requirement
        "list[Pet]",
    )
    assert (adding.auth_required, adding.request_model, adding.response_model) == (
        True,
        "NewPet",
        "Pet",
    )
    assert found[("DELETE", "/pets/{petId}")].auth_required is False  # [{}]: optional auth
    assert all(e.source == "openapi" and e.location is None for e in found.values())


def test_swagger2_base_path_and_body_parameter() -> None:
    doc = {
        "swagger": "2.0",
        "basePath": "/v2/",
        "securityDefinitions": {"key": {"type": "apiKey"}},
        "paths": {
            "/store/order": {
                "post": {
                    "security": [{"key": []}],
                    "parameters": [
                        {"in": "body", "name": "b", "schema": {"$ref": "#/definitions/Order"}}
                    ],
                    "responses": {"200": {"schema": {"$ref": "#/definitions/Receipt"}}},
                }
            }
        },
    }
    [endpoint] = endpoints_from_openapi(doc)
    assert (endpoint.method, endpoint.path) == ("POST", "/v2/store/order")
    assert (endpoint.request_model, endpoint.response_model) == ("Order", "Receipt")
    assert endpoint.auth_required is True


def test_merge_keeps_code_and_adds_only_undocumented_routes() -> None:
    code = [Endpoint(method="GET", path="/pets/<int:pet_id>/", handler="pet")]
    documented = [
        Endpoint(method="GET", path="/pets/{petId}", handler="getPet", source="openapi"),
        Endpoint(method="DELETE", path="/pets/{petId}", handler="delPet", source="openapi"),
    ]
    merged = merge_endpoints(code, documented)
    assert [(e.method, e.handler, e.source) for e in merged] == [
        ("GET", "pet", "code"),
        ("DELETE", "delPet", "openapi"),
    ]


def test_document_in_the_tree_is_used(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n@app.get('/pets')\ndef pets(): ...\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "openapi.yaml").write_text(
        "openapi: 3.0.0\npaths:\n  /pets:\n    get: {}\n  /health:\n    get: {}\n"
    )
    (tmp_path / "package.json").write_text(json.dumps({"name": "docs-site"}))
    facts = analyze(tmp_path)
    assert facts.openapi_document == "docs/openapi.yaml"
    assert [(e.path, e.source) for e in facts.endpoints] == [
        ("/pets", "code"),
        ("/health", "openapi"),
    ]
    assert facts.health_endpoints == ["/health"]
