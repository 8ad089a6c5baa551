"""An enterprise fills and submits its monthly form after correcting a rejected value; the office approves it."""

import datetime

import pytest
from django.utils import timezone

from governance.choices import Role
from kpi import services
from kpi.models import Submission, add_months
from tests.governance.factories import EnterpriseFactory, user_with_role
from tests.kpi.factories import ReportingPeriodFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pass-1234-word"


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")  # each role lands on its home


def log_out(page):
    page.click("form[action$='/accounts/logout/'] button")


def test_enterprise_corrects_a_rejected_value_submits_and_the_office_approves(page, live_server, cluster):
    base = live_server.url
    enterprise = EnterpriseFactory(cluster=cluster, name="Buxoro Tekstil MChJ", taxpayer_id="302123456")
    representative = user_with_role(cluster, Role.ENTERPRISE, username="accountant")
    representative.cluster_roles.get().enterprises.add(enterprise)
    user_with_role(cluster, Role.OFFICE, username="office")
    month = add_months(timezone.localdate().replace(day=1), -1)
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    period = ReportingPeriodFactory(
        cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=15)
    )
    elements = services.active_data_elements(cluster=cluster)

    # The accountant opens the month's form from the data-collection page.
    log_in(page, base, "accountant")
    page.click("header >> text=Monthly data")
    page.click(f"a[href$='/report/{enterprise.pk}/{period.key}/']")
    for element in elements:
        page.fill(f"#id_v_{element.code}", "100")
    page.fill("#id_v_downtime_days", "2")
    page.fill("#id_v_defective_units", "250")  # more defects than units produced
    page.click("button[value=submit]")

    # Rejected at the field, nothing saved.
    page.wait_for_selector("#id_v_defective_units_errors")
    assert "Defective units cannot exceed units produced." in page.inner_text("#id_v_defective_units_errors")
    assert not Submission.objects.filter(enterprise=enterprise).exists()

    # Corrected and submitted.
    page.fill("#id_v_defective_units", "3")
    page.click("button[value=submit]")
    page.wait_for_selector("text=Submitted to the cluster office.")
    assert page.inner_text("#submission-status") == "Submitted"
    log_out(page)

    # The office approves it from the submissions list.
    log_in(page, base, "office")
    page.click("header >> text=Monthly data")
    page.click("nav.subnav >> text=Submissions")
    page.click("text=Buxoro Tekstil MChJ")
    page.click("#approve")
    page.wait_for_selector("text=Approved.")
    assert page.inner_text("#submission-status") == "Approved"
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    assert submission.status == "approved" and submission.on_time is True
    assert "3" in page.inner_text("#history")
