"""Alerts are idempotent on the demo's real history: one per KPI, scope, link and first month, whatever periods are
computed again, how often and in what order; a closed alert stays closed; nobody is e-mailed twice."""

import random

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from demo.governance import load_demo
from kpi import services
from kpi.models import Alert, AlertContributor, KpiComputation, KpiValue


def alerts_state(cluster) -> list[tuple]:
    """Every alert as people read it (not when the computation ran), with the enterprises it names."""
    contributors: dict[int, list] = {}
    for c in AlertContributor.objects.filter(alert__cluster=cluster).order_by("rank"):
        contributors.setdefault(c.alert_id, []).append((c.enterprise_id, c.rank, c.share))
    return sorted(
        (
            a.kpi.code,
            a.scope,
            a.link,
            a.opened_period,
            a.period,
            a.status,
            a.closed_period,
            a.value,
            a.minimum,
            a.reporting_enterprises,
            a.working_group_id,
            a.notified_at is not None,
            tuple(contributors.get(a.pk, [])),
        )
        for a in Alert.objects.filter(cluster=cluster).select_related("kpi")
    )


def mails() -> list[tuple]:
    """The alerts' e-mails (the demo also e-mails the conditions reviews its incentives open)."""
    return sorted((m.subject, tuple(m.to)) for m in mail.outbox if m.subject.startswith("Alert"))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once, its history computed in order as the nightly job does, and what that gave."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            mail.outbox = []
            with TestCase.captureOnCommitCallbacks(execute=True):
                cluster = load_demo().cluster
            yield cluster, alerts_state(cluster), mails()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_the_whole_history_three_times_in_shuffled_order_gives_the_alerts_and_mail_of_one_ordered_run(
    demo, django_capture_on_commit_callbacks
):
    cluster, in_order, in_order_mail = demo
    assert in_order and any(a[5] == "closed" for a in in_order) and in_order_mail  # a history worth testing
    keys = list(KpiComputation.objects.filter(cluster=cluster).values_list("period", flat=True))
    Alert.objects.filter(cluster=cluster).delete()
    KpiValue.objects.filter(cluster=cluster).delete()
    KpiComputation.objects.filter(cluster=cluster).delete()

    rng = random.Random(2026)
    for _round in range(3):
        rng.shuffle(keys)
        for key in keys:
            with django_capture_on_commit_callbacks(execute=True):
                services.kpi_values_compute(cluster=cluster, span=key)
    assert alerts_state(cluster) == in_order
    assert mails() == in_order_mail


@pytest.mark.django_db
def test_recomputing_everything_adds_no_alert_and_sends_no_mail(demo, django_capture_on_commit_callbacks):
    cluster, in_order, _mail = demo
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("aggregate_kpis", "--all", stdout=None)
    assert alerts_state(cluster) == in_order
    assert mail.outbox == []


@pytest.mark.django_db
def test_recomputing_a_month_whose_alert_a_later_month_closed_reopens_nothing(demo, django_capture_on_commit_callbacks):
    cluster, in_order, _mail = demo
    closed = Alert.objects.filter(cluster=cluster, status="closed").order_by("-period_start").first()
    for key in (closed.opened_period, closed.period, closed.closed_period):
        with django_capture_on_commit_callbacks(execute=True):
            services.kpi_values_compute(cluster=cluster, span=key, now=timezone.now())
    closed.refresh_from_db()
    assert closed.status == "closed"
    assert alerts_state(cluster) == in_order
    assert mail.outbox == []
