"""accounts.rules: one message per broken rule, the same for every framework."""

from __future__ import annotations

import pytest

from accounts import rules
from accounts.models import User
from common.errors import FieldInvalid


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", rules.MSG_BLANK),
        ("ab", "Ensure this field has at least 3 characters."),
        ("x" * 151, "Ensure this field has no more than 150 characters."),
        ("with space", rules.MSG_USERNAME_CHARS),
        ("semi;colon", rules.MSG_USERNAME_CHARS),
        (" alice", rules.MSG_USERNAME_CHARS),  # no silent trimming
    ],
)
def test_clean_username_refuses(value: str, message: str) -> None:
    with pytest.raises(FieldInvalid) as excinfo:
        rules.clean_username(value)
    assert excinfo.value.message == message


@pytest.mark.parametrize("value", ["abc", "a.b+c-d_e@f", "José", "x" * 150])
def test_clean_username_accepts(value: str) -> None:
    assert rules.clean_username(value) == value


@pytest.mark.parametrize("value", ["nope", "a@", "@b.com", "a b@example.com"])
def test_clean_email_refuses(value: str) -> None:
    with pytest.raises(FieldInvalid) as excinfo:
        rules.clean_email(value)
    assert excinfo.value.message == rules.MSG_EMAIL_INVALID


def test_clean_email_refuses_blank_and_too_long() -> None:
    with pytest.raises(FieldInvalid, match="may not be blank"):
        rules.clean_email("")
    with pytest.raises(FieldInvalid, match="no more than 254"):
        rules.clean_email("a" * 250 + "@example.com")


def test_clean_email_lowercases_only_the_domain() -> None:
    assert rules.clean_email("Alice.Smith@Example.COM") == "Alice.Smith@example.com"


def test_check_password_joins_every_validator_message() -> None:
    with pytest.raises(FieldInvalid) as excinfo:
        rules.check_password("1234")
    assert "This password is too short." in excinfo.value.message
    assert "This password is entirely numeric." in excinfo.value.message
    assert "This password is too common." in excinfo.value.message


def test_check_password_compares_with_the_user() -> None:
    candidate = User(username="carolinamaria", email="c@example.com")
    with pytest.raises(FieldInvalid, match="too similar"):
        rules.check_password("carolinamaria1", candidate)


def test_check_password_accepts_a_strong_one() -> None:
    rules.check_password("Tr0mbone-Quartz-Lantern")


def test_clean_role() -> None:
    assert rules.clean_role("admin") == "admin"
    with pytest.raises(FieldInvalid) as excinfo:
        rules.clean_role("god")
    assert excinfo.value.message == '"god" is not a valid choice.'
