"""Nothing tells the prefixes apart: the same security headers and path rules everywhere.

The headers are set once, in front of every framework, by the edge
(common/asgi/edge.py); these tests look at successes, errors
(404, 405, 413, a refused Host) and the paths outside the prefixes.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from common.asgi.edge import Edge, EdgeSettings
from common.asgi.security_headers import hsts_header
from tests.contract.conftest import Api, Tokens, assert_error

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def _security_headers(response: object) -> dict[str, str]:
    headers = response.headers  # type: ignore[attr-defined]
    return {name: headers[name] for name in EXPECTED if name in headers}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/books"),
        ("GET", "/books/999999"),  # 404
        ("GET", "/no-such-path"),  # unknown path
        ("DELETE", "/books"),  # 405
        ("GET", "/openapi.json"),
        ("GET", "/health"),
    ],
)
def test_every_prefix_sends_the_same_security_headers(api: Api, method: str, path: str) -> None:
    response = api.request(method, path)
    assert _security_headers(response) == EXPECTED
    assert "strict-transport-security" not in response.headers  # SECURE_HSTS_SECONDS=0


@pytest.mark.parametrize("path", ["/", "/health", "/admin/login/", "/metrics", "/nowhere"])
def test_paths_outside_the_prefixes_send_them_too(client: TestClient, path: str) -> None:
    assert _security_headers(client.get(path)) == EXPECTED


def test_a_refused_body_and_a_refused_host_carry_them(api: Api) -> None:
    from django.conf import settings

    too_big = api.post("/auth/register", content=b"x" * (settings.MAX_BODY_BYTES + 1),
                       headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    bad_host = api.get("/books", headers={"Host": "evil.example"})
    assert bad_host.status_code == 400
    for response in (too_big, bad_host):
        assert _security_headers(response) == EXPECTED


def test_docs_pages_may_frame_themselves(api: Api) -> None:
    response = api.get("/docs")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"


async def _ok(scope: object, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                "headers": [(b"x-frame-options", b"SAMEORIGIN")]})
    await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]


def test_hsts_is_sent_when_configured_and_replaces_framework_values() -> None:
    config = EdgeSettings(
        allowed_hosts=["testserver"], metrics_allowed_ips=[], max_header_bytes=16_384,
        max_query_params=1000, max_body_bytes=1024, body_timeout=10,
        hsts=hsts_header(31_536_000, include_subdomains=True),
    )
    app = Edge(_ok, config, served_by=lambda path: "django")  # type: ignore[arg-type]
    response = TestClient(app).get("/anything")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert response.headers.get_list("x-frame-options") == ["DENY"]


def test_no_hsts_when_seconds_is_zero() -> None:
    assert hsts_header(0) is None


# --- paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["//books", "//books/1", "/books//1", "//health"])
def test_an_empty_path_segment_is_404_everywhere(api: Api, path: str) -> None:
    assert_error(api.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_writes_to_an_unknown_path_are_404_json(
    api: Api, alice_tokens: Tokens, method: str
) -> None:
    for headers in ({}, alice_tokens.headers):
        response = api.request(method, "/no-such-path", headers=headers)
        assert_error(response, 404, "not_found")
        assert response.headers["content-type"].startswith("application/json")
