"""Every string is translated in Uzbek, Russian and English, and Django's and DRF's messages read in Uzbek."""

from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["uz", "ru", "en"]


def catalogue(language):
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(language):
    po = catalogue(language)
    assert len(po) > 100
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries() if not e.obsolete]
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}: {untranslated[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language):
    po = catalogue(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{language}: {entry.msgid!r} is not compiled: run `make messages`"
        assert compiled[key] == (entry.msgstr, tuple(sorted(entry.msgstr_plural.items()))), entry.msgid


@pytest.mark.parametrize(
    "message",
    [
        "This field is required.",
        "Enter a valid email address.",
        "Enter a valid date.",
        "Select a valid choice. That choice is not one of the available choices.",
        "Authentication credentials were not provided.",
        "A valid integer is required.",
        "Unable to log in with provided credentials.",
        "Not found.",
        "Invalid token.",
    ],
)
def test_django_and_drf_messages_read_in_uzbek(message):
    with translation.override("uz"):
        assert translation.gettext(message) != message


@pytest.mark.django_db
def test_api_errors_come_in_the_requested_language(client):
    english = client.get("/api/v1/clusters/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    uzbek = client.get("/api/v1/clusters/", HTTP_ACCEPT_LANGUAGE="uz").json()["detail"]
    russian = client.get("/api/v1/clusters/", HTTP_ACCEPT_LANGUAGE="ru").json()["detail"]
    assert english == "Authentication credentials were not provided."
    assert len({english, uzbek, russian}) == 3


@pytest.mark.django_db
def test_form_errors_come_in_uzbek_by_default(client):
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="uz")
    english = "Please enter a correct"
    assert response.status_code == 200
    assert english not in response.content.decode()
    assert 'lang="uz"' in response.content.decode()
