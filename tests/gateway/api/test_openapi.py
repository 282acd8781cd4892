"""The OpenAPI document matches the routes the app really serves, in both directions, and holds together."""

from __future__ import annotations

import re

from tests.gateway.api.conftest import assert_error

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def served_routes(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every /api/v1 route of the app (HEAD and OPTIONS are Flask's own)."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        out |= {(path, method.lower()) for method in rule.methods if method.lower() in HTTP_METHODS}
    return out


def documented_routes(document: dict) -> set[tuple[str, str]]:
    """(path, method) of every operation in the document."""
    return {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


def refs(value) -> list[str]:
    """Every `$ref` in the document."""
    if isinstance(value, dict):
        return [value["$ref"]] if "$ref" in value else [r for v in value.values() for r in refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in refs(v)]
    return []


def test_document_matches_the_routes(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    served = served_routes(app)
    assert ("/api/v1/alerts/{ref}/status", "post") in served, "the walk finds the routes"
    assert served == documented_routes(document)


def test_document_is_openapi_31_with_bearer_and_resolvable_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]
    schemas = document["components"]["schemas"]
    assert {"Error", "Alert", "AlertDetail", "AlertPage", "Event"} <= set(schemas)
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (path, method)
            named = re.findall(r"{([^}]+)}", path)
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert named == params, (path, method)


def test_document_is_public_and_the_rest_needs_a_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert_error(client.get("/api/v1/alerts"), 401, "unauthorized")
    assert_error(client.get("/api/v1"), 404, "not_found")
