"""The edge's small parts: the Host matcher and FastAPI's route-template adapter."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from common.asgi.notes import NOTES_SCOPE_KEY, RequestNotes
from common.hosts import HostCheck, domain_allowed, host_domain
from mounted_apis.fastapi_app.route_templates import matched_template, with_route_templates


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8000", "localhost"),
        ("example.com.", "example.com"),
        ("[::1]:8000", "[::1]"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("bad host", None),
        ("evil.com/x", None),
        ("", None),
        ("a:b:c", None),
    ],
)
def test_host_domain_reads_name_and_port_like_django(host: str, domain: str | None) -> None:
    assert host_domain(host) == domain


@pytest.mark.parametrize(
    ("domain", "patterns", "allowed"),
    [
        ("localhost", ["localhost"], True),
        ("example.com", [".example.com"], True),
        ("api.example.com", [".example.com"], True),
        ("badexample.com", [".example.com"], False),
        ("anything.org", ["*"], True),
        ("example.com", ["EXAMPLE.com"], True),
        ("example.org", ["example.com"], False),
    ],
)
def test_allowed_hosts_patterns(domain: str, patterns: list[str], allowed: bool) -> None:
    assert domain_allowed(domain, patterns) is allowed


def test_host_check_refuses_malformed_values_and_bounds_its_memory() -> None:
    check = HostCheck(["localhost"])
    assert check.allows(b"localhost:8000")
    assert not check.allows(b"")
    for index in range(HostCheck.MAX_REMEMBERED * 2):
        check.allows(b"forged%d.example" % index)
    assert len(check._verdicts) <= HostCheck.MAX_REMEMBERED


def test_matched_template_is_none_without_a_route() -> None:
    assert matched_template({}) is None


def test_the_fastapi_adapter_records_the_template_of_the_route_that_answered() -> None:
    app = FastAPI()

    @app.get("/items/{item_id:int}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    notes = RequestNotes()
    wrapped = with_route_templates(app)

    async def with_notes(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            scope = dict(scope, root_path="/api/x")
            scope[NOTES_SCOPE_KEY] = notes
        await wrapped(scope, receive, send)

    client = TestClient(with_notes)
    assert client.get("/api/x/items/7").status_code == 200
    assert notes.template == "/api/x/items/{item_id:int}"
    notes.template = None
    assert client.get("/api/x/nowhere").status_code == 404
    assert notes.template is None
