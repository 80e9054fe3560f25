from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from common.errors import LockedOut, RateLimited, ServiceUnavailable
from tests.unit.throttling.conftest import FakeClock, run_in_threads
from throttling.lockout import LoginGuard, bf_demo_guard, login_guard, unlock
from throttling.models import KnownAddress, Lockout

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def lockout_settings(settings) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    # The same number, so most tests see both subjects lock together; the
    # tests of the IP's own threshold set it higher.
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 100
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.LOGIN_LOCKOUT = 600


def fail(guard: LoginGuard, username: str, ip: str = IP) -> None:
    guard.reserve(username, ip)
    guard.record_failure(username, ip)


@pytest.mark.django_db
def test_lock_after_max_failures_even_with_the_right_password() -> None:
    for _ in range(3):
        fail(login_guard, "alice")
    with pytest.raises(LockedOut) as locked:
        login_guard.reserve("alice", IP)
    assert 1 <= locked.value.retry_after <= 600
    assert locked.value.response_headers()["Retry-After"] == str(locked.value.retry_after)
    # The IP is locked too (its threshold is also 3 here), for any username.
    with pytest.raises(LockedOut):
        login_guard.reserve("bob", IP)
    # The owner, from another address, is not.
    login_guard.reserve("alice", "198.51.100.1")

    rows = list(Lockout.objects.order_by("scope"))
    assert [(r.namespace, r.scope, r.username, r.ip) for r in rows] == [
        ("login", "ip", "alice", IP),
        ("login", "username_ip", "alice", IP),
    ]
    assert all(r.is_active and r.lifted_at is None for r in rows)


