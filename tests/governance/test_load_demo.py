"""`manage.py load_demo`: a believable cotton–textile cluster, loaded once, with a login per role."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from demo.governance import CLUSTER_NAME, DEMO_PASSWORD, ENTERPRISES
from governance.choices import BodyKind, EnterpriseKind, MeetingStatus, RegulationStatus, Role, ValueChainLink
from governance.models import ActionItem, Body, Cluster, ClusterRole, Decision, Enterprise, Meeting, Membership

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "office": Role.OFFICE,
    "council": Role.COUNCIL,
    "wg": Role.WORKING_GROUP,
    "enterprise": Role.ENTERPRISE,
    "viewer": Role.VIEWER,
}


def row_counts() -> dict[str, int]:
    """Rows of every governance model, of users and of the many-to-many tables between them."""
    models = [*apps.get_app_config("governance").get_models(), get_user_model(), ClusterRole.enterprises.through]
    return {model._meta.label: model._default_manager.count() for model in models}


@pytest.fixture
def demo(db):
    call_command("load_demo", "--quiet")
    return Cluster.objects.get(name=CLUSTER_NAME)


def test_second_run_adds_nothing(db):
    quiet = StringIO()
    call_command("load_demo", "--quiet", stdout=quiet)
    assert quiet.getvalue() == ""
    before = row_counts()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert row_counts() == before
    assert "nothing added" in out.getvalue()


def test_output_lists_every_demo_login_and_the_password(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert CLUSTER_NAME in text
    assert DEMO_PASSWORD in text
    for username in ["admin", *DEMO_ROLES]:
        assert f"  {username} " in text


def test_enterprises_cover_every_kind_and_link(demo):
    enterprises = Enterprise.objects.filter(cluster=demo)
    assert enterprises.count() >= 30
    assert set(enterprises.values_list("kind", flat=True)) == set(EnterpriseKind.values)
    assert set(enterprises.values_list("value_chain_link", flat=True)) == set(ValueChainLink.values)
    assert len({e.taxpayer_id for e in ENTERPRISES}) == len(ENTERPRISES)
    assert demo.leading_enterprise.kind == EnterpriseKind.LEADING
    assert enterprises.exclude(status="active").exists()


def test_one_council_one_office_five_working_groups_with_members(demo):
    bodies = Body.objects.filter(cluster=demo)
    assert bodies.filter(kind=BodyKind.COUNCIL).count() == 1
    assert bodies.filter(kind=BodyKind.OFFICE).count() == 1
    groups = bodies.filter(kind=BodyKind.WORKING_GROUP)
    assert sorted(groups.values_list("area", flat=True)) == ["export", "innovation", "logistics", "quality", "skills"]
    for body in bodies:
        assert Membership.objects.filter(body=body, end_date__isnull=True).count() >= 3, body
    assert demo.regulations.filter(status=RegulationStatus.APPROVED).count() >= 5
    assert demo.regulations.filter(status=RegulationStatus.DRAFT).exists()
    assert demo.regulations.filter(kind="data_collection", status=RegulationStatus.APPROVED).exists()


def test_the_demo_content_is_in_uzbek_with_names_not_doubled(demo):
    """Issue 13, item 12: the cluster's own content is written in Uzbek, once, whatever the interface language."""
    assert (demo.sector, demo.region) == ("Paxta-to'qimachilik", "Buxoro viloyati")
    assert sorted(Body.objects.filter(cluster=demo).values_list("name", flat=True)) == [
        "Eksport ishchi guruhi",
        "Innovatsiya ishchi guruhi",
        "Kadrlar ishchi guruhi",
        "Klaster kengashi",
        "Klaster ofisi",
        "Logistika ishchi guruhi",
        "Sifat ishchi guruhi",
    ]
    inaugural = Meeting.objects.get(body__cluster=demo, title="Klaster kengashining ta'sis yig'ilishi")
    assert inaugural.minutes.startswith("Ta'sischi ishtirokchilar Rustam Xolmatovni")
    assert "Rais: Rustam Xolmatov." in inaugural.minutes
    assert "Qatnashdi (9 nafardan 8 nafari)" in inaugural.minutes
    assert "Qatnashmadi: Jamshid Usmonov." in inaugural.minutes
    assert "Qaror qabul qilish tartibini tasdiqlash: qabul qilindi (7 yoqlab, 0 qarshi, 1 betaraf)." in (
        inaugural.minutes
    )
    no_quorum = Meeting.objects.get(body__cluster=demo, title="Eksport ishchi guruhi: xorijiy xaridorlar")
    assert "Kvorum yo'q (3 nafar a'zo qatnashishi kerak edi)" in no_quorum.minutes
    fee = Decision.objects.get(meeting__body__cluster=demo, title="Yillik a'zolik badalini 50 foizga oshirish")
    assert fee.outcome == "rejected" and f"{fee.title}: qabul qilinmadi (3 yoqlab, 3 qarshi, 1 betaraf)." in (
        fee.meeting.minutes
    )
    assert demo.regulations.filter(title="Ma'lumot yig'ish reglamenti", status=RegulationStatus.APPROVED).exists()
    # English words of the old demo content are gone from what the cluster wrote.
    texts = [
        *Meeting.objects.filter(body__cluster=demo).values_list("title", "minutes"),
        *Decision.objects.filter(meeting__body__cluster=demo).values_list("title", "text"),
        *ActionItem.objects.filter(cluster=demo).values_list("title", "description"),
        *demo.regulations.values_list("title", "text"),
        *Body.objects.filter(cluster=demo).values_list("name", "description"),
    ]
    for text in (t for pair in texts for t in pair):
        for word in (" the ", " and ", "working group", "Decisions:", "Present (", " abstained"):
            assert word not in text, (word, text)


