import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from kpi import services
from kpi.choices import Channel, CorrectionStatus, SubmissionStatus
from kpi.models import ClusterKpi, Correction, DataValue, DataValueChange, Kpi, Submission, add_months
from tests.governance.factories import EnterpriseFactory
from tests.kpi.factories import ReportingPeriodFactory, element

pytestmark = pytest.mark.django_db


def row(enterprise, period, code, value, **extra):
    return {"enterprise": enterprise.taxpayer_id, "period": period.key, "data_element": code, "value": value, **extra}


def write(cluster, user, rows, **kwargs):
    return services.data_values_write(cluster=cluster, user=user, rows=rows, channel=Channel.API, **kwargs)


def stored(enterprise, period, code):
    return DataValue.objects.get(enterprise=enterprise, period=period, data_element__code=code).value


# --- Catalogue and set-up ---------------------------------------------------------------------------


def test_fresh_install_has_the_catalogue_of_18_data_elements_and_15_kpis():
    assert Kpi.objects.filter(source="data").count() == 15
    assert set(Kpi.objects.filter(source="platform").values_list("code", flat=True)) == {
        "PARTIC",
        "REGS",
        "WGS",
        "PROJSEL",
        "DISCIP",
        "TIMELY",
    }
    assert {k.code for k in Kpi.objects.all()} >= {"FPS", "DEFECT", "EXPGR", "LOCAL", "SKILLS"}
    defect = Kpi.objects.get(code="DEFECT")
    assert (defect.numerator.code, defect.denominator.code, defect.direction) == (
        "defective_units",
        "produced_units",
        "lower",
    )
    assert element("employees").aggregation == "stock"


