"""A normal form of an OpenAPI document, to compare the three prefixes' documents.

What is compared, per operation: paths (prefix removed, path parameters
renamed `{id}`), methods, the words written for clients (operation id,
tags, summary, description, each response's description, each query
parameter's description), security (which alternatives, in any order; none
and an empty list alike), parameters (name, place, required, schema),
request bodies (media types and schemas) and responses (status codes, media
types, schemas).
What is not: the words inside schemas (titles and field descriptions: FastAPI
titles every field, DRF writes help texts), component names (every `$ref`
is resolved in place), the path parameters' own names and words, and the
ways OpenAPI 3.0 and 3.1 spell "nullable".
"""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]

# Words for people, not rules for machines.
PROSE = {"description", "summary", "title", "example", "examples", "operationId", "tags",
         "externalDocs", "readOnly", "writeOnly", "deprecated"}
METHODS = ("get", "put", "post", "delete", "patch")
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def _resolve(document: Json, node: Any, seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_resolve(document, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return {"$ref": name}
        target = document["components"]["schemas"][name]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(document, merged, (*seen, name))
    return {key: _resolve(document, value, seen) for key, value in node.items()
            if key not in PROSE}


def _nullable(schema: Any) -> Any:
    """`anyOf: [X, {type: null}]`, `type: [X, "null"]` and `nullable: true` -> one form."""
    if isinstance(schema, list):
        return [_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _nullable(value) for key, value in schema.items()}
    options = schema.get("anyOf") or schema.get("oneOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        outer = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        inner = rest[0] if len(rest) == 1 else {"anyOf": rest}
        return {**inner, **outer, "nullable": True}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        others = [k for k in kind if k != "null"]
        schema = {**schema, "type": others[0] if len(others) == 1 else others, "nullable": True}
    if schema.get("nullable") is False:
        del schema["nullable"]
    if isinstance(schema.get("required"), list):
        schema["required"] = sorted(schema["required"])  # a set, written as a list
    return schema


def _schema(document: Json, schema: Any) -> Any:
    return _nullable(_resolve(document, schema or {}))


# Response schemas are compared by shape only: what a client parses. Their
# validation keywords (format, lengths, patterns, enums) describe data the
# server writes; Schemathesis checks real responses against each document.
SHAPE = {"type", "properties", "required", "items", "nullable", "additionalProperties"}


def _shape(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_shape(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept = {key: value for key, value in schema.items() if key in SHAPE}
    if "properties" in kept:
        kept["properties"] = {name: _shape(value) for name, value in kept["properties"].items()}
    if "items" in kept:
        kept["items"] = _shape(kept["items"])
    if isinstance(kept.get("additionalProperties"), dict):
        kept["additionalProperties"] = _shape(kept["additionalProperties"])
    return kept


def _content(document: Json, content: Json | None, *, shape_only: bool = False) -> Json:
    return {
        media: _shape(_schema(document, body.get("schema"))) if shape_only
        else _schema(document, body.get("schema"))
        for media, body in (content or {}).items()
    }


def _security(alternatives: list[Json] | None) -> list[list[str]]:
    """`[{"OAuth2PasswordBearer": []}, {}]` -> `[[], ["OAuth2PasswordBearer"]]`."""
    return sorted(sorted(alternative) for alternative in alternatives or [])


def normal_form(document: Json, prefix: str) -> Json:
    """`{("GET", "/books/{id}"): {...}}`-like dict of everything compared."""
    result: Json = {}
    for path, operations in document["paths"].items():
        where = path[len(prefix):] if path.startswith(prefix + "/") else path
        where = _PATH_PARAMETER.sub("{id}", where)
        for method in METHODS:
            if method not in operations:
                continue
            operation = operations[method]
            parameters = {
                (p["in"], "id" if p["in"] == "path" else p["name"]): {
                    "required": p.get("required", False),
                    "schema": _schema(document, p.get("schema")),
                }
                for p in operation.get("parameters", [])
            }
            body = operation.get("requestBody")
            result[f"{method.upper()} {where}"] = {
                "parameters": parameters,
                "requestBody": None if body is None else {
                    "required": body.get("required", False),
                    "content": _content(document, body.get("content")),
                },
                "responses": {
                    status: _content(document, response.get("content"), shape_only=True)
                    for status, response in operation.get("responses", {}).items()
                },
                "security": _security(operation.get("security", document.get("security"))),
                "words": {
                    "operationId": operation.get("operationId"),
                    "tags": operation.get("tags", []),
                    "summary": operation.get("summary"),
                    "description": operation.get("description") or "",
                    "responses": {status: response.get("description")
                                  for status, response in operation.get("responses", {}).items()},
                    "query": {p["name"]: p.get("description") or ""
                              for p in operation.get("parameters", []) if p["in"] == "query"},
                },
            }
    return result


def differences(left: Any, right: Any, where: str = "") -> list[str]:
    """Every place where `left` and `right` differ, as readable paths."""
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            if key not in left:
                found.append(f"{where}/{key}: only in the second")
            elif key not in right:
                found.append(f"{where}/{key}: only in the first")
            else:
                found.extend(differences(left[key], right[key], f"{where}/{key}"))
        return found
    if left != right:
        return [f"{where}: {left!r} != {right!r}"]
    return []