def test_meetings_decisions_and_overdue_action_items(demo):
    meetings = Meeting.objects.filter(body__cluster=demo)
    assert meetings.filter(decisions__isnull=False).distinct().count() >= 6
    held = meetings.filter(status=MeetingStatus.HELD)
    assert any(not m.quorum().met and not m.decisions.exists() for m in held)
    assert Decision.objects.filter(meeting__body__cluster=demo, outcome="rejected").exists()
    items = ActionItem.objects.filter(cluster=demo)
    assert items.overdue().count() >= 5
    planned = meetings.filter(status=MeetingStatus.PLANNED)
    assert planned.count() == 2
    for meeting in planned:
        assert meeting.agenda_items.filter(action_item__isnull=False).exists(), meeting


def test_a_demo_user_per_role_logs_in_and_has_that_role(demo):
    for username, role in DEMO_ROLES.items():
        assert Client().login(username=username, password=DEMO_PASSWORD), username
        user = get_user_model().objects.get(username=username)
        assert ClusterRole.objects.filter(user=user, cluster=demo, role=role, is_active=True).exists(), username
    assert Client().login(username="admin", password=DEMO_PASSWORD)
    assert get_user_model().objects.get(username="admin").is_superuser


def test_enterprise_user_represents_one_farm_and_nothing_else(demo):
    roles = ClusterRole.objects.filter(user__username="enterprise")
    assert list(roles.values_list("role", flat=True)) == [Role.ENTERPRISE]
    enterprises = roles.get().enterprises.all()
    assert enterprises.count() == 1
    assert enterprises.get().value_chain_link == ValueChainLink.SUPPLY


def test_a_deleted_demo_account_is_recreated(demo):
    get_user_model().objects.get(username="viewer").delete()
    call_command("load_demo", "--quiet")
    assert Client().login(username="viewer", password=DEMO_PASSWORD)
    assert ClusterRole.objects.filter(user__username="viewer", cluster=demo, role=Role.VIEWER).exists()
