"""No lost update: a form of a record two people edit carries the version it was loaded with; saving it over a newer
version is refused, the person is shown what changed meanwhile, and nothing is overwritten. The same through the API
with `lock_version` (409)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.choices import BodyKind, Role
from governance.models import ActionItem, Regulation
from kpi import services
from kpi.choices import Channel, SubmissionStatus
from kpi.models import DataValue, Submission
from portfolio.models import Milestone, Project
from tests.governance.factories import BodyFactory, ClusterRoleFactory, EnterpriseFactory, user_with_role
from tests.governance.test_api import API, token_client
from tests.kpi.factories import ReportingPeriodFactory
from tests.kpi.test_views import filled, form_url

pytestmark = pytest.mark.django_db


def as_browser(client, url) -> dict:
    """The hidden fields of the page's form, as a browser keeps them between loading and saving."""
    form = client.get(url).context["form"]
    return {name: form[name].value() for name in ("lock_version", "loaded")}


# --- The monthly form ---------------------------------------------------------------------------------


@pytest.fixture
def month(cluster):
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    return ReportingPeriodFactory(
        cluster=cluster,
        month=(timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1),
        deadline=deadline,
        lock_date=deadline + datetime.timedelta(days=15),
    )


@pytest.fixture
def farm(cluster):
    return EnterpriseFactory(cluster=cluster, name="Olot Baraka", taxpayer_id="311402567")


def test_a_monthly_form_loaded_earlier_does_not_put_back_a_figure_changed_meanwhile(client, cluster, month, farm):
    representative = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[farm]).user
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    client.force_login(representative)
    first = as_browser(client, form_url(farm, month))
    client.post(form_url(farm, month), {**first, **filled(cluster, employees="40"), "action": "save"})

    # The office opens the form; meanwhile the enterprise corrects its employees from 40 to 42.
    client.force_login(office)
    office_loaded = as_browser(client, form_url(farm, month))
    client.force_login(representative)
    again = as_browser(client, form_url(farm, month))
    assert (
        client.post(form_url(farm, month), {**again, **filled(cluster, employees="42"), "action": "save"}).status_code
        == 302
    )

    # The office saves the form it loaded earlier (with 40 in it): refused, and it is shown what changed.
    client.force_login(office)
    stale = client.post(
        form_url(farm, month), {**office_loaded, **filled(cluster, employees="40", exports="7"), "action": "save"}
    )
    assert stale.status_code == 200
    assert DataValue.objects.get(enterprise=farm, data_element__code="employees").value == 42
    html = stale.content.decode()
    assert 'id="changes-meanwhile"' in html
    change = next(c for c in stale.context["changes"] if c.then == "40")
    assert (change.now, change.by) == ("42", representative)
    # The form now carries the current version: saving again, knowingly, goes through.
    rebased = stale.context["form"]
    retry = {name: rebased[name].value() for name in ("lock_version", "loaded")}
    client.post(form_url(farm, month), {**retry, **filled(cluster, employees="42"), "action": "save"})
    assert Submission.objects.get(enterprise=farm).status == SubmissionStatus.DRAFT


def test_figures_written_through_the_api_make_an_open_form_stale(client, cluster, month, farm):
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    client.force_login(office)
    loaded = as_browser(client, form_url(farm, month))
    services.data_values_write(
        cluster=cluster,
        user=office,
        channel=Channel.API,
        rows=[{"enterprise": farm.taxpayer_id, "period": month.key, "data_element": "employees", "value": 55}],
    )
    page = client.post(form_url(farm, month), {**loaded, **filled(cluster, employees="50"), "action": "save"})
    assert page.status_code == 200 and page.context["changes"]
    assert DataValue.objects.get(enterprise=farm, data_element__code="employees").value == 55


def test_the_office_approves_only_the_figures_it_saw(client, cluster, month, farm):
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    client.force_login(office)
    loaded = as_browser(client, form_url(farm, month))
    client.post(form_url(farm, month), {**loaded, **filled(cluster), "action": "save"})
    submission = Submission.objects.get(enterprise=farm)
    services.submission_submit(submission=submission, user=office)
    seen = Submission.objects.get(pk=submission.pk).lock_version
    services.submission_return(submission=submission, user=office, reason="Check the exports.")
    # The office's other tab still shows the submitted figures: approving from it is refused.
    response = client.post(reverse("kpi:submission_approve", args=[submission.pk]), {"lock_version": seen}, follow=True)
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RETURNED
    assert "Someone else saved this after you opened it" in response.content.decode()
    api = token_client(office)
    answer = api.post(f"{API}/submissions/{submission.pk}/approve/", {"lock_version": seen})
    assert answer.status_code == 409 and answer.json()["detail"]


# --- Records with an edit page ------------------------------------------------------------------------


def two_offices(cluster):
    return user_with_role(cluster, Role.OFFICE), user_with_role(cluster, Role.OFFICE)


