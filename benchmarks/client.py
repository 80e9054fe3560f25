"""The few plain HTTP calls a run makes itself, outside wrk.

Standard library only: logging in once per prefix, fetching the first page
of books the bare apps will serve, walking `links.next` to a deep cursor.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT_S = 30


def get_json(url: str, *, token: str | None = None) -> tuple[int, Any]:
    """GET a URL; the status and the decoded JSON body (errors included)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def login(token_url: str, *, username: str, password: str) -> str:
    """The OAuth2 password grant: returns an access token or raises."""
    body = urllib.parse.urlencode(
        {"grant_type": "password", "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(
        token_url, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return str(json.loads(response.read())["access_token"])
