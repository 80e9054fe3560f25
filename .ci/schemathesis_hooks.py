"""Schemathesis hooks for .ci/run_schemathesis.py: every request logged in.

The token comes from the prefix's own OAuth2 token endpoint (password
grant). Generated requests may revoke it (`POST /auth/logout`) or even
delete the account (the stateful phase follows `/auth/me`'s id into
`DELETE /users/{id}`): a 401 makes Schemathesis fetch a fresh token
(`retry_on`), and when the account can no longer log in, a new one is
registered through the public `/auth/register`.
"""

from __future__ import annotations

import os
import random
import re
import secrets
from typing import Any

import httpx
import schemathesis


def _login(base: str, username: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "username": username, "password": password}
    return httpx.post(f"{base}/auth/token", data=form, timeout=10)


@schemathesis.auth(refresh_interval=60, retry_on=[401])
class PasswordGrant:
    username = os.environ.get("FUZZ_USERNAME", "fuzzer")
    password = os.environ.get("FUZZ_PASSWORD", "")

    def get(self, case: Any, context: Any) -> str:
        base = os.environ["FUZZ_API_BASE"]
        response = _login(base, self.username, self.password)
        if response.status_code != 200:
            # The account was deleted or changed by a generated request: a new one.
            type(self).username = f"fuzzer-{secrets.token_hex(4)}"
            account = {"username": self.username, "email": f"{self.username}@example.com",
                       "password": self.password}
            httpx.post(f"{base}/auth/register", json=account, timeout=10).raise_for_status()
            response = _login(base, self.username, self.password)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


USER_DETAIL = re.compile(r"/users/\{[^}]+\}$")
BOOK_LIST = re.compile(r"/books$")
BOOK_PATHS = re.compile(r"/books(/\{[^}]+\})?$")


def _isbn13() -> str:
    """A random ISBN-13 with a correct check digit (weights 1, 3, 1, 3, ...)."""
    first12 = "978" + "".join(random.choice("0123456789") for _ in range(9))
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Schema-valid requests completed with what no schema can state.

    Three rules are beyond JSON Schema: a list cursor (signed, from links.next,
    never with `page`), an ISBN's check digit, and a password
    change (`PATCH /users/{id}` with `password`) needs the caller's current
    password and a password Django's validators accept. For generated
    *valid* requests only, fill them in the way a real client would (a real
    ISBN, the secret it knows, a strong new password); invalid requests are
    sent exactly as generated, so rejection is still tested.
    """
    meta = getattr(case, "meta", None)
    positive = meta is not None and str(meta.generation.mode) == "positive"
    if not positive:
        return
    method = case.operation.method.upper()
    path = case.operation.path
    if method == "GET" and BOOK_LIST.search(path) and isinstance(case.query, dict):
        # A cursor is a signed value from links.next, never made up, and it
        # excludes `page`: no schema can say either. Valid requests page by number.
        case.query.pop("cursor", None)
    if not isinstance(case.body, dict):
        return
    if BOOK_PATHS.search(path) and method in ("POST", "PUT", "PATCH"):
        isbn = case.body.get("isbn")
        if isinstance(isbn, str) and isbn.strip():
            case.body["isbn"] = _isbn13()
    if method == "PATCH" and USER_DETAIL.search(path) and "password" in case.body:
        case.body["password"] = f"Fz-{secrets.token_urlsafe(12)}-9"
        case.body["current_password"] = PasswordGrant.password
