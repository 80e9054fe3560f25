"""common.operations: the declared operations are consistent with the contract's shared rules.

The declaration states every status of every operation; these checks keep
the rules all operations share (API.md's Conventions) from drifting when one
is added or changed.
"""

from __future__ import annotations

import pytest

from common.operations import OPERATIONS, TAGS, Operation, by_id, find, operation

IDS = [f"{o.method} {o.path}" for o in OPERATIONS]


def test_operations_are_declared_once() -> None:
    assert len({o.key for o in OPERATIONS}) == len(OPERATIONS)
    assert len({o.operation_id for o in OPERATIONS}) == len(OPERATIONS)


def test_lookups() -> None:
    assert operation("get", "/books/{id}") is by_id("get_book")
    assert find("GET", "/nowhere") is None


@pytest.mark.parametrize("declared", OPERATIONS, ids=IDS)
def test_shared_statuses(declared: Operation) -> None:
    errors = set(declared.errors)
    assert declared.tag in dict(TAGS)
    assert declared.summary and declared.description
    # A token that is read can be refused.
    assert (401 in errors) == (declared.auth != "none")
    # A body can be malformed or too large.
    assert {400, 413} <= errors or declared.body is None and declared.operation_id != "token"
    # Everything but /health is rate limited and answers 503 when a dependency is down.
    if declared.path != "/health":
        assert {429, 503} <= errors
    assert declared.status not in errors
    assert set(declared.oauth_errors) <= errors and set(declared.answer_errors) <= errors


def test_public_operations_are_the_contracts() -> None:
    """API.md: register, token, refresh, password reset and its confirm, book reads, health."""
    public = {o.key for o in OPERATIONS if o.public}
    assert {
        ("POST", "/auth/register"), ("POST", "/auth/token"), ("POST", "/auth/refresh"),
        ("POST", "/auth/password-reset"), ("POST", "/auth/password-reset/confirm"),
        ("GET", "/books"), ("GET", "/books/{id}"), ("GET", "/health"),
    } <= public
