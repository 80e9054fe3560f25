"""The canonical identity (accounts.identity) at every Django-side door.

The API's doors (register, token) are tested in tests/contract; these are
the model, the admin's forms and login, the browsable API's session login
(Django's ModelBackend through `get_by_natural_key`) and createsuperuser.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts import rules
from accounts.identity import CANONICAL_MAX, canonical
from accounts.models import User
from common.errors import FieldInvalid

from .conftest import PASSWORD


@pytest.mark.parametrize(
    ("spelling", "form"),
    [
        ("Élodie", "élodie"),
        ("ÉLODIE", "élodie"),
        ("E\u0301lodie", "élodie"),  # decomposed: NFKC composes it
        ("ｉｖｙ", "ivy"),  # full-width: NFKC
        ("ﬁona", "fiona"),  # the fi ligature: NFKC
        ("Straße", "strasse"),  # casefold, not lower
        ("\u0131vy", "\u0131vy"),  # dotless ı stays ı: not ivy
        ("İvy", "i\u0307vy"),  # dotted capital İ: i + combining dot, not ivy either
    ],
)
def test_canonical_form(spelling: str, form: str) -> None:
    assert canonical(spelling) == form


def test_save_fills_the_canonical_columns_even_on_a_partial_save(db: None) -> None:
    user = User.objects.create_user("Élodie", "Elodie@Example.com", PASSWORD)
    assert (user.username_canonical, user.email_canonical) == ("élodie", "elodie@example.com")
    user.email = "NEW@Straße.example"
    user.save(update_fields=["email"])
    user.refresh_from_db()
    assert user.email_canonical == "new@strasse.example"


def test_the_database_refuses_a_second_spelling(db: None) -> None:
    from django.db import IntegrityError, transaction

    User.objects.create_user("élodie", "a@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ÉLODIE", "b@example.com", PASSWORD)


def test_django_authenticate_matches_the_canonical_form(db: None) -> None:
    """ModelBackend: the admin's login and the browsable API's session login."""
    user = User.objects.create_user("élodie", "a@example.com", PASSWORD)
    User.objects.create_user("ivy", "ivy@example.com", PASSWORD)
    assert authenticate(username="ÉLODIE", password=PASSWORD) == user
    assert authenticate(username="\u0131vy", password=PASSWORD) is None


def test_the_admin_login_accepts_another_case_of_the_name(db: None) -> None:
    User.objects.create_superuser("élodie", "a@example.com", PASSWORD)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ÉLODIE", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_add_form_refuses_an_accented_duplicate(db: None) -> None:
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    User.objects.create_user("élodie", "elodie@example.com", PASSWORD)
    client = Client()
    client.login(username="boss", password=PASSWORD)
    form = {"username": "Élodie", "email": "other@example.com", "role": "user",
            "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    response = client.post("/admin/accounts/user/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert b"A user with that username already exists." in response.content


def test_createsuperuser_refuses_an_accented_duplicate(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.create_user("élodie", "elodie@example.com", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    out = StringIO()
    with pytest.raises(CommandError, match="already taken"):
        call_command(
            "createsuperuser", interactive=False, username="ÉLODIE", email="x@example.com",
            stdout=out, stderr=out,
        )
    with pytest.raises(CommandError, match="email already exists"):
        call_command(
            "createsuperuser", interactive=False, username="root", email="Elodie@Example.com",
            stdout=out, stderr=out,
        )


def test_a_name_whose_stored_form_would_not_fit_is_too_long() -> None:
    """U+FDFA is one letter and eighteen after NFKC: the username column (150)
    holds eight of them, not nine."""
    with pytest.raises(FieldInvalid, match="no more than 150 characters"):
        rules.clean_username("\ufdfa" * 150)
    with pytest.raises(FieldInvalid, match="no more than 150 characters"):
        rules.clean_username("\ufdfa" * 9)
    assert len(canonical("\ufdfa" * 30)) <= CANONICAL_MAX
    assert rules.clean_username("\ufdfa" * 8) == "\ufdfa" * 8


GROWS_UNDER_NFKC = "\ufb03" * 50 + "1"  # 51 letters, 151 stored (`ﬃ` is `ffi`)


def test_createsuperuser_refuses_a_name_too_long_once_stored(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    out = StringIO()
    with pytest.raises(CommandError, match="no more than 150 characters"):
        call_command(
            "createsuperuser", interactive=False, username=GROWS_UNDER_NFKC,
            email="root@example.com", stdout=out, stderr=out,
        )
    email = "a" * 60 + "@" + ".".join(["\u0130" * 40] * 4) + ".com"
    with pytest.raises(CommandError, match="no more than 254 characters"):
        call_command(
            "createsuperuser", interactive=False, username="root", email=email,
            stdout=out, stderr=out,
        )
    assert not User.objects.exists()


def test_the_admin_refuses_a_name_too_long_once_stored(db: None) -> None:
    boss = User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    staff = Client()
    staff.force_login(boss)
    response = staff.post(
        "/admin/accounts/user/add/",
        {"username": GROWS_UNDER_NFKC, "email": "x@example.com", "role": "user",
         "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 200  # the form again, with its error
    # Django's form field normalizes first, then counts: its own wording.
    errors = re.findall(r'id="id_username_error"><li>([^<]*)', response.content.decode())
    assert errors == ["Ensure this value has at most 150 characters (it has 151)."]
    assert not User.objects.filter(email="x@example.com").exists()
