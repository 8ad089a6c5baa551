"""The history of changes is exact under concurrency: two bulk posts of the same rows at the same moment record each
change once, with its true old value, and both answers count what they did."""

import datetime
import threading

import pytest
from django.db import connection, connections

from governance.choices import Role
from kpi.models import DataElement, DataValue, DataValueChange, ReportingPeriod
from kpi.services import ingest
from tests.governance.factories import EnterpriseFactory, user_with_role
from tests.governance.test_api import API, token_client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MONTH = datetime.date(2026, 10, 1)


def batch(firms, elements, bump=0) -> list[dict]:
    return [
        {"enterprise": f.taxpayer_id, "period": "2026-10", "data_element": e.code, "value": 10 + bump}
        for f in firms
        for e in elements
    ]


def side_by_side(monkeypatch, calls):
    """Run the calls in threads that meet after reading the stored figures: without the writers taking turns,
    both would read the same (stale) figures. Answers the results in the order of `calls`."""
    meet = threading.Barrier(len(calls))
    check = ingest.check_rows

    def reading_done(*args, **kwargs):
        try:
            meet.wait(timeout=2)  # a writer that waits for the other's lock never gets here at the same time
        except threading.BrokenBarrierError:
            pass
        return check(*args, **kwargs)

    monkeypatch.setattr(ingest, "check_rows", reading_done)
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def month_of_39(cluster, kpi_catalogue):
    ReportingPeriod.objects.create(
        cluster=cluster, month=MONTH, deadline=datetime.date(2026, 11, 10), lock_date=datetime.date(2030, 1, 1)
    )
    firms = [EnterpriseFactory(cluster=cluster, taxpayer_id=f"{310000000 + i:09d}") for i in range(39)]
    elements = list(DataElement.objects.order_by("position")[:17])
    return firms, elements


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: the embedded SQLite takes one")
def test_two_posts_of_the_same_663_rows_at_once_record_each_change_once(cluster, month_of_39, monkeypatch):
    firms, elements = month_of_39
    office = user_with_role(cluster, Role.OFFICE)
    rows = batch(firms, elements)
    assert len(rows) == 663
    clients = [token_client(office), token_client(office)]

    def post(client):
        return lambda: client.post(f"{API}/data-values/", {"cluster": cluster.pk, "rows": rows}, format="json").json()

    first, second = side_by_side(monkeypatch, [post(c) for c in clients])
    assert sorted([(first["created"], first["unchanged"]), (second["created"], second["unchanged"])]) == [
        (0, 663),
        (663, 0),
    ]
    assert DataValueChange.objects.count() == 663
    assert not DataValueChange.objects.filter(existed=True).exists()
    assert DataValue.objects.count() == 663

    # Two changes of the same rows at once: each recorded once, the second with the first's value as its old one.
    changed_a, changed_b = batch(firms, elements, bump=1), batch(firms, elements, bump=2)
    a, b = side_by_side(
        monkeypatch,
        [
            lambda: (
                clients[0].post(f"{API}/data-values/", {"cluster": cluster.pk, "rows": changed_a}, format="json").json()
            ),
            lambda: (
                clients[1].post(f"{API}/data-values/", {"cluster": cluster.pk, "rows": changed_b}, format="json").json()
            ),
        ],
    )
    assert (a["updated"], b["updated"]) == (663, 663)
    history = DataValueChange.objects.filter(existed=True)
    assert history.count() == 1326
    firm, element = firms[0], elements[0]
    chain = list(
        history.filter(enterprise=firm, data_element=element).order_by("pk").values_list("old_value", "new_value")
    )
    final = DataValue.objects.get(enterprise=firm, data_element=element).value
    assert chain[0][0] == 10 and chain[0][1] == chain[1][0] and chain[1][1] == final  # an unbroken chain


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: the embedded SQLite takes one")
def test_an_approval_waits_for_a_write_under_way_and_then_refuses_the_figures_it_did_not_see(
    cluster, month_of_39, monkeypatch
):
    """The office approves the version it looked at while another office user's change of the same month is being
    stored: the approval waits for that write, sees a newer version and approves nothing."""
    from django.db import transaction

    from core.versioning import StaleVersion
    from kpi.models import Submission
    from kpi.services import workflow

    firms, elements = month_of_39
    firm = firms[0]
    writer, approver = user_with_role(cluster, Role.OFFICE), user_with_role(cluster, Role.OFFICE)
    ingest.data_values_write(cluster=cluster, user=None, rows=batch([firm], elements), channel="system")
    Submission.objects.filter(enterprise=firm).update(
        status="submitted", submitted_at=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC)
    )
    seen = Submission.objects.get(enterprise=firm).lock_version
    writing = threading.Event()
    insert = ingest._insert_postgresql if connection.vendor == "postgresql" else ingest._insert_orm

    def slow_insert(*args, **kwargs):
        insert(*args, **kwargs)
        writing.set()  # the figures are in, not yet committed, and the submission's version not yet raised
        threading.Event().wait(1.0)

    monkeypatch.setattr(ingest, "_insert_postgresql", slow_insert)
    outcome = {}

    def write():
        try:
            with transaction.atomic():
                ingest.data_values_write(
                    cluster=cluster, user=writer, rows=batch([firm], elements[:1], bump=5), channel="api"
                )
        finally:
            connections.close_all()

    def approve():
        try:
            writing.wait(5)
            submission = Submission.objects.get(enterprise=firm)
            workflow.submission_approve(submission=submission, user=approver, expected_version=seen)
            outcome["approved"] = True
        except StaleVersion:
            outcome["approved"] = False
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    submission = Submission.objects.get(enterprise=firm)
    assert outcome == {"approved": False}
    assert submission.status == "submitted" and submission.lock_version > seen
    assert DataValue.objects.get(enterprise=firm, data_element=elements[0]).value == 15