@pytest.mark.django_db
def test_usernames_are_case_folded_and_unknown_ones_are_locked_alike(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_IP = 10
    fail(login_guard, "Nobody-Here")
    fail(login_guard, "NOBODY-HERE")
    fail(login_guard, "nobody-here")
    with pytest.raises(LockedOut) as locked:
        login_guard.reserve("nobody-HERE", IP)
    # Same body as for any other lockout: nothing says whether the user exists.
    assert locked.value.body()["error"]["code"] == "locked_out"
    assert Lockout.objects.get().username == "nobody-here"


@pytest.mark.django_db
def test_success_clears_the_usernames_counters_only(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_IP = 10
    fail(login_guard, "alice")
    fail(login_guard, "alice")
    login_guard.reserve("alice", IP)
    login_guard.record_success("alice", IP)
    status = login_guard.status("alice", IP)
    # The IP keeps its failures (finding: a success wiped them, so an
    # attacker's own login between guesses reset the address's count).
    assert status["failures"] == {"username": 0, "ip": 2}
    fail(login_guard, "alice")
    fail(login_guard, "alice")
    login_guard.reserve("alice", IP)  # still allowed: the username's count restarted
    assert not Lockout.objects.exists()


@pytest.mark.django_db
def test_a_success_gives_back_the_ips_attempt(settings) -> None:
    """Successes are not failures: many logins from one address never reach its threshold."""
    settings.LOGIN_MAX_FAILURES_PER_IP = 4
    for index in range(12):
        assert login_guard.attempt(f"user{index}", IP, lambda: True) is True
    assert login_guard.status(None, IP)["failures"]["ip"] == 0


@pytest.mark.django_db
def test_logging_in_between_guesses_does_not_reset_the_ip(settings) -> None:
    """Spraying from one address with an account of one's own: the IP still locks.

    Twelve guesses at other names, the attacker's own correct login every
    fourth attempt (never 5 failures in a row): before, each success wiped
    the IP's count and no guess was ever refused.
    """
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_MAX_FAILURES_PER_IP = 6
    refused = 0
    for index in range(16):
        try:
            if index % 4 == 3:
                login_guard.attempt("mallory", IP, lambda: True)
            else:
                login_guard.attempt(f"victim{index}", IP, lambda: False)
        except LockedOut:
            refused += 1
    assert refused > 0
    with pytest.raises(LockedOut):
        login_guard.reserve("mallory", IP)  # the address, for every name
    assert Lockout.objects.filter(scope="ip", ip=IP).exists()


@pytest.mark.django_db
def test_the_ip_has_its_own_higher_threshold(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_IP = 5
    for _ in range(3):
        fail(login_guard, "typo-prone")
    with pytest.raises(LockedOut):
        login_guard.reserve("typo-prone", IP)
    # The address is not locked: another name behind it logs in.
    login_guard.reserve("colleague", IP)
    login_guard.record_success("colleague", IP)
    fail(login_guard, "ghost1")
    fail(login_guard, "ghost2")  # the fifth failure from IP
    with pytest.raises(LockedOut):
        login_guard.reserve("colleague", IP)
    assert sorted(Lockout.objects.values_list("scope", flat=True)) == ["ip", "username_ip"]


@pytest.mark.django_db
def test_usernames_are_counted_in_canonical_form(settings) -> None:
    """The form the login looks up: NFKC + casefold; ı (U+0131) is its own letter."""
    settings.LOGIN_MAX_FAILURES_PER_IP = 10
    for spelling in ("ÉLODIE", "E\u0301lodie", "élodie"):
        fail(login_guard, spelling)
    with pytest.raises(LockedOut):
        login_guard.reserve("Élodie", IP)
    for _ in range(3):
        fail(login_guard, "ivy")
    # A name that folds differently is another name: its own counters, and
    # (see tests/contract/test_brute_force_identity.py) never ivy's account.
    login_guard.reserve("ıvy", IP)
    locked = Lockout.objects.filter(scope="username_ip").values_list("username", flat=True)
    assert set(locked) == {
        "élodie",
        "ivy",
    }


@pytest.mark.django_db
def test_namespaces_have_their_own_counters() -> None:
    for _ in range(3):
        fail(bf_demo_guard, "demo")
    with pytest.raises(LockedOut):
        bf_demo_guard.reserve("demo", IP)
    login_guard.reserve("demo", IP)  # the real login is untouched


@pytest.mark.django_db
def test_status_reports_counters_and_lock(clock: FakeClock) -> None:
    fail(bf_demo_guard, "demo")
    status = bf_demo_guard.status("Demo", IP)
    assert status == {
        "namespace": "bf-demo",
        "username": "demo",
        "ip": IP,
        "failures": {"username": 1, "ip": 1},
        "max_failures": 3,
        "failure_window": 900,
        "locked": False,
        "locked_until": None,
        "retry_after": None,
    }
    fail(bf_demo_guard, "demo")
    fail(bf_demo_guard, "demo")
    clock.advance(100)
    status = bf_demo_guard.status(None, IP)
    assert status["locked"] is True
    assert status["retry_after"] == 500
    assert status["failures"]["username"] is None
    assert status["locked_until"].endswith("Z")


@pytest.mark.django_db
def test_lock_expires(clock: FakeClock) -> None:
    for _ in range(3):
        fail(login_guard, "alice")
    clock.advance(599)
    with pytest.raises(LockedOut) as locked:
        login_guard.reserve("alice", IP)
    assert locked.value.retry_after == 1
    clock.advance(2)
    login_guard.reserve("alice", IP)  # a fresh budget


@pytest.mark.django_db(transaction=True)
def test_parallel_reservations_admit_at_most_the_max(settings) -> None:
    """20 parallel attempts for one username (from 20 IPs), its ceiling across
    addresses 5: exactly 5 password checks.

    The other 15 are refused as too many in flight (rate_limited), not locked:
    nothing has failed yet.
    """
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 5
    addresses = iter(f"10.1.0.{n}" for n in range(1, 21))  # next() is atomic under the GIL

    def attempt() -> str:
        try:
            login_guard.reserve("victim", next(addresses))
        except RateLimited as refused:
            assert refused.retry_after == 1
            return "refused"
        finally:
            connections.close_all()
        return "checked"

    results = run_in_threads(20, attempt)
    assert results.count("checked") == 5
    assert results.count("refused") == 15


@pytest.mark.django_db(transaction=True)
def test_parallel_reservations_from_one_ip_admit_at_most_the_max(settings) -> None:
    """Username and IP counters both count: an attempt passes only if both allow it."""
    settings.LOGIN_MAX_FAILURES = 5
    results = run_in_threads(20, lambda: _reserve_outcome("victim", "10.1.1.1"))
    assert 1 <= results.count("checked") <= 5


def _reserve_outcome(username: str, ip: str) -> str:
    try:
        login_guard.reserve(username, ip)
    except RateLimited:
        return "refused"
    finally:
        connections.close_all()
    return "checked"


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_attempts_check_at_most_max_passwords() -> None:
    """The full flow in threads, then one by one: exactly max checks, then locked."""
    checks: list[int] = []

    def attempt() -> str:
        try:
            bf_demo_guard.reserve("victim", "10.2.0.1")
        except (LockedOut, RateLimited):
            connections.close_all()
            return "refused"
        try:
            checks.append(1)  # the password hash would run here
            bf_demo_guard.record_failure("victim", "10.2.0.1")
        finally:
            connections.close_all()
        return "checked"

    run_in_threads(20, attempt)
    assert len(checks) <= 3
    # Attempts refused while others were in flight gave their count back:
    # whatever the burst left unused can still be spent, then the lock holds.
    while True:
        try:
            fail(bf_demo_guard, "victim", "10.2.0.1")
        except LockedOut:
            break
        checks.append(1)
    assert len(checks) == 3
    # One row per locked subject, however many failures raced to set it.
    assert Lockout.objects.filter(scope="username_ip").count() == 1
    assert Lockout.objects.filter(scope="ip").count() == 1


# --- unlock ---------------------------------------------------------------------


def _lock_alice_everywhere() -> None:
    for guard in (login_guard, bf_demo_guard):
        for _ in range(3):
            fail(guard, "alice")


@pytest.mark.django_db
def test_unlock_by_username_in_every_namespace(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_IP = 10  # the name's lock alone
    _lock_alice_everywhere()
    fail(login_guard, "alice", ip="192.0.2.8")  # a failure below the threshold elsewhere
    with pytest.raises(LockedOut):
        login_guard.reserve("alice", IP)
    assert unlock(username="ALICE", by="admin") == 2
    login_guard.reserve("alice", IP)
    bf_demo_guard.reserve("alice", IP)
    # Its counters from every address start again (a pair's keys changed generation).
    assert login_guard.status("alice", "192.0.2.8")["failures"]["username"] == 0
    lifted = Lockout.objects.filter(scope="username_ip")
    assert {(r.lifted_by, r.is_active) for r in lifted} == {("admin", False)}


@pytest.mark.django_db
def test_unlock_by_ip_lifts_the_address_and_every_names_lock_from_it() -> None:
    _lock_alice_everywhere()
    assert unlock(ip=IP) == 4  # the address's locks and alice's from it, both namespaces
    login_guard.reserve("carol", IP)
    login_guard.reserve("alice", IP)


def test_unlock_needs_a_subject() -> None:
    with pytest.raises(ValueError):
        unlock()


@pytest.mark.django_db
def test_unlock_command(capsys) -> None:
    _lock_alice_everywhere()
    call_command("unlock", "--username", "alice")
    assert "2 lockout(s) lifted" in capsys.readouterr().out
    call_command("unlock", "--ip", IP)
    login_guard.reserve("alice", IP)
    assert Lockout.objects.filter(lifted_by="manage.py unlock").count() == 4
    with pytest.raises(CommandError):
        call_command("unlock")


@pytest.mark.django_db
def test_unlock_command_names_the_ip_locks_still_standing_and_lifts_them_on_request(
    capsys,
) -> None:
    _lock_alice_everywhere()  # alice's third failure also locked the address
    call_command("unlock", "--username", "ALICE")
    out = capsys.readouterr().out
    assert "2 lockout(s) lifted" in out
    assert f"Still locked, and blocking 'ALICE' too: IP {IP} (bf-demo, until" in out
    assert "--with-ip" in out
    with pytest.raises(LockedOut):  # what the report says: the IP still blocks her
        login_guard.reserve("alice", IP)

    call_command("unlock", "--username", "alice", "--with-ip")
    out = capsys.readouterr().out
    assert f"Unlocked username 'alice' and IP {IP}; 2 lockout(s) lifted." in out
    assert "Still locked" not in out
    login_guard.reserve("alice", IP)
    assert not Lockout.objects.filter(lifted_at__isnull=True).exists()
    with pytest.raises(CommandError):
        call_command("unlock", "--ip", IP, "--with-ip")


@pytest.mark.django_db
def test_ip_locks_for_a_user_include_the_address_of_their_own_lock(settings) -> None:
    """bob's lock was recorded from OFFICE; others' failures then locked OFFICE."""
    from throttling.lockout import ip_locks_for

    settings.LOGIN_MAX_FAILURES_PER_IP = 5
    office = "198.51.100.77"
    for _ in range(3):
        fail(login_guard, "bob", ip=office)
    fail(login_guard, "ghost1", ip=office)
    fail(login_guard, "ghost2", ip=office)  # the address's fifth failure
    fail(login_guard, "carol", ip="192.0.2.99")
    assert [(lock.ip, lock.username) for lock in ip_locks_for("Bob")] == [(office, "ghost2")]
    assert ip_locks_for("carol") == []
    assert ip_locks_for("nobody") == []


@pytest.mark.django_db
def test_admin_action_unlocks_selected(admin_client) -> None:
    _lock_alice_everywhere()
    selected = Lockout.objects.filter(namespace="login", scope="username_ip")
    response = admin_client.post(
        "/admin/throttling/lockout/",
        {"action": "unlock_selected", "_selected_action": [r.pk for r in selected]},
        follow=True,
    )
    assert response.status_code == 200
    # Alice's username locks (both namespaces) and the IP locks her failures
    # tipped over (both namespaces): everything that keeps her out.
    assert "Lifted 4 active lockout(s)." in response.content.decode()
    login_guard.reserve("alice", IP)
    # The changelist with its filters and search renders.
    for query in ("?active=yes", "?active=no", "?namespace=bf-demo", "?q=alice"):
        assert admin_client.get(f"/admin/throttling/lockout/{query}").status_code == 200


# --- cache down -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_down")
def test_reserve_is_503_when_the_cache_is_down() -> None:
    with pytest.raises(ServiceUnavailable):
        login_guard.reserve("alice", IP)
    with pytest.raises(ServiceUnavailable):
        bf_demo_guard.status("alice", IP)
    # Recording outcomes never raises: the attempt's answer must not change.
    login_guard.record_failure("alice", IP)
    login_guard.record_success("alice", IP)


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_down")
def test_unlock_is_503_when_the_cache_is_down() -> None:
    with pytest.raises(ServiceUnavailable):
        unlock(username="alice")


# --- errors are no answer; the database is the record ----------------------------


@pytest.mark.django_db
def test_a_check_that_raises_is_given_back_not_counted() -> None:
    """Five checks that blow up (database down, bad input), then the right password: allowed."""

    def broken_check() -> bool:
        raise RuntimeError("the password check could not run")

    for _ in range(5):
        with pytest.raises(RuntimeError):
            login_guard.attempt("alice", IP, broken_check)
    assert login_guard.status("alice", IP)["failures"] == {"username": 0, "ip": 0}
    assert login_guard.attempt("alice", IP, lambda: True) is True
    assert not Lockout.objects.exists()


@pytest.mark.django_db
def test_a_lock_survives_a_cache_flush(settings) -> None:
    from django.core.cache import cache

    settings.LOGIN_MAX_FAILURES_PER_IP = 10  # only the (username, IP) pair is locked
    for _ in range(3):
        fail(login_guard, "alice")
    cache.clear()  # Redis restarted
    with pytest.raises(LockedOut) as locked:
        login_guard.reserve("alice", IP)
    assert 590 <= locked.value.retry_after <= 600
    # Only what the rows lock is locked again: not the IP, not the name elsewhere.
    login_guard.reserve("bob", IP)
    login_guard.reserve("alice", "192.0.2.50")


@pytest.mark.django_db
def test_an_ip_lock_survives_a_cache_flush_and_is_put_back_in_the_cache() -> None:
    from django.core.cache import cache

    for name in ("ghost1", "ghost2", "ghost3"):
        fail(login_guard, name)
    cache.clear()
    with pytest.raises(LockedOut):
        login_guard.reserve("anyone", IP)
    # The lock is back in the cache: answered without the database.
    Lockout.objects.all().delete()
    with pytest.raises(LockedOut):
        login_guard.reserve("anyone", IP)


@pytest.mark.django_db
def test_unlock_after_a_cache_flush_lifts_the_recorded_lock(settings) -> None:
    from django.core.cache import cache

    settings.LOGIN_MAX_FAILURES_PER_IP = 10
    for _ in range(3):
        fail(login_guard, "alice")
    cache.clear()
    unlock(username="alice", by="admin")
    login_guard.reserve("alice", IP)


@pytest.mark.django_db
def test_a_lifted_or_expired_record_does_not_lock(clock: FakeClock) -> None:
    from django.core.cache import cache

    for _ in range(3):
        fail(login_guard, "alice")
    cache.clear()
    clock.advance(601)
    login_guard.reserve("alice", IP)


# --- the username across all addresses: slowed, not locked -----------------------


HOME = "198.51.100.200"


def _distributed_guess(guard: LoginGuard, username: str, count: int) -> None:
    for index in range(count):
        fail(guard, username, ip=f"10.3.{index // 250}.{index % 250 + 1}")


@pytest.mark.django_db
def test_a_distributed_guess_slows_strangers_but_not_the_owners_address(
    settings, clock: FakeClock
) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 6
    assert login_guard.attempt("Alice", HOME, lambda: True) is True  # a familiar address
    _distributed_guess(login_guard, "alice", 6)
    with pytest.raises(RateLimited) as slowed:
        login_guard.reserve("alice", "192.0.2.99")  # a new address, even with the password
    assert 590 <= slowed.value.retry_after <= 600
    assert slowed.value.body()["error"]["code"] == "rate_limited"
    assert login_guard.attempt("alice", HOME, lambda: True) is True
    login_guard.reserve("bob", "192.0.2.99")  # other names are not slowed
    assert not Lockout.objects.exists()  # slowed is not locked
    clock.advance(601)
    login_guard.reserve("alice", "192.0.2.99")


@pytest.mark.django_db
def test_an_address_is_familiar_for_30_days(settings, clock: FakeClock) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 3
    login_guard.attempt("alice", HOME, lambda: True)
    assert KnownAddress.objects.get().username == "alice"
    clock.advance(31 * 86_400)
    _distributed_guess(login_guard, "alice", 3)
    with pytest.raises(RateLimited):
        login_guard.reserve("alice", HOME)


@pytest.mark.django_db
def test_unlock_by_username_lifts_a_slowdown(settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 3
    _distributed_guess(login_guard, "alice", 3)
    with pytest.raises(RateLimited):
        login_guard.reserve("alice", "192.0.2.99")
    unlock(username="alice")
    login_guard.reserve("alice", "192.0.2.99")
