"""The lockout admin: read-only rows, the state first, an Unlock button that lifts the lock."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from common.errors import LockedOut
from throttling.lockout import login_guard
from throttling.models import Lockout

IP = "203.0.113.50"
PASSWORD = "Tr0mbone-Quartz-Lantern"


def _lock(username: str = "alice") -> Lockout:
    for _ in range(5):
        login_guard.reserve(username, IP)
        login_guard.record_failure(username, IP)
    return Lockout.objects.get(namespace="login", scope="username_ip", username=username)


@pytest.mark.django_db
def test_list_shows_state_first(admin_client: Client) -> None:
    _lock()
    listing = admin_client.get("/admin/throttling/lockout/").content.decode()
    headers = listing.split("<thead>")[1].split("</thead>")[0]
    assert headers.index("column-active") < headers.index("column-namespace")


@pytest.mark.django_db
def test_change_page_has_no_save_but_an_unlock_button(admin_client: Client) -> None:
    lockout = _lock()
    url = f"/admin/throttling/lockout/{lockout.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "deletelink" not in page
    assert 'value="Unlock"' in page

    with pytest.raises(LockedOut):
        login_guard.reserve("alice", IP)
    response = admin_client.post(f"/admin/throttling/lockout/{lockout.pk}/unlock/", follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Lifted 1 active lockout(s)." in response.content.decode()
    login_guard.reserve("alice", IP)  # no longer locked
    lockout.refresh_from_db()
    assert lockout.lifted_by == "admin" and not lockout.is_active
    # Once lifted, the button is gone.
    assert 'value="Unlock"' not in admin_client.get(url).content.decode()


@pytest.mark.django_db
def test_unlock_needs_post_and_the_change_permission(admin_client: Client) -> None:
    lockout = _lock()
    assert admin_client.get(f"/admin/throttling/lockout/{lockout.pk}/unlock/").status_code == 405

    viewer = get_user_model().objects.create_user(
        "viewer", "viewer@example.com", PASSWORD, is_staff=True
    )
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_lockout"))
    client = Client()
    client.login(username="viewer", password=PASSWORD)
    page = client.get(f"/admin/throttling/lockout/{lockout.pk}/change/")
    assert page.status_code == 200 and b'value="Unlock"' not in page.content
    assert client.post(f"/admin/throttling/lockout/{lockout.pk}/unlock/").status_code == 403
    lockout.refresh_from_db()
    assert lockout.is_active


@pytest.mark.django_db
def test_the_unlock_button_lifts_what_blocks_the_user(admin_client: Client, settings) -> None:
    """alice's lock was recorded from IP; other names' failures then locked IP.

    Lifting alice's name alone would leave her facing the address's 429:
    the button on her row lifts both.
    """
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_MAX_FAILURES_PER_IP = 8
    lockout = _lock("alice")
    for name in ("ghost1", "ghost2", "ghost3"):
        login_guard.reserve(name, IP)
        login_guard.record_failure(name, IP)
    assert Lockout.objects.filter(scope="ip", ip=IP, username="ghost3").exists()
    untouched = _lock_elsewhere("carol", "192.0.2.200")

    response = admin_client.post(f"/admin/throttling/lockout/{lockout.pk}/unlock/", follow=True)
    assert "Lifted 2 active lockout(s)." in response.content.decode()
    login_guard.reserve("alice", IP)  # neither her name nor her address is locked
    untouched.refresh_from_db()
    assert untouched.is_active  # someone else's lock, elsewhere: not hers to lift


def _lock_elsewhere(username: str, ip: str) -> Lockout:
    for _ in range(5):
        login_guard.reserve(username, ip)
        login_guard.record_failure(username, ip)
    return Lockout.objects.get(namespace="login", scope="username_ip", username=username)