def test_a_cluster_starts_with_14_active_kpis_and_the_office_is_warned_outside_12_to_15(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    assert ClusterKpi.objects.filter(cluster=cluster, active=True, kpi__source="data").count() == 14
    settings = [
        services.KpiSetting(ck.kpi_id, ck.kpi.code in {"FPS", "DEFECT"}, None, None)
        for ck in ClusterKpi.objects.filter(cluster=cluster).select_related("kpi")
    ]
    warning = services.cluster_kpis_save(cluster=cluster, settings=settings)
    assert warning and "2" in warning
    settings = [services.KpiSetting(s.kpi_id, True, None, None) for s in settings]
    assert services.cluster_kpis_save(cluster=cluster, settings=settings) is None


def test_a_minimum_better_than_the_target_is_refused_by_direction(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    defect = ClusterKpi.objects.get(cluster=cluster, kpi__code="DEFECT")
    fps = ClusterKpi.objects.get(cluster=cluster, kpi__code="FPS")
    with pytest.raises(ValidationError) as error:
        services.cluster_kpis_save(
            cluster=cluster, settings=[services.KpiSetting(defect.kpi_id, True, Decimal("0.02"), Decimal("0.01"))]
        )
    assert "minimum" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.cluster_kpis_save(
            cluster=cluster, settings=[services.KpiSetting(fps.kpi_id, True, Decimal("0.40"), Decimal("0.50"))]
        )
    services.cluster_kpis_save(
        cluster=cluster, settings=[services.KpiSetting(defect.kpi_id, True, Decimal("0.02"), Decimal("0.04"))]
    )
    defect.refresh_from_db()
    assert defect.minimum == Decimal("0.04")


# --- Periods ----------------------------------------------------------------------------------------


def test_period_dates_follow_the_clusters_data_collection_rules(cluster):
    rules = services.collection_rules(cluster)
    rules.deadline_day, rules.lock_delay_days = 12, 20
    services.collection_rules_save(rules=rules)
    period = services.period_open(cluster=cluster, month=datetime.date(2026, 1, 1))
    assert (period.deadline, period.lock_date) == (datetime.date(2026, 2, 12), datetime.date(2026, 3, 4))
    assert services.period_open(cluster=cluster, month=datetime.date(2026, 1, 1)).pk == period.pk


def test_the_scheduled_opening_opens_the_months_that_ended_once(cluster, other_cluster):
    now = datetime.datetime(2025, 4, 1, 0, 30, tzinfo=datetime.UTC)  # 05:30 on 1 April in Tashkent
    assert services.periods_open_due(now=now) == 6  # January to March, in both clusters
    assert services.periods_open_due(now=now) == 0
    assert cluster.periods.filter(month=datetime.date(2025, 3, 1)).exists()
    assert not cluster.periods.filter(month=datetime.date(2025, 4, 1)).exists()


# --- Writing figures --------------------------------------------------------------------------------


def test_a_batch_is_upserted_and_reposting_it_counts_unchanged(cluster, period, enterprise, office_user):
    rows = [row(enterprise, period, "total_output", 1200), row(enterprise, period, "finished_output", "300,5")]
    first = write(cluster, office_user, rows)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (2, 0, 0, 0)
    again = write(cluster, office_user, rows)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    changed = write(cluster, office_user, [row(enterprise, period, "total_output", 1300)])
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    assert stored(enterprise, period, "finished_output") == Decimal("300.5")
    assert DataValue.objects.count() == 2
    assert Submission.objects.get(enterprise=enterprise, period=period).status == SubmissionStatus.DRAFT


def test_every_change_is_recorded_with_who_when_old_new_and_channel(cluster, period, enterprise, office_user):
    write(cluster, office_user, [row(enterprise, period, "employees", 40)])
    write(cluster, office_user, [row(enterprise, period, "employees", 42)])
    write(cluster, office_user, [row(enterprise, period, "employees", None)])
    changes = list(DataValueChange.objects.order_by("pk").values_list("existed", "old_value", "new_value", "channel"))
    assert changes == [
        (False, None, Decimal(40), Channel.API),
        (True, Decimal(40), Decimal(42), Channel.API),
        (True, Decimal(42), None, Channel.API),
    ]
    assert set(DataValueChange.objects.values_list("changed_by", flat=True)) == {office_user.pk}


def test_empty_and_zero_are_different(cluster, period, enterprise, office_user):
    write(
        cluster, office_user, [row(enterprise, period, "export_revenue", 0), row(enterprise, period, "employees", "")]
    )
    assert stored(enterprise, period, "export_revenue") == Decimal(0)
    assert stored(enterprise, period, "employees") is None
    again = write(cluster, office_user, [row(enterprise, period, "export_revenue", None)])
    assert again.updated == 1


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("total_output", -1, "negative"),
        ("total_output", "a lot", "number"),
        ("total_output", True, "number"),
        ("employees", "12.5", "whole number"),
        ("downtime_days", 31, "30 days"),
        ("total_output", "1e20", "too large"),
    ],
)
def test_a_bad_value_is_rejected_at_its_field(cluster, enterprise, office_user, code, value, message):
    period = ReportingPeriodFactory(
        cluster=cluster,
        month=datetime.date(2026, 11, 1),
        deadline=datetime.date(2026, 12, 10),
        lock_date=datetime.date(2026, 12, 25),
    )
    result = write(cluster, office_user, [row(enterprise, period, code, value)], now=timezone.now())
    assert result.rejected == 1 and result.created == 0
    assert result.conflicts[0].field == "value"
    assert message in result.conflicts[0].message
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    ("part", "whole", "words"),
    [
        ("defective_units", "produced_units", "Defective units"),
        ("shipments_on_time", "shipments_total", "Shipments on time"),
        ("purchases_in_cluster", "purchases_total", "cluster participants"),
        ("local_inputs", "purchases_total", "Locally made inputs"),
        ("finished_output", "total_output", "Finished-product output"),
        ("value_added", "total_output", "Value added"),
        ("employees_trained", "employees", "Employees trained"),
    ],
)
def test_each_hard_rule_rejects_the_part_above_the_whole(cluster, period, enterprise, office_user, part, whole, words):
    result = write(cluster, office_user, [row(enterprise, period, whole, 10), row(enterprise, period, part, 11)])
    assert [(c.row, c.field) for c in result.conflicts] == [(1, "value")]
    assert words in result.conflicts[0].message
    assert (result.created, result.rejected) == (1, 1)  # the whole is written, the part is not
    assert not DataValue.objects.filter(data_element__code=part).exists()


