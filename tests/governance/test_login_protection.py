"""Log-in and tokens: repeated failed log-ins are slowed, then locked per account and per address, with a clear
message; the office sees and lifts a lock; API tokens are stored hashed, expire, and stop working when the
password changes or the account is deactivated, and the token endpoint still answers {token}."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from governance.choices import Role
from governance.models import ApiToken
from tests.governance.factories import user_with_role
from tests.governance.test_api import API, PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = f"{API}/auth/token/"
GENEROUS = {"login_address": "1000/min", "login_account": "1000/min"}


def browser(address="198.51.100.7") -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def token_for(username, password, address="198.51.100.7"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN_URL, {"username": username, "password": password}, format="json")


def rates(**changes):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**GENEROUS, **changes}}
    )


# --- Slowed ---------------------------------------------------------------------------------------------


def test_repeated_attempts_on_an_account_are_slowed_in_the_browser_and_the_api(cluster):
    person = user_with_role(cluster, Role.COUNCIL)
    with rates(login_account="5/min"):
        client = browser()
        for _ in range(5):
            assert log_in(client, person.username, "wrong").status_code == 200
        slowed = log_in(client, person.username, PASSWORD)  # even the right password waits
        assert slowed.status_code == 429 and "Too many log-in attempts: try again in" in slowed.content.decode()
        assert int(slowed["Retry-After"]) > 0
        answer = token_for(person.username, PASSWORD)
        assert answer.status_code == 429 and answer.json()["detail"]
        other = user_with_role(cluster, Role.COUNCIL)
        assert log_in(browser(), other.username, PASSWORD).status_code == 302  # another account is not slowed


def test_repeated_attempts_from_an_address_are_slowed(cluster):
    people = [user_with_role(cluster, Role.VIEWER) for _ in range(4)]
    with rates(login_address="3/min"):
        for person in people[:3]:
            assert token_for(person.username, "wrong", address="203.0.113.5").status_code == 400
        assert token_for(people[3].username, PASSWORD, address="203.0.113.5").status_code == 429
        assert token_for(people[3].username, PASSWORD, address="203.0.113.6").status_code == 200


# --- Locked ---------------------------------------------------------------------------------------------


def test_ten_failures_lock_the_account_with_a_clear_message_until_the_office_lifts_it(cluster):
    person = user_with_role(cluster, Role.COUNCIL)
    with rates():
        for attempt in range(10):
            address = f"192.0.2.{attempt}"  # from ten addresses: the account is what is locked
            assert log_in(browser(address), person.username, "wrong").status_code in (200, 429)
        locked = log_in(browser("192.0.2.200"), person.username, PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed log-ins: this account or address is locked" in locked.content.decode()
        api = token_for(person.username, PASSWORD, address="192.0.2.201")
        assert api.status_code == 429 and "locked" in api.json()["detail"]

        # The office sees the failures of its people and lifts the lock.
        office = browser("192.0.2.250")
        office.force_login(user_with_role(cluster, Role.OFFICE))
        page = office.get(reverse("governance:people"))
        locks = page.context["login_locks"]
        assert {lock.person for lock in locks} == {person} and all(lock.account_locked for lock in locks)
        assert 'id="login-locks"' in page.content.decode()
        assert office.post(reverse("governance:person_lock_lift", args=[locks[0].attempt_id])).status_code == 302
        assert not AccessAttempt.objects.filter(username=person.username).exists()
        assert log_in(browser("192.0.2.200"), person.username, PASSWORD).status_code == 302


def test_ten_failures_from_one_address_lock_the_address(cluster):
    people = [user_with_role(cluster, Role.VIEWER) for _ in range(11)]
    with rates():
        for person in people[:10]:
            token_for(person.username, "wrong", address="203.0.113.9")
        assert token_for(people[10].username, PASSWORD, address="203.0.113.9").status_code == 429
        assert token_for(people[10].username, PASSWORD, address="203.0.113.10").status_code == 200


def test_logging_in_as_oneself_between_guesses_does_not_reset_the_address(cluster):
    """The attack: guess other people's passwords from one address, logging in with one's own account between
    rounds so the address's count starts again. Only the account's own typos from that address are forgotten."""
    attacker, *victims = [user_with_role(cluster, Role.VIEWER) for _ in range(11)]
    with rates():
        client = browser("203.0.113.20")
        for victim in victims[:8]:
            assert log_in(client, victim.username, "guess").status_code == 200
        log_in(client, attacker.username, "typo")
        assert log_in(client, attacker.username, PASSWORD).status_code == 302  # 9 failures: not locked yet
        assert not AccessAttempt.objects.filter(username=attacker.username).exists()  # its typo is forgotten
        client.logout()
        for victim in victims[8:10]:  # the 9th and 10th guesses from the address
            token_for(victim.username, "guess", address="203.0.113.20")
        assert token_for(attacker.username, PASSWORD, address="203.0.113.20").status_code == 429
        assert token_for(victims[9].username, PASSWORD, address="203.0.113.21").status_code == 200


def test_a_lock_ends_by_itself_after_the_cool_off(cluster, settings):
    person = user_with_role(cluster, Role.COUNCIL)
    with rates():
        for _ in range(10):
            token_for(person.username, "wrong")
        assert token_for(person.username, PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(1))
        assert token_for(person.username, PASSWORD).status_code == 200


def test_another_clusters_office_neither_sees_nor_lifts_the_lock(cluster, other_cluster):
    person = user_with_role(cluster, Role.COUNCIL)
    with rates():
        for _ in range(10):
            token_for(person.username, "wrong")
    attempt = AccessAttempt.objects.get(username=person.username)
    outsider = browser()
    outsider.force_login(user_with_role(other_cluster, Role.OFFICE))
    assert outsider.get(reverse("governance:people")).context["login_locks"] == []
    assert outsider.post(reverse("governance:person_lock_lift", args=[attempt.pk])).status_code == 403
    council = browser()
    council.force_login(user_with_role(cluster, Role.COUNCIL))
    assert council.post(reverse("governance:person_lock_lift", args=[attempt.pk])).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


# --- Tokens ---------------------------------------------------------------------------------------------


def test_the_token_answer_keeps_the_contract_and_the_token_is_stored_only_as_a_digest(cluster):
    person = user_with_role(cluster, Role.OFFICE)
    answer = token_for(person.username, PASSWORD)
    assert answer.status_code == 200 and set(answer.json()) >= {"token"}
    token = answer.json()["token"]
    stored = ApiToken.objects.get(user=person)
    assert token not in (stored.digest, stored.token_key) and len(stored.digest) == 128
    assert stored.expiry > timezone.now() + datetime.timedelta(days=29)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"{API}/clusters/").status_code == 200


def authorized(token) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_token_expires(cluster):
    person = user_with_role(cluster, Role.OFFICE)
    token = token_for(person.username, PASSWORD).json()["token"]
    ApiToken.objects.update(expiry=timezone.now() - datetime.timedelta(minutes=1))
    assert authorized(token).get(f"{API}/clusters/").status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_the_password_changes(cluster):
    person = user_with_role(cluster, Role.OFFICE)
    token = token_for(person.username, PASSWORD).json()["token"]
    person.set_password("a-new-pass-5678")
    person.save()
    answer = authorized(token).get(f"{API}/clusters/")
    assert answer.status_code == 401 and "password changed" in answer.json()["detail"]
    fresh = token_for(person.username, "a-new-pass-5678").json()["token"]
    assert authorized(fresh).get(f"{API}/clusters/").status_code == 200


def test_a_token_stops_working_when_the_account_is_deactivated(cluster):
    person = user_with_role(cluster, Role.OFFICE)
    token = token_for(person.username, PASSWORD).json()["token"]
    person.is_active = False
    person.save()
    assert authorized(token).get(f"{API}/clusters/").status_code == 401


def test_a_wrong_password_is_a_json_400_in_the_callers_language(cluster):
    person = user_with_role(cluster, Role.OFFICE)
    answer = APIClient(REMOTE_ADDR="198.51.100.8", HTTP_ACCEPT_LANGUAGE="ru").post(
        TOKEN_URL, {"username": person.username, "password": "wrong"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["non_field_errors"] == ["Невозможно войти с указанными учётными данными."]