def test_an_action_item_edited_by_two_people_keeps_the_first_save(client, cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Kengash", area="")
    item = ActionItem.objects.create(
        cluster=cluster,
        body=council,
        owner_group=BodyFactory(cluster=cluster, name="Sifat ishchi guruhi"),
        title="Paxta tolasi sifatini tekshirish",
        deadline=datetime.date(2026, 12, 20),
    )
    first, second = two_offices(cluster)
    url = reverse("governance:actionitem_update", args=[item.pk])
    client.force_login(second)
    second_form = client.get(url).context["form"]
    second_data = {k: v for k, v in second_form.initial.items() if v is not None}
    client.force_login(first)
    first_data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    assert client.post(url, {**first_data, "body": council.pk, "deadline": "2026-12-31"}).status_code == 302

    client.force_login(second)
    stale = client.post(url, {**second_data, "body": council.pk, "title": "Laboratoriya tahlili"})
    assert stale.status_code == 200
    item.refresh_from_db()
    assert (item.title, item.deadline) == ("Paxta tolasi sifatini tekshirish", datetime.date(2026, 12, 31))
    changes = {c.field: c for c in stale.context["form"].changes}
    assert set(changes) == {"deadline"}
    assert (changes["deadline"].then, changes["deadline"].now) == ("2026-12-20", "2026-12-31")
    assert 'id="changes-meanwhile"' in stale.content.decode()
    retry = stale.context["form"]
    again = client.post(
        url, {**{k: retry[k].value() for k in retry.fields if retry[k].value() is not None}, "deadline": "2026-12-31"}
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.deadline) == ("Laboratoriya tahlili", datetime.date(2026, 12, 31))


def test_an_action_items_status_is_not_set_over_a_newer_change(client, cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Kengash", area="")
    owner = user_with_role(cluster, Role.WORKING_GROUP)
    item = ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=owner, title="x", deadline=timezone.localdate()
    )
    seen = item.lock_version
    ActionItem.objects.get(pk=item.pk).save()  # someone else saved it meanwhile
    client.force_login(owner)
    client.post(reverse("governance:actionitem_status", args=[item.pk]), {"status": "done", "lock_version": seen})
    item.refresh_from_db()
    assert item.status == "open"


def test_a_regulation_and_a_project_edited_by_two_people(client, cluster):
    from tests.portfolio.factories import ProjectFactory

    regulation = Regulation.objects.create(cluster=cluster, kind="working_group", title="Ishchi guruh reglamenti")
    project = ProjectFactory(cluster=cluster)
    first, second = two_offices(cluster)
    for url, field, value, model, pk in (
        (
            reverse("governance:regulation_update", args=[regulation.pk]),
            "title",
            "Yangi nom",
            Regulation,
            regulation.pk,
        ),
        (reverse("portfolio:project_update", args=[project.pk]), "title", "Umumiy laboratoriya", Project, project.pk),
    ):
        client.force_login(second)
        stale_form = client.get(url).context["form"]
        stale_data = {k: stale_form[k].value() for k in stale_form.fields if stale_form[k].value() is not None}
        client.force_login(first)
        fresh_form = client.get(url).context["form"]
        fresh_data = {k: fresh_form[k].value() for k in fresh_form.fields if fresh_form[k].value() is not None}
        assert client.post(url, {**fresh_data, field: value}).status_code == 302
        client.force_login(second)
        refused = client.post(url, {**stale_data, field: "Boshqa nom"})
        assert refused.status_code == 200 and refused.context["form"].changes
        assert getattr(model.objects.get(pk=pk), field) == value


def test_a_milestones_progress_is_not_set_over_a_newer_one(client, cluster):
    from tests.portfolio.factories import ProjectFactory

    project = ProjectFactory(cluster=cluster)
    milestone = Milestone.objects.create(project=project, title="Yo'nalishlar", due_on=datetime.date(2027, 1, 1))
    office = user_with_role(cluster, Role.OFFICE)
    client.force_login(office)
    seen = milestone.lock_version
    url = reverse("portfolio:milestone_progress", args=[milestone.pk])
    client.post(url, {"progress": "60", "lock_version": seen})
    client.post(url, {"progress": "30", "lock_version": seen})  # a second tab, loaded before the first save
    assert Milestone.objects.get(pk=milestone.pk).progress == 60


def test_the_api_refuses_a_change_over_a_newer_version_with_409(cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Kengash", area="")
    item = ActionItem.objects.create(
        cluster=cluster,
        body=council,
        owner_group=BodyFactory(cluster=cluster),
        title="x",
        deadline=datetime.date(2026, 12, 20),
    )
    api = token_client(user_with_role(cluster, Role.OFFICE))
    read = api.get(f"{API}/action-items/{item.pk}/").json()
    assert read["lock_version"] == 1
    assert (
        api.patch(f"{API}/action-items/{item.pk}/", {"title": "y", "lock_version": 1}, format="json").status_code == 200
    )
    stale = api.patch(f"{API}/action-items/{item.pk}/", {"title": "z", "lock_version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["detail"]
    assert ActionItem.objects.get(pk=item.pk).title == "y"
    blind = api.patch(f"{API}/action-items/{item.pk}/", {"title": "w"}, format="json")  # no version: no check
    assert blind.status_code == 200 and blind.json()["lock_version"] == 3