def test_a_hard_rule_holds_against_the_stored_figures_too(cluster, period, enterprise, office_user):
    write(
        cluster,
        office_user,
        [row(enterprise, period, "produced_units", 100), row(enterprise, period, "defective_units", 5)],
    )
    lower = write(cluster, office_user, [row(enterprise, period, "produced_units", 4)])
    assert lower.rejected == 1 and "Defective units" in lower.conflicts[0].message
    assert stored(enterprise, period, "produced_units") == 100


def test_atomic_batch_with_one_bad_row_writes_nothing(cluster, period, enterprise, office_user):
    rows = [row(enterprise, period, "total_output", 100), row(enterprise, period, "employees", -3)]
    result = write(cluster, office_user, rows, atomic=True)
    assert (result.created, result.rejected) == (0, 2)
    assert [c.row for c in result.conflicts] == [1]
    assert not DataValue.objects.exists() and not DataValueChange.objects.exists()


def test_dry_run_counts_and_writes_nothing(cluster, period, enterprise, office_user):
    result = write(cluster, office_user, [row(enterprise, period, "total_output", 100)], dry_run=True)
    assert result.created == 1
    assert not DataValue.objects.exists() and not Submission.objects.exists()


def test_rows_naming_unknown_things_are_rejected_each_at_its_field(cluster, period, enterprise, office_user):
    rows = [
        {"enterprise": "999999999", "period": period.key, "data_element": "total_output", "value": 1},
        {"enterprise": enterprise.taxpayer_id, "period": "2026/01", "data_element": "total_output", "value": 1},
        {"enterprise": enterprise.taxpayer_id, "period": "1999-01", "data_element": "total_output", "value": 1},
        {"enterprise": enterprise.taxpayer_id, "period": period.key, "data_element": "bananas", "value": 1},
        {"enterprise": enterprise.taxpayer_id, "period": period.key, "data_element": "employees"},
        "not a row",
        row(enterprise, period, "employees", 5),
        row(enterprise, period, "employees", 6),
    ]
    result = write(cluster, office_user, rows)
    assert [(c.row, c.field) for c in result.conflicts] == [
        (0, "enterprise"),
        (1, "period"),
        (2, "period"),
        (3, "data_element"),
        (4, "value"),
        (5, "non_field_errors"),
        (7, "data_element"),
    ]
    assert result.created == 1 and result.rejected == 7


def test_a_representative_writes_only_their_own_enterprise(cluster, period, enterprise, neighbour, representative):
    result = write(
        cluster, representative, [row(enterprise, period, "employees", 5), row(neighbour, period, "employees", 5)]
    )
    assert [(c.row, c.field) for c in result.conflicts] == [(1, "enterprise")]
    assert not DataValue.objects.filter(enterprise=neighbour).exists()


def test_another_clusters_enterprise_is_unknown_here(cluster, other_cluster, period, office_user):
    foreign = EnterpriseFactory(cluster=other_cluster, taxpayer_id="309999999")
    result = write(cluster, office_user, [row(foreign, period, "employees", 5)])
    assert result.conflicts[0].field == "enterprise" and "No participant" in result.conflicts[0].message


