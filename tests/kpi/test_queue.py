"""The office's review queue: find submissions by enterprise name, month and status; approve or return one or
several at once, all or none; decide on an enterprise's form."""

from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kpi.choices import SubmissionStatus
from kpi.models import Submission, add_months
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory
from tests.kpi.factories import ReportingPeriodFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

QUEUE = "/data/submissions/"


@pytest.fixture
def earlier(cluster, period):
    return ReportingPeriodFactory(
        cluster=cluster,
        month=add_months(period.month, -1),
        deadline=period.deadline,
        lock_date=period.lock_date,
    )


@pytest.fixture
def submitted(enterprise, neighbour, period):
    return [
        handed_in(enterprise, period, SubmissionStatus.SUBMITTED),
        handed_in(neighbour, period, SubmissionStatus.SUBMITTED),
    ]


def handed_in(enterprise, period, status=SubmissionStatus.SUBMITTED):
    return SubmissionFactory(
        enterprise=enterprise, period=period, status=status, submitted_at=timezone.now(), on_time=True
    )


def chosen(*submissions):
    """What the queue's form posts for these rows: their ids and the versions the page showed."""
    data = {"pk": [str(s.pk) for s in submissions]}
    data.update({f"version-{s.pk}": str(s.lock_version) for s in submissions})
    return data


def statuses(*submissions):
    return [Submission.objects.get(pk=s.pk).status for s in submissions]


def test_the_queue_finds_submissions_by_enterprise_name_month_and_status(
    client, office_user, enterprise, neighbour, period, earlier
):
    assert reverse("kpi:submission_list") == QUEUE
    handed_in(enterprise, period, SubmissionStatus.SUBMITTED)
    handed_in(neighbour, period, SubmissionStatus.RETURNED)
    handed_in(enterprise, earlier, SubmissionStatus.APPROVED)
    client.force_login(office_user)

    def names(query):
        page = client.get(QUEUE, query)
        assert page.status_code == 200
        return [(s.enterprise.name, s.period.key, s.status) for s in page.context["object_list"]]

    assert names({"q": "ip yigiruv"}) == [
        ("Buxoro Ip Yigiruv MChJ", period.key, "submitted"),
        ("Buxoro Ip Yigiruv MChJ", earlier.key, "approved"),
    ]
    assert names({"q": "301000002"}) == [("Qorako'l Paxta Tozalash AJ", period.key, "returned")]
    assert names({"period": earlier.key}) == [("Buxoro Ip Yigiruv MChJ", earlier.key, "approved")]
    assert names({"status": "submitted"}) == [("Buxoro Ip Yigiruv MChJ", period.key, "submitted")]
    page = client.get(QUEUE).content.decode()
    assert 'type="month"' in page and 'name="period"' in page  # a month picker, not typed text
    assert '<option value="" selected>Any</option>' in page  # the empty choice reads as a word
    assert "Waiting for approval" in page and 'class="count">1<' in page
    # A month typed wrong is refused at the field, not answered with everything.
    wrong = client.get(QUEUE, {"period": "2026-13"})
    assert wrong.context["filter"].errors and "YYYY-MM" in wrong.content.decode()


