"""How passwords are stored in production: Argon2id at OWASP's recommended configuration (core/hashers.py); a
password stored by an earlier version (PBKDF2) still logs in and is stored again with Argon2id at that log-in.

The test settings hash with MD5 for speed; these tests put back the hashers of the base settings."""

import base64
import hashlib

import argon2
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.test import Client, override_settings
from django.urls import reverse

from cluster_platform.settings import base
from governance.choices import Role
from tests.governance.factories import user_with_role

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)


def _argon2_parameters(stored: str) -> argon2.Parameters:
    algorithm, rest = stored.split("$", 1)
    assert algorithm == "argon2"
    return argon2.extract_parameters("$" + rest)


@PRODUCTION_HASHERS
def test_a_new_password_is_stored_with_argon2id_at_owasps_configuration():
    stored = make_password("Paxta-2026-terim")
    parameters = _argon2_parameters(stored)
    assert parameters.type is argon2.Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    # Checked by the reference library on its own, not through Django's hasher.
    assert argon2.PasswordHasher().verify("$" + stored.split("$", 1)[1], "Paxta-2026-terim")
    assert check_password("Paxta-2026-terim", stored)
    assert not check_password("paxta-2026-terim", stored)


@PRODUCTION_HASHERS
def test_a_password_stored_with_pbkdf2_logs_in_and_is_stored_again_with_argon2id(cluster):
    person = user_with_role(cluster, Role.COUNCIL)
    # As an earlier version stored it: PBKDF2-SHA256, written here with hashlib.
    salt, iterations = "tuzilgan2025", 1_000
    digest = hashlib.pbkdf2_hmac("sha256", b"Eski-parol-7", salt.encode(), iterations)
    person.password = f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"
    person.save(update_fields=["password"])
    assert PBKDF2PasswordHasher().verify("Eski-parol-7", person.password)  # the row is what Django would have written

    answer = Client(REMOTE_ADDR="198.51.100.21").post(
        reverse("login"), {"username": person.username, "password": "Eski-parol-7"}
    )

    assert answer.status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("argon2$argon2id$")
    assert _argon2_parameters(person.password).memory_cost == 19456
    assert check_password("Eski-parol-7", person.password)


@PRODUCTION_HASHERS
def test_a_wrong_password_against_a_pbkdf2_row_is_refused_and_the_row_is_left_as_it_was(cluster):
    person = user_with_role(cluster, Role.COUNCIL)
    person.password = PBKDF2PasswordHasher().encode("Eski-parol-7", "tuzilgan2025", iterations=1_000)
    person.save(update_fields=["password"])
    before = person.password

    answer = Client(REMOTE_ADDR="198.51.100.22").post(
        reverse("login"), {"username": person.username, "password": "Boshqa-parol"}
    )

    assert answer.status_code == 200
    person.refresh_from_db()
    assert person.password == before
