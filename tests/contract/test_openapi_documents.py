"""The three OpenAPI documents state the same API, and what they state is what the API does.

Three generators (drf-spectacular, FastAPI, spectree for Flask) write one
document each, from each framework's own code. These tests compare the three
(in the normal form of tests/contract/openapi_normal_form.py: security and
the words for clients included), check that each states every route its
framework serves and no other, and that what a document promises (security,
bounds, parameters) is what the API does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from starlette.testclient import TestClient

from books.rules import year_max
from common import constraints as c
from tests.contract.conftest import PREFIXES, Api, assert_error, bearer, detail_fields
from tests.contract.openapi_normal_form import differences, normal_form

PATH_PARAMETER = re.compile(r"\{[^}]+\}")

# Differences the comparison accepts, each with its reason. Everything else
# (paths, methods, parameters, request bodies, response status codes and
# response shapes) must be identical. Besides these, the normal form itself
# ignores prose, component names, path-parameter names (`{book_id}` in
# FastAPI, `{id}` elsewhere: FastAPI names them after the function argument)
# and the OpenAPI 3.0 / 3.1 spellings of "nullable".
ALLOWED_DIFFERENCES: set[str] = set()


def _document(client: TestClient, prefix: str) -> dict[str, Any]:
    response = client.get(f"{prefix}/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operation(document: dict[str, Any], prefix: str, path: str, method: str) -> dict[str, Any]:
    paths = document["paths"]
    return (paths.get(prefix + path) or paths[path])[method]


def _parameter_schema(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


def _body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    return document["components"]["schemas"][name]["properties"]


def test_the_three_documents_agree(client: TestClient) -> None:
    forms = {prefix: normal_form(_document(client, prefix), prefix) for prefix in PREFIXES}
    first, *others = PREFIXES
    for other in others:
        found = [d for d in differences(forms[first], forms[other])
                 if d not in ALLOWED_DIFFERENCES]
        assert found == [], f"{first} vs {other}:\n" + "\n".join(found)


def _operations(document: dict[str, Any], prefix: str) -> dict[tuple[str, str], Any]:
    """`{("GET", "/books/{id}"): operation}` of a document: prefix removed, parameters `{id}`."""
    found = {}
    for path, operations in document["paths"].items():
        where = PATH_PARAMETER.sub("{id}", path.removeprefix(prefix))
        for method, operation in operations.items():
            found[(method.upper(), where)] = operation
    return found


def test_the_three_documents_state_the_same_operations(client: TestClient) -> None:
    keys = {prefix: set(_operations(_document(client, prefix), prefix)) for prefix in PREFIXES}
    first, *others = PREFIXES
    assert keys[first]
    for other in others:
        assert keys[other] == keys[first], other


# The probe for "which methods does this path serve": one no route has.
UNROUTED_METHOD = "TRACE"
# Answered by every framework for every GET route, and never documented.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def test_each_documented_path_serves_exactly_the_documented_methods(api: Api) -> None:
    """A method no route has is a 405 whose `Allow` lists what the framework serves there."""
    operations = _operations(api.get("/openapi.json").json(), api.prefix)
    documented: dict[str, set[str]] = {}
    for method, path in operations:
        documented.setdefault(path, set()).add(method)
    for path, methods in documented.items():
        response = api.request(UNROUTED_METHOD, path.replace("{id}", "1"))
        assert response.status_code == 405, (path, response.status_code)
        allowed = {m.strip().upper() for m in response.headers["Allow"].split(",") if m.strip()}
        assert allowed - IMPLICIT_METHODS == methods, path


def test_tags_are_listed_in_one_order(api: Api) -> None:
    document = api.get("/openapi.json").json()
    assert [tag["name"] for tag in document["tags"]] == ["auth", "users", "books", "demos",
                                                         "health"]


# API.md: these work without a token and are documented as public.
PUBLIC_BY_CONTRACT = {
    ("POST", "/auth/register"), ("POST", "/auth/token"), ("POST", "/auth/refresh"),
    ("POST", "/auth/password-reset"), ("POST", "/auth/password-reset/confirm"),
    ("GET", "/books"), ("GET", "/books/{id}"), ("GET", "/health"),
}


def _is_public(operation: dict[str, Any]) -> bool:
    security = operation.get("security")
    return not security or {} in security


def test_the_contracts_public_operations_are_documented_public(api: Api) -> None:
    operations = _operations(api.get("/openapi.json").json(), api.prefix)
    for key in PUBLIC_BY_CONTRACT:
        assert _is_public(operations[key]), key


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": headers}
    if (method, path) == ("POST", "/auth/token"):  # a form, not JSON
        kwargs["data"] = {"grant_type": "password", "username": "nobody", "password": "x"}
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return api.request(method, path.replace("{id}", "1"), **kwargs).status_code


def test_the_documented_security_is_the_enforced_one(api: Api) -> None:
    """Without a token: 401 exactly where a token is documented as required.
    With a bad one: 401 exactly where the document lists a token at all."""
    operations = _operations(api.get("/openapi.json").json(), api.prefix)
    publics = [_is_public(documented) for documented in operations.values()]
    assert any(publics) and not all(publics)
    for (method, path), documented in sorted(operations.items()):
        without = _call(api, method, path, {})
        assert (without == 401) == (not _is_public(documented)), (method, path, without)
        with_bad = _call(api, method, path, bearer("not-a-token"))
        assert (with_bad == 401) == bool(documented.get("security")), (method, path, with_bad)


def test_no_component_is_an_orphan(api: Api) -> None:
    document = api.get("/openapi.json").json()
    text = str(document["paths"])
    schemas = document["components"]["schemas"]
    reached: set[str] = set()
    todo = set(re.findall(r"#/components/schemas/([\w.-]+)", text))
    while todo:
        name = todo.pop()
        reached.add(name)
        todo |= set(re.findall(r"#/components/schemas/([\w.-]+)", str(schemas[name]))) - reached
    assert set(schemas) - reached == set()


# Words for people that are about the code, not the API.
IMPLEMENTATION_WORDS = re.compile(
    r"APIView|ViewSet|\.py\b|model_dump|serializer|NOTES|docstring", re.IGNORECASE)


def test_words_are_written_for_clients(api: Api) -> None:
    document = api.get("/openapi.json").json()
    words = [document["info"].get("description", "")]
    for operation in _operations(document, api.prefix).values():
        words += [operation.get("summary", ""), operation.get("description", "")]
        words += [answer.get("description", "") for answer in operation["responses"].values()]
    words += [schema.get("description", "")
              for schema in document["components"]["schemas"].values()]
    assert [w for w in words if IMPLEMENTATION_WORDS.search(w)] == []


def test_the_username_rule_means_the_same_in_every_regex_dialect(api: Api) -> None:
    """Django accepts letters of every script; `\\w` would mean ASCII to an ECMA-262 client."""
    document = api.get("/openapi.json").json()
    register = _body_schema(document, _operation(document, api.prefix, "/auth/register", "post"))
    username = register["username"]
    assert "\\w" not in username.get("pattern", "")
    name = "Ünïcødé_ßø"
    assert re.search(username.get("pattern", ""), name)
    response = api.post("/auth/register", json={"username": name, "email": "u@example.com",
                                               "password": "Tr0mbone-Quartz-Lantern"})
    assert response.status_code == 201, response.text


def test_list_parameters_are_the_ones_the_lists_read(api: Api) -> None:
    document = api.get("/openapi.json").json()
    books = _operation(document, api.prefix, "/books", "get")
    users = _operation(document, api.prefix, "/users", "get")
    assert [p["name"] for p in books["parameters"]] == list(c.BOOK_LIST_PARAMS)
    assert [p["name"] for p in users["parameters"]] == list(c.USER_LIST_PARAMS)
    for operation, integers in ((books, c.BOOK_LIST_INTEGERS), (users, c.USER_LIST_INTEGERS)):
        for parameter in operation["parameters"]:
            expected = "integer" if parameter["name"] in integers else "string"
            assert parameter["schema"]["type"] == expected, parameter


def test_documents_state_the_enforced_constraints(api: Api) -> None:
    document = api.get("/openapi.json").json()
    books = _operation(document, api.prefix, "/books", "get")
    assert _parameter_schema(books, "year_from") == {
        "type": "integer", "minimum": c.YEAR_MIN, "maximum": year_max()}
    assert _parameter_schema(books, "page_size")["maximum"] == c.MAX_PAGE_SIZE
    assert _parameter_schema(books, "page_size")["default"] == c.DEFAULT_PAGE_SIZE
    assert _parameter_schema(books, "page")["minimum"] == c.PAGE_MIN
    assert _parameter_schema(books, "sort")["pattern"] == c.sort_pattern()
    users = _operation(document, api.prefix, "/users", "get")
    assert _parameter_schema(users, "role")["enum"] == list(c.ROLES)

    register = _body_schema(document, _operation(document, api.prefix, "/auth/register", "post"))
    assert register["username"]["minLength"] == c.USERNAME_MIN
    assert register["username"]["maxLength"] == c.USERNAME_MAX
    assert register["password"]["minLength"] == 8  # Django's MinimumLengthValidator default
    assert register["email"]["maxLength"] == c.EMAIL_MAX
    book = _body_schema(document, _operation(document, api.prefix, "/books", "post"))
    assert (book["title"]["minLength"], book["title"]["maxLength"]) == (1, c.TITLE_MAX)
    assert (book["year"]["minimum"], book["year"]["maximum"]) == (c.YEAR_MIN, year_max())
    assert book["description"]["maxLength"] == c.DESCRIPTION_MAX


def test_every_operation_with_a_body_documents_400_and_413(api: Api) -> None:
    document = api.get("/openapi.json").json()
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), operation.get("summary")


@pytest.mark.parametrize(
    ("name", "valid", "invalid"),
    [
        ("year_from", c.YEAR_MIN, c.YEAR_MIN - 1),
        ("year_to", year_max(), year_max() + 1),
        ("page", c.PAGE_MIN, c.PAGE_MIN - 1),
        ("page_size", c.MAX_PAGE_SIZE, c.MAX_PAGE_SIZE + 1),
        ("sort", "year:desc, title", "year:up"),
        ("search", "x" * c.SEARCH_MAX, "x" * (c.SEARCH_MAX + 1)),
    ],
)
def test_the_documented_bounds_are_the_enforced_ones(
    api: Api, name: str, valid: object, invalid: object
) -> None:
    document = api.get("/openapi.json").json()
    schema = _parameter_schema(_operation(document, api.prefix, "/books", "get"), name)
    if "pattern" in schema and isinstance(valid, str) and name == "sort":
        pattern = str(schema["pattern"])
        assert re.match(pattern, str(valid)) and not re.match(pattern, str(invalid))
    assert api.get("/books", params={name: valid}).status_code == 200
    response = api.get("/books", params={name: invalid})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [name]


# --- query values a schema calls one integer ----------------------------------------------


@pytest.mark.parametrize("name", ["page", "page_size", "year_from", "year_to"])
def test_an_empty_integer_parameter_is_422(api: Api, name: str) -> None:
    response = api.client.get(f"{api.prefix}/books?{name}=")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [name]


@pytest.mark.parametrize("query", ["page=1&page=2", "sort=id&sort=year", "search=a&search=b"])
def test_a_repeated_parameter_is_422(api: Api, query: str) -> None:
    response = api.client.get(f"{api.prefix}/books?{query}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [query.split("=")[0]]


def test_a_repeated_user_list_parameter_is_422(api: Api, admin_tokens: Any) -> None:
    response = api.client.get(f"{api.prefix}/users?page_size=5&page_size=6",
                              headers=admin_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["page_size"]


# --- drf-spectacular's own validation ------------------------------------------------------


def test_drf_spectacular_validates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "drf.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(target))
    assert target.stat().st_size > 0


# --- JSON Schema's "integer" ------------------------------------------------------------------


def test_an_integral_number_is_an_integer(api: Api, alice_tokens: Any) -> None:
    """1999.0 is the integer 1999 in JSON, and matches `{"type": "integer"}`."""
    response = api.post("/books", json={"title": "Dune", "author": "F. H.", "year": 1999.0},
                        headers=alice_tokens.headers)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["year"] == 1999
    assert '"year":1999,' in response.text


@pytest.mark.parametrize("year", [1999.5, "1999", True])
def test_other_numbers_strings_and_booleans_are_not(
    api: Api, alice_tokens: Any, year: object
) -> None:
    response = api.post("/books", json={"title": "Dune", "author": "F. H.", "year": year},
                        headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["year"]
