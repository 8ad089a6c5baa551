import datetime

import pytest

from governance import selectors
from governance.choices import ActionItemStatus, BodyKind
from governance.models import ActionItem
from tests.governance.factories import BodyFactory, ClusterFactory, body_with_members

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 30)


def _item(cluster, body, owner, deadline, status=ActionItemStatus.OPEN, done_on=None, title="item"):
    return ActionItem.objects.create(
        cluster=cluster, body=body, owner_person=owner, title=title, deadline=deadline, status=status, done_on=done_on
    )


def test_execution_discipline_is_the_share_done_by_the_deadline_per_body_and_cluster(cluster):
    council, (a, *_rest) = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    group = BodyFactory(cluster=cluster)
    d = datetime.date
    _item(cluster, council, a, d(2025, 5, 10), "done", d(2025, 5, 10))  # on time, on the day
    _item(cluster, council, a, d(2025, 5, 20), "done", d(2025, 5, 21))  # late
    _item(cluster, council, a, d(2025, 6, 1))  # open and past due
    _item(cluster, council, a, d(2025, 6, 2), "cancelled")  # not counted
    _item(cluster, group, a, d(2025, 6, 15), "done", d(2025, 6, 1))  # early
    _item(cluster, group, a, d(2025, 7, 15), "done", d(2025, 6, 1))  # not yet due: not counted
    _item(cluster, group, a, d(2025, 3, 1), "done", d(2025, 3, 1))  # before the period
    total, per_body = selectors.execution_discipline(
        cluster=cluster, start=d(2025, 5, 1), end=d(2025, 7, 31), today=TODAY
    )
    assert (total.due, total.on_time) == (4, 2)
    assert total.share == 0.5
    by_name = {body.pk: (x.due, x.on_time) for body, x in per_body}
    assert by_name == {council.pk: (3, 1), group.pk: (1, 1)}


def test_execution_discipline_of_several_clusters_at_once_is_each_clusters_own(cluster, other_cluster):
    council, (a,) = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    other, (b,) = body_with_members(other_cluster, BodyKind.COUNCIL, members=1)
    d = datetime.date
    _item(cluster, council, a, d(2025, 5, 10), "done", d(2025, 5, 10))
    _item(cluster, council, a, d(2025, 6, 1))
    _item(other_cluster, other, b, d(2025, 6, 1), "done", d(2025, 6, 3))
    _item(other_cluster, other, b, d(2025, 7, 15), "done", d(2025, 6, 1))  # not yet due
    empty = ClusterFactory(name="Quiet cluster")
    found = selectors.execution_discipline_by_cluster(
        clusters=[cluster, other_cluster, empty], start=d(2025, 5, 1), end=d(2025, 7, 31), today=TODAY
    )
    assert {pk: (x.due, x.on_time) for pk, x in found.items()} == {
        cluster.pk: (2, 1),
        other_cluster.pk: (1, 0),
        empty.pk: (0, 0),
    }
    alone, _ = selectors.execution_discipline(cluster=cluster, start=d(2025, 5, 1), end=d(2025, 7, 31), today=TODAY)
    assert found[cluster.pk] == alone


def test_execution_discipline_with_nothing_due_has_no_share(cluster):
    total, per_body = selectors.execution_discipline(
        cluster=cluster, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 2, 1), today=TODAY
    )
    assert total.share is None and per_body == []


def test_execution_discipline_ignores_other_clusters(cluster, other_cluster):
    council, (a,) = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    other, (b,) = body_with_members(other_cluster, BodyKind.COUNCIL, members=1)
    _item(other_cluster, other, b, datetime.date(2025, 6, 1), "done", datetime.date(2025, 6, 1))
    total, _ = selectors.execution_discipline(cluster=cluster, start=datetime.date(2025, 1, 1), end=TODAY, today=TODAY)
    assert total.due == 0


def test_action_items_list_puts_overdue_first(cluster):
    council, (a,) = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    d = datetime.date
    _item(cluster, council, a, d(2025, 7, 5), title="open later")
    _item(cluster, council, a, d(2025, 6, 1), "done", d(2025, 6, 1), title="done")
    _item(cluster, council, a, d(2025, 6, 20), title="overdue newer")
    _item(cluster, council, a, d(2025, 5, 1), "in_progress", title="overdue older")
    titles = [i.title for i in selectors.action_items_overdue_first(ActionItem.objects.all(), TODAY)]
    assert titles == ["overdue older", "overdue newer", "open later", "done"]


def test_responsibility_matrix_has_a_row_per_area_and_a_column_per_body(cluster):
    from governance.choices import MatrixArea
    from governance.models import ResponsibilityAssignment

    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Council")
    group = BodyFactory(cluster=cluster, area="logistics", name="Logistics")
    ResponsibilityAssignment.objects.create(cluster=cluster, area="logistics", body=council, responsibility="decides")
    ResponsibilityAssignment.objects.create(cluster=cluster, area="logistics", body=group, responsibility="executes")
    bodies, rows = selectors.responsibility_matrix(cluster=cluster)
    assert bodies == [council, group]
    assert len(rows) == len(MatrixArea.choices)
    logistics = next(r for r in rows if r.area == "logistics")
    assert logistics.cells == ["decides", "executes"]