def test_the_office_approves_several_at_once_and_the_month_is_computed_once(client, office_user, submitted):
    client.force_login(office_user)
    with mock.patch("kpi.services.workflow.kpi_values_changed") as changed:
        response = client.post(reverse("kpi:submission_queue_decide"), {**chosen(*submitted), "action": "approve"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert statuses(*submitted) == ["approved", "approved"]
    assert changed.call_count == 1 and changed.call_args.kwargs["months"] == [submitted[0].period.month]
    page = client.get(QUEUE).content.decode()
    assert "2 submissions approved." in page


def test_a_row_button_decides_only_its_own_row(client, office_user, submitted):
    client.force_login(office_user)
    data = {**chosen(*submitted), "one": f"approve:{submitted[1].pk}"}
    client.post(reverse("kpi:submission_queue_decide"), data)
    assert statuses(*submitted) == ["submitted", "approved"]


def test_returning_several_needs_a_reason_and_tells_each_enterprise(
    client, cluster, office_user, submitted, enterprise, neighbour, django_capture_on_commit_callbacks
):
    for firm in (enterprise, neighbour):
        ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[firm], user__email=f"{firm.pk}@firm.uz")
    client.force_login(office_user)
    url = reverse("kpi:submission_queue_decide")
    refused = client.post(url, {**chosen(*submitted), "action": "return", "reason": "  "}, follow=True)
    assert "Say why the figures go back" in refused.content.decode()
    assert statuses(*submitted) == ["submitted", "submitted"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**chosen(*submitted), "action": "return", "reason": "Eksport ikki marta kiritilgan."})
    assert statuses(*submitted) == ["returned", "returned"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([f"{enterprise.pk}@firm.uz", f"{neighbour.pk}@firm.uz"])
    assert all("Eksport ikki marta kiritilgan." in m.body for m in mail.outbox)


def test_one_submission_changed_meanwhile_leaves_every_chosen_one_as_it_was(client, office_user, submitted, neighbour):
    client.force_login(office_user)
    data = {**chosen(*submitted), "action": "approve"}
    Submission.objects.filter(pk=submitted[1].pk).update(lock_version=submitted[1].lock_version + 1)
    page = client.post(reverse("kpi:submission_queue_decide"), data, follow=True).content.decode()
    assert statuses(*submitted) == ["submitted", "submitted"]
    assert neighbour.name.replace("'", "&#x27;") in page and "Nothing was changed." in page


def test_nothing_chosen_says_so(client, office_user, submitted):
    client.force_login(office_user)
    page = client.post(reverse("kpi:submission_queue_decide"), {"action": "approve"}, follow=True)
    assert "Choose at least one submission." in page.content.decode()


def test_only_the_office_of_the_cluster_decides_from_the_queue(
    client, cluster, other_cluster, representative, submitted, period
):
    url = reverse("kpi:submission_queue_decide")
    client.force_login(representative)
    assert client.post(url, {**chosen(*submitted), "action": "approve"}).status_code == 403
    # Office staff of another cluster cannot reach this cluster's submissions by their ids.
    foreign_office = ClusterRoleFactory(cluster=other_cluster, role="office").user
    client.force_login(foreign_office)
    assert client.post(url, {**chosen(*submitted), "action": "approve"}).status_code == 404
    # A representative's queue page offers no decisions.
    client.force_login(representative)
    page = client.get(QUEUE).content.decode()
    assert "queue-form" not in page and ">Approve<" not in page
    assert statuses(*submitted) == ["submitted", "submitted"]


def test_after_deciding_the_queue_comes_back_as_it_was_filtered_and_never_to_another_site(
    client, office_user, submitted
):
    client.force_login(office_user)
    url = reverse("kpi:submission_queue_decide")
    back = client.post(url, {**chosen(submitted[0]), "action": "approve", "next": f"{QUEUE}?status=submitted"})
    assert back["Location"] == f"{QUEUE}?status=submitted"
    away = client.post(url, {**chosen(submitted[1]), "action": "approve", "next": "https://evil.example/"})
    assert away["Location"] == QUEUE


def test_the_queue_reads_a_fixed_number_of_queries_whatever_its_length(client, cluster, office_user, period):
    client.force_login(office_user)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(QUEUE).status_code == 200
        return len(context.captured_queries)

    handed_in(EnterpriseFactory(cluster=cluster), period, "submitted")
    few = queries()
    for _ in range(6):
        handed_in(EnterpriseFactory(cluster=cluster), period, "submitted")
    assert queries() == few


def test_on_an_enterprises_form_the_office_approves_or_returns_and_does_not_submit(
    client, office_user, enterprise, period, submitted
):
    client.force_login(office_user)
    url = reverse("kpi:report_form", args=[enterprise.pk, period.key])
    page = client.get(url).content.decode()
    assert 'id="approve"' in page and 'id="return"' in page
    assert "Submit to the office" not in page and "Save the figures" in page
    version = Submission.objects.get(pk=submitted[0].pk).lock_version
    response = client.post(
        reverse("kpi:submission_approve", args=[submitted[0].pk]), {"lock_version": version, "next": url}
    )
    assert response["Location"] == url
    assert statuses(submitted[0]) == ["approved"]
    after = client.get(url).content.decode()
    assert 'id="approve"' not in after and 'id="return"' in after  # approved figures can still go back


def test_the_office_saving_a_draft_form_does_not_submit_it(client, cluster, office_user, enterprise, period):
    from tests.kpi.test_views import filled, post_form

    client.force_login(office_user)
    post_form(client, enterprise, period, {**filled(cluster), "action": "submit"})
    assert Submission.objects.get(enterprise=enterprise).status == SubmissionStatus.DRAFT