def test_a_submitted_month_is_closed_to_the_enterprise_but_not_to_the_office(
    cluster, period, enterprise, representative, office_user
):
    write(cluster, representative, [row(enterprise, period, "employees", 5)])
    Submission.objects.filter(enterprise=enterprise).update(
        status=SubmissionStatus.SUBMITTED, submitted_at=timezone.now()
    )
    refused = write(cluster, representative, [row(enterprise, period, "employees", 6)])
    assert refused.conflicts[0].field == "period" and "submitted" in refused.conflicts[0].message
    assert write(cluster, office_user, [row(enterprise, period, "employees", 6)]).updated == 1


def test_a_locked_month_refuses_changes_even_from_the_office(cluster, enterprise, office_user):
    locked = ReportingPeriodFactory(
        cluster=cluster,
        month=datetime.date(2025, 1, 1),
        deadline=datetime.date(2025, 2, 10),
        lock_date=datetime.date(2025, 2, 25),
    )
    result = write(cluster, office_user, [row(enterprise, locked, "employees", 5)])
    assert result.rejected == 1 and "locked" in result.conflicts[0].message
    assert not DataValue.objects.exists()


def test_the_database_keeps_one_value_per_enterprise_period_and_element(cluster, period, enterprise):
    DataValue.objects.create(cluster=cluster, enterprise=enterprise, period=period, data_element=element("employees"))
    with pytest.raises(IntegrityError):
        DataValue.objects.create(
            cluster=cluster, enterprise=enterprise, period=period, data_element=element("employees"), value=3
        )


# --- Soft rules -------------------------------------------------------------------------------------


def history(cluster, enterprise, user, code, values, last_month):
    """Figures for the months before `last_month`, oldest first."""
    rows = []
    for k, value in enumerate(values):
        month = add_months(last_month, k - len(values))
        past = ReportingPeriodFactory(cluster=cluster, month=month)
        rows.append(row(enterprise, past, code, value))
    result = services.data_values_write(
        cluster=cluster,
        user=None,
        rows=rows,
        channel=Channel.SYSTEM,
        now=timezone.now() - datetime.timedelta(days=2000),
    )
    assert result.created == len(values)


def test_a_value_far_from_the_recent_months_warns_but_is_written(cluster, period, enterprise, office_user):
    history(cluster, enterprise, office_user, "total_output", [1000, 1100, 900, 1000], period.month)
    normal = write(cluster, office_user, [row(enterprise, period, "total_output", 1200)])
    assert normal.warnings == []
    far = write(cluster, office_user, [row(enterprise, period, "total_output", 5000)])
    assert far.updated == 1 and len(far.warnings) == 1
    assert "1\u00a0000" in far.warnings[0].message  # the average it was compared with


def test_the_soft_rule_threshold_is_the_clusters_setting(cluster, period, enterprise, office_user):
    history(cluster, enterprise, office_user, "total_output", [1000, 1000, 1000], period.month)
    rules = services.collection_rules(cluster)
    rules.deviation_threshold = Decimal("0.10")
    services.collection_rules_save(rules=rules)
    assert len(write(cluster, office_user, [row(enterprise, period, "total_output", 1200)]).warnings) == 1


# --- Submission workflow ----------------------------------------------------------------------------


def fill_form(cluster, user, enterprise, period, **overrides):
    values = {e.code: 10 for e in services.active_data_elements(cluster=cluster)}
    values.update(overrides)
    return write(cluster, user, [row(enterprise, period, code, value) for code, value in values.items()])


def test_submit_needs_every_active_figure(cluster, period, enterprise, representative):
    write(cluster, representative, [row(enterprise, period, "employees", 5)])
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    with pytest.raises(ValidationError) as error:
        services.submission_submit(submission=submission, user=representative)
    assert "total_output" in error.value.message_dict
    fill_form(cluster, representative, enterprise, period)
    submission = services.submission_submit(submission=submission, user=representative)
    assert submission.status == SubmissionStatus.SUBMITTED and submission.on_time is True


