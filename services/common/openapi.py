"""OpenAPI that tells the truth: every operation documents the problem+json answers it can give.

Installed by the app factories (services/common/app.py, gateway/main.py): after FastAPI has
built the document, each operation gets the statuses the kernel can answer for it, each with
the ``Problem`` schema (RFC 9457, ``errors: [{loc, msg}]`` for validation) as
``application/problem+json``:

- every operation: 401 (no or bad token), 403 (role may not), 404 (not found, or not visible
  to the actor), 422 (input policy, validation, rules), 503 (database away; ``Retry-After``);
- every operation but reads (GET/HEAD): 409 (a newer version, a duplicate, a race).

Statuses a route declares itself keep their description; FastAPI's own 422 schema
(``HTTPValidationError``) is replaced by the one really sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details (application/problem+json)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array", "items": {}}, "msg": {"type": "string"}},
                "required": ["loc", "msg"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

DESCRIPTIONS = {
    400: "リクエストが正しくありません (problem+json)",
    401: "トークン・セッションがないか無効です (problem+json)",
    403: "この役割では行えません (problem+json)",
    404: "見つからないか、見る権限がありません (problem+json)",
    409: "競合: 他の人が先に更新したか、同じデータが既にあります (problem+json)",
    413: "データが大きすぎます (problem+json)",
    422: "入力内容の誤り (problem+json, errors: [{loc, msg}])",
    503: "データベースまたはサービスが一時的に使えません (problem+json, Retry-After)",
}

ALL = (401, 403, 404, 422, 503)
WRITES = (409,)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _problem_content() -> dict[str, Any]:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


NOT_MODIFIED = {
    "description": (
        "変更なし: If-None-Match の ETag が今も有効です (本文なし; services/common/conditional.py)"
    ),
    "headers": {"ETag": {"schema": {"type": "string"}, "description": "同じ ETag"}},
}


def document_problems(
    schema: dict[str, Any], *, paths: tuple[str, ...] = ("/",), conditional: bool = False
) -> None:
    """Add the problem answers to every operation whose path starts with one of ``paths``;
    ``conditional``: the GETs also answer 304 to a conditional request."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(paths):
            continue
        for method, op in item.items():
            if method not in _METHODS or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            if conditional and method == "get" and "200" in responses:
                responses.setdefault("304", NOT_MODIFIED)
            statuses = ALL + (() if method in ("get", "head") else WRITES)
            if "requestBody" in op:
                statuses += (400,)  # a body that cannot be read (malformed JSON or form)
            for code in sorted({*statuses, *(int(c) for c in responses if c.isdigit())}):
                if code < 400:
                    continue
                entry = responses.setdefault(str(code), {})
                entry.setdefault("description", DESCRIPTIONS.get(code, "エラー (problem+json)"))
                if _is_fastapi_422(entry):
                    entry.pop("content")
                entry.setdefault("content", {}).update(_problem_content())
                if code == 503:
                    entry.setdefault(
                        "headers",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "秒"}},
                    )


def _is_fastapi_422(entry: dict[str, Any]) -> bool:
    ref = entry.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.endswith("/HTTPValidationError")


def install_openapi(
    app: FastAPI, *, paths: tuple[str, ...] = ("/",), conditional: bool = False
) -> None:
    """Wrap ``app.openapi`` (FastAPI's, or one another installer already wrapped) so that the
    document it builds gets :func:`document_problems` once (cached like FastAPI's own)."""
    plain = app.openapi
    done: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = plain()
        if not done:
            document_problems(schema, paths=paths, conditional=conditional)
            done.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def file_answer(
    *media_types: str, description: str = "ファイル", document: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Route arguments of a download: ``@router.get(..., **file_answer("text/csv", XLSX))``
    documents the 200 answer's real content types (a raw Response otherwise shows as JSON).
    ``document``: the JSON schema of a JSON/YAML download (its fields), where there is one."""
    from fastapi import Response

    binary = {"schema": {"type": "string", "format": "binary"}}
    # A JSON or YAML download is a document clients parse (an object), not an opaque string.
    document = {"schema": document or {"type": "object"}}

    def content(media_type: str) -> dict[str, Any]:
        structured = media_type.endswith(("/json", "+json", "/yaml", "+yaml"))
        return document if structured else binary

    return {
        "response_class": Response,
        "responses": {
            200: {"description": description, "content": {m: content(m) for m in media_types}}
        },
    }
