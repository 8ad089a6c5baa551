"""Data completeness and timeliness: the enterprises × months grid, missing submissions, and the reminders."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.choices import EnterpriseStatus, Role
from governance.models import Enterprise
from kpi.choices import SubmissionStatus, Timeliness
from kpi.models import DataCollectionRules, Submission
from kpi.selectors import missing_submissions, timeliness_grid
from kpi.services.reminders import data_reminders
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory, UserFactory
from tests.kpi.factories import ReportingPeriodFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

TASHKENT = zoneinfo.ZoneInfo("Asia/Tashkent")
UTC = datetime.UTC
JULY, AUGUST, SEPTEMBER = datetime.date(2026, 7, 1), datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)
MICROSECOND = datetime.timedelta(microseconds=1)


def tashkent(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TASHKENT)


def submit(enterprise, period, at, status=SubmissionStatus.SUBMITTED) -> Submission:
    """A submission first handed in at `at`, with on_time measured as `submission_submit` does."""
    return SubmissionFactory(
        enterprise=enterprise, period=period, status=status, submitted_at=at, on_time=period.on_time(at)
    )


def statuses(grid) -> dict[str, list]:
    return {row.enterprise.name: [cell.status for cell in row.cells] for row in grid.rows}


@pytest.fixture
def september(cluster):
    """September 2026: due by the end of 10 October in Tashkent, i.e. before 2026-10-10 19:00 UTC."""
    return ReportingPeriodFactory(cluster=cluster, month=SEPTEMBER)


def firm(cluster, name, **kwargs):
    return EnterpriseFactory(
        cluster=cluster, name=name, joined_on=kwargs.pop("joined_on", datetime.date(2026, 1, 5)), **kwargs
    )


# --- Timeliness of one cell ---------------------------------------------------------------------------


def test_the_deadline_ends_at_midnight_after_the_deadline_day_in_tashkent(september):
    assert september.deadline == datetime.date(2026, 10, 10)
    assert september.deadline_at == datetime.datetime(2026, 10, 10, 19, 0, tzinfo=UTC)


def test_submitted_a_microsecond_before_the_deadline_is_on_time_and_at_the_deadline_late(cluster, september):
    early, punctual = firm(cluster, "A early"), firm(cluster, "B at the deadline")
    submit(early, september, september.deadline_at - MICROSECOND)
    submit(punctual, september, september.deadline_at)

    grid = timeliness_grid(cluster=cluster, now=september.deadline_at + datetime.timedelta(days=1))

    assert statuses(grid) == {"A early": [Timeliness.ON_TIME], "B at the deadline": [Timeliness.LATE]}


def test_a_submission_without_a_recorded_on_time_is_measured_against_the_deadline(cluster, september):
    old = firm(cluster, "Old row")
    SubmissionFactory(
        enterprise=old, period=september, status=SubmissionStatus.APPROVED, submitted_at=september.deadline_at
    )

    grid = timeliness_grid(cluster=cluster, now=september.deadline_at)

    assert statuses(grid) == {"Old row": [Timeliness.LATE]}


def test_an_unsubmitted_month_is_pending_until_the_deadline_and_missing_from_it(cluster, september):
    drafting = firm(cluster, "A drafting")
    firm(cluster, "B silent")
    draft = SubmissionFactory(enterprise=drafting, period=september, status=SubmissionStatus.DRAFT)

    before = timeliness_grid(cluster=cluster, now=september.deadline_at - MICROSECOND)
    after = timeliness_grid(cluster=cluster, now=september.deadline_at)

    assert statuses(before) == {"A drafting": [Timeliness.PENDING], "B silent": [Timeliness.PENDING]}
    assert statuses(after) == {"A drafting": [Timeliness.MISSING], "B silent": [Timeliness.MISSING]}
    assert after.rows[0].cells[0].submission_id == draft.pk
    assert after.rows[1].cells[0].submission_id is None


def test_a_returned_submission_keeps_the_timeliness_of_its_first_submission(cluster, september):
    returned = firm(cluster, "Returned")
    submit(returned, september, tashkent(2026, 10, 3, 9), status=SubmissionStatus.RETURNED)

    grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 10, 20))

    assert statuses(grid) == {"Returned": [Timeliness.ON_TIME]}


# --- Shares per month and per enterprise -------------------------------------------------------------


def test_shares_per_month_and_per_enterprise_on_a_hand_computed_example(cluster):
    """
    now = 5 October: July and August are past their deadlines, September is not due until 10 October.

                 July      August    September   complete  on time
        A        on time   on time   on time     3/3       3/3
        B        late      missing   pending     1/3       0/3
        C        —         late      pending     1/2       0/2     (joined 20 August)
        complete 2/2       2/3       1/3
        on time  1/2       1/3       1/3
    """
    july, august, september = (ReportingPeriodFactory(cluster=cluster, month=m) for m in (JULY, AUGUST, SEPTEMBER))
    a, b = firm(cluster, "A"), firm(cluster, "B")
    c = firm(cluster, "C", joined_on=datetime.date(2026, 8, 20))
    submit(a, july, tashkent(2026, 8, 3, 10))
    submit(a, august, tashkent(2026, 9, 10, 23, 59), status=SubmissionStatus.APPROVED)
    submit(a, september, tashkent(2026, 10, 2, 10))
    submit(b, july, tashkent(2026, 8, 11, 0, 0))
    SubmissionFactory(enterprise=b, period=september, status=SubmissionStatus.DRAFT)
    submit(c, august, tashkent(2026, 9, 15, 10), status=SubmissionStatus.LOCKED)

    grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 10, 5, 12))

    on_time, late, missing, pending = Timeliness.ON_TIME, Timeliness.LATE, Timeliness.MISSING, Timeliness.PENDING
    assert [p.key for p in grid.periods] == ["2026-07", "2026-08", "2026-09"]
    assert statuses(grid) == {
        "A": [on_time, on_time, on_time],
        "B": [late, missing, pending],
        "C": [None, late, pending],
    }
    months = [(t.expected, t.submitted, t.on_time, t.share_complete, t.share_on_time) for t in grid.columns]
    assert months == [
        (2, 2, 1, pytest.approx(1.0), pytest.approx(1 / 2)),
        (3, 2, 1, pytest.approx(2 / 3), pytest.approx(1 / 3)),
        (3, 1, 1, pytest.approx(1 / 3), pytest.approx(1 / 3)),
    ]
    firms = {r.enterprise.name: (r.tally.expected, r.tally.share_complete, r.tally.share_on_time) for r in grid.rows}
    assert firms == {
        "A": (3, pytest.approx(1.0), pytest.approx(1.0)),
        "B": (3, pytest.approx(1 / 3), pytest.approx(0.0)),
        "C": (2, pytest.approx(1 / 2), pytest.approx(0.0)),
    }
    b_tally = grid.rows[1].tally
    assert (b_tally.late, b_tally.missing, b_tally.pending) == (1, 1, 1)
    assert (grid.total.expected, grid.total.submitted, grid.total.on_time) == (8, 5, 3)


def test_a_month_with_no_one_expected_has_no_shares(cluster):
    ReportingPeriodFactory(cluster=cluster, month=JULY)
    firm(cluster, "Joined later", joined_on=datetime.date(2026, 8, 1))

    grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 10, 1))

    assert grid.rows == []
    assert (grid.columns[0].expected, grid.columns[0].share_complete, grid.columns[0].share_on_time) == (0, None, None)


def test_a_cluster_without_periods_gives_an_empty_grid(cluster):
    firm(cluster, "A")
    grid = timeliness_grid(cluster=cluster)
    assert (grid.periods, grid.rows, grid.columns, grid.total.share_complete) == ([], [], [], None)


# --- Who is expected, which months --------------------------------------------------------------------


def test_suspended_firms_are_expected_and_firms_that_left_only_up_to_their_last_submission(cluster, other_cluster):
    july, august, september = (ReportingPeriodFactory(cluster=cluster, month=m) for m in (JULY, AUGUST, SEPTEMBER))
    firm(cluster, "Suspended", status=EnterpriseStatus.SUSPENDED)
    left = firm(cluster, "Left in August", status=EnterpriseStatus.LEFT)
    submit(left, july, tashkent(2026, 8, 1))
    firm(cluster, "Left without reporting", status=EnterpriseStatus.LEFT)
    firm(other_cluster, "Elsewhere")
    ReportingPeriodFactory(cluster=other_cluster, month=AUGUST)

    grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 12, 1))

    assert statuses(grid) == {
        "Left in August": [Timeliness.ON_TIME, None, None],
        "Suspended": [Timeliness.MISSING, Timeliness.MISSING, Timeliness.MISSING],
    }
    assert [t.expected for t in grid.columns] == [2, 1, 1]
    assert list(missing_submissions(period=july)) == [grid.rows[1].enterprise]
    assert [e.name for e in missing_submissions(period=august)] == ["Suspended"]


def test_a_submission_counts_even_before_the_recorded_join_date(cluster):
    july = ReportingPeriodFactory(cluster=cluster, month=JULY)
    late_joiner = firm(cluster, "Late joiner", joined_on=datetime.date(2026, 9, 1))
    submit(late_joiner, july, tashkent(2026, 8, 5))

    grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 10, 1))

    assert statuses(grid) == {"Late joiner": [Timeliness.ON_TIME]}


def test_the_grid_shows_the_last_12_months_oldest_first_or_the_months_asked_for(cluster):
    for i in range(14):
        ReportingPeriodFactory(cluster=cluster, month=datetime.date(2025 + (i + 6) // 12, (i + 6) % 12 + 1, 1))

    default = timeliness_grid(cluster=cluster)
    chosen = timeliness_grid(cluster=cluster, months=[SEPTEMBER, datetime.date(2025, 9, 15), datetime.date(2024, 1, 1)])

    assert [p.key for p in default.periods] == [f"2025-{m:02d}" for m in range(9, 13)] + [
        f"2026-{m:02d}" for m in range(1, 9)
    ]
    assert [p.key for p in chosen.periods] == ["2025-09"]


def test_the_rows_can_be_limited_but_never_reach_another_cluster(cluster, other_cluster, september):
    a, b = firm(cluster, "A"), firm(cluster, "B")
    stranger = firm(other_cluster, "Stranger")

    by_list = timeliness_grid(cluster=cluster, enterprises=[b, stranger], now=september.deadline_at)
    by_queryset = timeliness_grid(cluster=cluster, enterprises=Enterprise.objects.filter(name__in=["A", "Stranger"]))

    assert [r.enterprise for r in by_list.rows] == [b]
    assert [r.enterprise for r in by_queryset.rows] == [a]


def test_the_grid_takes_the_same_number_of_queries_for_3_and_12_enterprises(cluster):
    periods = [ReportingPeriodFactory(cluster=cluster, month=datetime.date(2025, m, 1)) for m in range(1, 13)]

    def add_firms(count):
        for _ in range(count):
            enterprise = firm(cluster, f"Firm {count}-{_}", joined_on=datetime.date(2024, 12, 1))
            for period in periods[::2]:
                submit(enterprise, period, tashkent(period.deadline.year, period.deadline.month, 9))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            grid = timeliness_grid(cluster=cluster, now=tashkent(2026, 3, 1))
            _ = [(r.tally.share_on_time, [c.status for c in r.cells]) for r in grid.rows]
        return len(captured.captured_queries), len(grid.rows)

    add_firms(3)
    three = queries()
    add_firms(9)
    twelve = queries()

    assert (three[1], twelve[1]) == (3, 12)
    assert three[0] == twelve[0] == 3


# --- Missing submissions -------------------------------------------------------------------------------


def test_missing_submissions_are_drafts_and_silence_of_participants_only(cluster, other_cluster, september):
    firm(cluster, "A silent")
    drafting = firm(cluster, "B drafting")
    SubmissionFactory(enterprise=drafting, period=september, status=SubmissionStatus.DRAFT)
    submit(firm(cluster, "C submitted"), september, tashkent(2026, 10, 1))
    submit(firm(cluster, "D returned"), september, tashkent(2026, 10, 1), status=SubmissionStatus.RETURNED)
    firm(cluster, "E joined in October", joined_on=datetime.date(2026, 10, 1))
    firm(cluster, "F left", status=EnterpriseStatus.LEFT)
    firm(other_cluster, "G elsewhere")

    assert [e.name for e in missing_submissions(period=september)] == ["A silent", "B drafting"]


# --- Reminders ----------------------------------------------------------------------------------------


@pytest.fixture
def reminder_world(cluster, other_cluster, september):
    """Two firms that have not submitted September, one that has; an office; a neighbour cluster due on the 15th."""
    silent, drafting, done = firm(cluster, "A silent"), firm(cluster, "B drafting"), firm(cluster, "C done")
    SubmissionFactory(enterprise=drafting, period=september, status=SubmissionStatus.DRAFT)
    submit(done, september, tashkent(2026, 10, 2))
    firm(cluster, "D nobody to tell")
    for enterprise in (silent, drafting, done):
        ClusterRoleFactory(
            cluster=cluster,
            role=Role.ENTERPRISE,
            enterprises=[enterprise],
            user=UserFactory(username=enterprise.name.split()[1], email=f"{enterprise.name.split()[1]}@firm.uz"),
        )
    ClusterRoleFactory(cluster=cluster, role=Role.OFFICE, user=UserFactory(username="office", email="office@c.uz"))
    ClusterRoleFactory(
        cluster=cluster, role=Role.OFFICE, user=UserFactory(username="gone", email="gone@c.uz"), is_active=False
    )
    ClusterRoleFactory(cluster=cluster, role=Role.OFFICE, user=UserFactory(username="mute", email=""))
    ClusterRoleFactory(cluster=cluster, role=Role.COUNCIL, user=UserFactory(username="council", email="council@c.uz"))
    ClusterRoleFactory(cluster=other_cluster, role=Role.OFFICE, user=UserFactory(username="far", email="far@o.uz"))
    DataCollectionRules.objects.create(cluster=other_cluster, deadline_day=15)
    stranger = firm(other_cluster, "Stranger")
    ReportingPeriodFactory(cluster=other_cluster, month=SEPTEMBER, deadline=datetime.date(2026, 10, 15))
    ClusterRoleFactory(
        cluster=other_cluster,
        role=Role.ENTERPRISE,
        enterprises=[stranger],
        user=UserFactory(username="stranger", email="stranger@o.uz"),
    )


def recipients(mailoutbox) -> list[list[str]]:
    return sorted(m.to for m in mailoutbox)


@pytest.mark.usefixtures("reminder_world")
def test_representatives_of_firms_without_figures_are_reminded_three_days_before_the_deadline(mailoutbox):
    assert data_reminders(now=tashkent(2026, 10, 7, 9)) == 2

    assert recipients(mailoutbox) == [["drafting@firm.uz"], ["silent@firm.uz"]]
    mail = next(m for m in mailoutbox if m.to == ["silent@firm.uz"])
    assert mail.subject == "The figures of September 2026 are due on Oct. 10, 2026"
    assert "A silent" in mail.body and "September 2026" in mail.body and "Oct. 10, 2026" in mail.body


@pytest.mark.usefixtures("reminder_world")
def test_and_again_on_the_deadline_day(mailoutbox):
    assert data_reminders(now=tashkent(2026, 10, 10, 9)) == 2

    assert recipients(mailoutbox) == [["drafting@firm.uz"], ["silent@firm.uz"]]
    assert {m.subject for m in mailoutbox} == {"Today is the deadline for the figures of September 2026"}
    assert all("due today" in m.body for m in mailoutbox)


@pytest.mark.usefixtures("reminder_world")
def test_the_day_after_the_deadline_the_office_gets_one_list_of_the_missing(mailoutbox):
    assert data_reminders(now=tashkent(2026, 10, 11, 9)) == 1

    [mail] = mailoutbox
    assert mail.to == ["office@c.uz"]
    assert mail.subject == "3 enterprises have not submitted the figures of September 2026"
    assert "- A silent (" in mail.body and "- B drafting (" in mail.body and "- D nobody to tell (" in mail.body
    assert "C done" not in mail.body


@pytest.mark.usefixtures("reminder_world")
@pytest.mark.parametrize("day", [5, 6, 8, 9, 13, 14])
def test_nothing_is_sent_on_other_days(mailoutbox, day):
    assert data_reminders(now=tashkent(2026, 10, day, 9)) == 0
    assert mailoutbox == []


@pytest.mark.usefixtures("reminder_world")
def test_the_day_is_the_day_in_tashkent(mailoutbox):
    assert data_reminders(now=datetime.datetime(2026, 10, 9, 18, 59, tzinfo=UTC)) == 0  # 9 Oct, 23:59 in Tashkent

    assert data_reminders(now=datetime.datetime(2026, 10, 9, 20, 0, tzinfo=UTC)) == 2  # already 10 Oct in Tashkent
    assert {m.subject for m in mailoutbox} == {"Today is the deadline for the figures of September 2026"}

    mailoutbox.clear()
    assert data_reminders(now=datetime.datetime(2026, 10, 10, 19, 0, tzinfo=UTC)) == 1  # 11 Oct, 00:00 in Tashkent
    assert mailoutbox[0].to == ["office@c.uz"]


@pytest.mark.usefixtures("reminder_world")
def test_the_first_reminder_follows_the_clusters_rules_and_other_clusters_follow_theirs(cluster, mailoutbox):
    DataCollectionRules.objects.create(cluster=cluster, reminder_days_before=5)

    assert data_reminders(now=tashkent(2026, 10, 7, 9)) == 0
    assert data_reminders(now=tashkent(2026, 10, 5, 9)) == 2
    mailoutbox.clear()

    assert data_reminders(now=tashkent(2026, 10, 12, 9)) == 1  # the neighbour cluster: 3 days before the 15th
    assert recipients(mailoutbox) == [["stranger@o.uz"]]


@pytest.mark.usefixtures("reminder_world")
def test_nobody_is_told_once_everyone_has_submitted(cluster, september, mailoutbox):
    for enterprise in cluster.enterprises.exclude(name="C done"):
        Submission.objects.update_or_create(
            enterprise=enterprise,
            period=september,
            defaults={"cluster": cluster, "status": SubmissionStatus.SUBMITTED, "submitted_at": tashkent(2026, 10, 6)},
        )

    assert data_reminders(now=tashkent(2026, 10, 7, 9)) == 0
    assert data_reminders(now=tashkent(2026, 10, 11, 9)) == 0
    assert mailoutbox == []