def test_an_unusual_value_needs_a_comment_before_submission(cluster, period, enterprise, representative):
    history(cluster, enterprise, representative, "total_output", [10, 10, 10], period.month)
    fill_form(cluster, representative, enterprise, period, total_output=100)
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    with pytest.raises(ValidationError) as error:
        services.submission_submit(submission=submission, user=representative)
    assert list(error.value.message_dict) == ["total_output"]
    write(cluster, representative, [row(enterprise, period, "total_output", 100, comment="New weaving line started.")])
    assert services.submission_submit(submission=submission, user=representative).status == SubmissionStatus.SUBMITTED


def test_return_with_a_reason_tells_the_enterprise_and_reopens_the_form(
    cluster, period, enterprise, representative, office_user, mailoutbox, django_capture_on_commit_callbacks
):
    fill_form(cluster, representative, enterprise, period)
    submission = services.submission_submit(
        submission=Submission.objects.get(enterprise=enterprise), user=representative
    )
    with pytest.raises(ValidationError):
        services.submission_return(submission=submission, user=office_user, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submission_return(submission=submission, user=office_user, reason="Output looks doubled.")
    assert submission.status == SubmissionStatus.RETURNED
    assert [m.to for m in mailoutbox] == [[representative.email]]
    assert "Output looks doubled." in mailoutbox[0].body
    assert write(cluster, representative, [row(enterprise, period, "employees", 11)]).updated == 1
    again = services.submission_submit(submission=submission, user=representative)
    assert again.status == SubmissionStatus.SUBMITTED


def test_only_the_office_approves_and_only_what_was_submitted(cluster, period, enterprise, representative, office_user):
    fill_form(cluster, representative, enterprise, period)
    submission = Submission.objects.get(enterprise=enterprise)
    with pytest.raises(ValidationError):
        services.submission_approve(submission=submission, user=office_user)
    services.submission_submit(submission=submission, user=representative)
    with pytest.raises(PermissionDenied):
        services.submission_approve(submission=submission, user=representative)
    approved = services.submission_approve(submission=submission, user=office_user)
    assert approved.status == SubmissionStatus.APPROVED and approved.decided_by == office_user


def test_another_enterprises_representative_cannot_submit(cluster, period, enterprise, neighbour, office_user):
    from tests.governance.factories import ClusterRoleFactory

    stranger = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[neighbour]).user
    fill_form(cluster, office_user, enterprise, period)
    with pytest.raises(PermissionDenied):
        services.submission_submit(submission=Submission.objects.get(enterprise=enterprise), user=stranger)


def test_approved_submissions_lock_after_the_lock_date(cluster, period, enterprise, representative, office_user):
    fill_form(cluster, representative, enterprise, period)
    submission = Submission.objects.get(enterprise=enterprise)
    services.submission_submit(submission=submission, user=representative)
    services.submission_approve(submission=submission, user=office_user)
    assert services.submissions_lock(now=period.locks_at - datetime.timedelta(seconds=1)) == 0
    assert services.submissions_lock(now=period.locks_at) == 1
    assert services.submissions_lock(now=period.locks_at) == 0
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.LOCKED


@pytest.mark.parametrize("decision", ["submit", "approve", "return"])
def test_a_decision_that_waited_for_a_write_is_judged_at_the_time_it_is_made(
    monkeypatch, cluster, period, enterprise, representative, office_user, decision
):
    """The month locks while the decision waits for a write of the enterprise's figures: the decision is taken
    after the lock, and refused as any decision on a locked month is (not judged at the time it began waiting)."""
    from kpi.services import workflow

    fill_form(cluster, representative, enterprise, period)
    submission = Submission.objects.get(enterprise=enterprise)
    if decision != "submit":
        services.submission_submit(submission=submission, user=representative)
    clock = [period.locks_at - datetime.timedelta(seconds=1)]
    real_lock = workflow.lock_enterprises

    def lock_after_a_wait(ids):
        real_lock(ids)
        clock[0] = period.locks_at + datetime.timedelta(seconds=1)  # the write held the lock past the lock date

    monkeypatch.setattr(workflow.timezone, "now", lambda: clock[0])
    monkeypatch.setattr(workflow, "lock_enterprises", lock_after_a_wait)
    with pytest.raises(ValidationError, match="locked"):
        if decision == "submit":
            services.submission_submit(submission=submission, user=representative)
        elif decision == "approve":
            services.submission_approve(submission=submission, user=office_user)
        else:
            services.submission_return(submission=submission, user=office_user, reason="Eksport qayta tekshirilsin")
    submission.refresh_from_db()
    assert submission.status == (SubmissionStatus.DRAFT if decision == "submit" else SubmissionStatus.SUBMITTED)


