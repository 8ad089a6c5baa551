"""A fresh installation's first day: the platform administrator creates the first cluster and its data-collection
rules, invites the office by e-mail with its role, and the office member sets a password from the invitation and
lands on a home that lists the cluster's first steps."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from governance.models import Cluster, ClusterRole

pytestmark = pytest.mark.django_db


def rules_form(client, url):
    """The data-collection rules form as the page shows it (its current values), posted as they are."""
    form = client.get(url).context["form"]
    return {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}


def test_the_first_day_from_an_empty_installation(client, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-pass-phrase-1")
    client.force_login(admin)
    # Nowhere to go but the first cluster: not "you do not belong to any cluster".
    landing = client.get("/", follow=True)
    assert landing.redirect_chain[-1][0] == "/governance/clusters/add/"
    page = landing.content.decode()
    assert "Welcome: create your cluster" in page and "You do not belong to any cluster" not in page

    created = client.post(
        "/governance/clusters/add/",
        {"name": "Buxoro paxta-to'qimachilik klasteri", "sector": "Paxta va to'qimachilik", "region": "Buxoro",
         "start_date": "2026-01-15", "currency": "UZS", "time_zone": "Asia/Tashkent"},
    )  # fmt: skip
    cluster = Cluster.objects.get()
    rules_url = "/data/settings/collection/?next=/governance/people/add/"
    assert created["Location"] == rules_url
    rules = client.get(rules_url).content.decode()
    assert 'id="first-day"' in rules
    data = rules_form(client, rules_url)
    data["deadline_day"] = 12
    saved = client.post(rules_url, data)
    assert saved.status_code == 302 and saved["Location"] == "/governance/people/add/"
    assert cluster.data_collection_rules.deadline_day == 12

    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(
            "/governance/people/add/",
            {"username": "d.karimova", "first_name": "Dilnoza", "last_name": "Karimova",
             "email": "d.karimova@klaster.uz", "role": "office"},
        )  # fmt: skip
    assert invited.status_code == 302
    assert ClusterRole.objects.get(user__username="d.karimova").role == "office"
    (letter,) = mail.outbox
    assert letter.to == ["d.karimova@klaster.uz"]
    assert letter.subject == "You are invited to Buxoro paxta-to'qimachilik klasteri"
    assert "Your role: Office staff." in letter.body and "invites you to" in letter.body
    assert "requested a password reset" not in letter.body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", letter.body).group(1)

    client.logout()
    form = client.get(link, follow=True)
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(set_url, {"new_password1": "Paxta-2026-ofis!", "new_password2": "Paxta-2026-ofis!"})
    assert done.status_code == 302
    assert client.login(username="d.karimova", password="Paxta-2026-ofis!")
    home = client.get("/").content.decode()
    assert 'id="setup"' in home and "Add the participant enterprises" in home