def test_a_locked_figure_changes_only_through_an_approved_correction(
    cluster, period, enterprise, representative, office_user
):
    fill_form(cluster, representative, enterprise, period)
    later = period.locks_at + datetime.timedelta(days=1)
    correction = Correction(
        enterprise=enterprise, period=period, data_element=element("employees"), value=12, reason="Seasonal staff."
    )
    with pytest.raises(ValidationError):  # not locked yet: use the form
        services.correction_request(correction=correction, user=representative)
    correction = services.correction_request(correction=correction, user=representative, now=later)
    with pytest.raises(PermissionDenied):
        services.correction_decide(correction=correction, user=representative, approve=True, now=later)
    services.correction_decide(correction=correction, user=office_user, approve=True, now=later)
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.APPROVED
    assert stored(enterprise, period, "employees") == 12
    change = DataValueChange.objects.filter(data_element__code="employees").latest("pk")
    assert (change.old_value, change.new_value, change.channel, change.changed_by) == (
        10,
        12,
        Channel.CORRECTION,
        office_user,
    )


def test_a_correction_that_breaks_a_hard_rule_is_not_approved(cluster, period, enterprise, representative, office_user):
    fill_form(cluster, representative, enterprise, period)
    later = period.locks_at + datetime.timedelta(days=1)
    correction = services.correction_request(
        correction=Correction(
            enterprise=enterprise, period=period, data_element=element("defective_units"), value=500, reason="Recount."
        ),
        user=representative,
        now=later,
    )
    with pytest.raises(ValidationError):
        services.correction_decide(correction=correction, user=office_user, approve=True, now=later)
    assert stored(enterprise, period, "defective_units") == 10


def test_comments_with_tabs_newlines_and_backslashes_survive_the_bulk_write(cluster, period, enterprise, office_user):
    comment = "Line one\twith a tab\nline two \\N not null \\ back"
    write(cluster, office_user, [row(enterprise, period, "employees", 5, comment=comment)])
    assert DataValue.objects.get(enterprise=enterprise).comment == comment


def test_the_orm_write_of_the_embedded_database_gives_the_same_rows(
    cluster, period, enterprise, office_user, monkeypatch
):
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")  # take the path SQLite takes, on this database
    rows = [row(enterprise, period, "employees", 5, comment="a\tb"), row(enterprise, period, "total_output", None)]
    assert write(cluster, office_user, rows).created == 2
    assert write(cluster, office_user, [row(enterprise, period, "employees", 6)]).updated == 1
    assert stored(enterprise, period, "employees") == 6
    assert DataValue.objects.get(data_element__code="employees").comment == "a\tb"
    assert DataValueChange.objects.count() == 3


def test_a_seasonal_value_close_to_the_same_month_last_year_does_not_warn(cluster, period, enterprise, office_user):
    # A year ago this month was a harvest month as big as today's; the six months before were quiet.
    history(cluster, enterprise, office_user, "total_output", [5000] + [1000] * 11, period.month)
    assert write(cluster, office_user, [row(enterprise, period, "total_output", 5200)]).warnings == []
    assert len(write(cluster, office_user, [row(enterprise, period, "total_output", 9000)]).warnings) == 1
