"""The main journeys, in Uzbek, as people make them (issue 13, item 13): an enterprise's accountant on a phone
corrects a refused figure and submits; the office approves from its review queue; a council member goes from a
KPI that breached its minimum to the firms behind it; a fresh installation's administrator creates the cluster
and invites the office, whose member sets a password from the e-mail and logs in.

Texts are the catalogue's own (gettext under Uzbek): the pages must show them in Uzbek, not in English."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from governance.choices import BodyKind, Role
from governance.models import Cluster, ClusterRole
from kpi import services
from kpi.models import ClusterKpi, Submission, add_months
from tests.e2e.conftest import PASSWORD, log_in
from tests.governance.factories import BodyFactory, EnterpriseFactory, user_with_role
from tests.kpi.factories import ReportingPeriodFactory
from tests.kpi.test_alerts import FIRST, report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uz(text: str) -> str:
    with translation.override("uz"):
        return gettext(text)


@pytest.fixture
def desktop_uz(browser):
    context = browser.new_context(locale="uz-UZ", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def open_month(cluster):
    month = add_months(timezone.localdate().replace(day=1), -1)
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    return ReportingPeriodFactory(
        cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=15)
    )


def test_an_accountant_on_a_phone_corrects_a_refused_figure_and_the_office_approves_from_its_queue(
    phone, desktop_uz, live_server, cluster, open_month
):
    base = live_server.url
    farm = EnterpriseFactory(cluster=cluster, name="«Olot Baraka» fermer xo'jaligi", taxpayer_id="302123456")
    EnterpriseFactory(cluster=cluster, name="«Romitan Nurli Dala» fermer xo'jaligi")
    user_with_role(cluster, Role.ENTERPRISE, username="accountant", enterprises=[farm])
    user_with_role(cluster, Role.OFFICE, username="office")

    # On a phone, in Uzbek: the home says what is due and opens the month's form.
    log_in(phone, base, "accountant")
    assert phone.evaluate("document.documentElement.lang") == "uz"
    phone.click(f"main a[href$='/report/{farm.pk}/{open_month.key}/']")
    for element in services.active_data_elements(cluster=cluster):
        phone.fill(f"#id_v_{element.code}", "100")
    phone.fill("#id_v_downtime_days", "2")
    phone.fill("#id_v_defective_units", "250")  # more defective units than produced
    phone.click("button[value=submit]")

    # Refused: the summary at the top says nothing was saved and leads to the figure.
    summary = phone.locator("#error-summary")
    assert summary.is_visible() and uz("Nothing was saved: correct what is listed here, then save again.") in (
        summary.inner_text()
    )
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    summary.locator("a[href='#id_v_defective_units']").click()
    assert phone.evaluate("document.activeElement.id") == "id_v_defective_units"
    assert not Submission.objects.filter(enterprise=farm).exists()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    phone.fill("#id_v_defective_units", "3")
    phone.click("button[value=submit]")
    phone.wait_for_selector(f"text={uz('Submitted to the cluster office. Thank you.')}")
    assert phone.inner_text("#submission-status") == uz("Submitted")

    # The office, at its desk: the home counts what waits, the queue finds the farm by name and approves it.
    log_in(desktop_uz, base, "office")
    desktop_uz.click("a[href='/data/submissions/?status=submitted']")
    desktop_uz.fill("#id_q", "olot")
    desktop_uz.fill("#id_period", open_month.key)
    desktop_uz.click("form.filters button[type=submit]")
    rows = desktop_uz.locator("#submissions tbody tr")
    assert rows.count() == 1 and "Olot Baraka" in rows.first.inner_text()
    rows.first.locator("button[name=one]").click()
    desktop_uz.wait_for_selector(".message.success")
    assert uz("%(n)d submission approved.").replace("%(n)d", "1") in desktop_uz.inner_text(".message.success")
    assert Submission.objects.get(enterprise=farm).status == "approved"


def test_a_council_member_goes_from_a_breached_kpi_to_the_firms_behind_it(desktop_uz, live_server, cluster):
    base = live_server.url
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality", name="Sifat ishchi guruhi")
    names = ["Buxoro Yigiruv", "Vobkent Ip", "Romitan To'qimachilik", "Buxoro Trikotaj", "Shofirkon Tikuv"]
    mills = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=name) for name in names]
    report(cluster, FIRST, dict(zip(mills, [(1000, 30), (1000, 40), (1000, 150), (1000, 35), (1000, 45)], strict=True)))
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    user_with_role(cluster, Role.COUNCIL, username="council")

    log_in(desktop_uz, base, "council")
    desktop_uz.click("header a[href='/data/kpis/']")
    tile = desktop_uz.locator('[data-kpi="DEFECT"]')
    assert uz("Minimum breached") in tile.inner_text()
    tile.click()
    # The KPI's page leads to its alert, and the alert names the firms that pull the rate over its minimum.
    desktop_uz.locator("#kpi-alerts a").first.click()
    desktop_uz.wait_for_selector("#contributors")
    assert desktop_uz.inner_text("#contributors tbody tr >> nth=0").startswith("1\tRomitan To'qimachilik")
    assert uz("Enterprises pulling the value down") in desktop_uz.content()


def test_a_fresh_installation_creates_its_cluster_and_invites_the_office(desktop_uz, live_server):
    base = live_server.url
    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    page = desktop_uz
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/governance/clusters/add/")
    assert uz("Welcome: create your cluster") in page.inner_text("h1")

    page.fill("#id_name", "Buxoro paxta-to'qimachilik klasteri")
    page.fill("#id_sector", "Paxta va to'qimachilik")
    page.fill("#id_region", "Buxoro")
    page.fill("#id_start_date", "2026-01-15")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#first-day")  # the data-collection rules, step 2
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/governance/people/add/")

    page.fill("#id_username", "d.karimova")
    page.fill("#id_first_name", "Dilnoza")
    page.fill("#id_last_name", "Karimova")
    page.fill("#id_email", "d.karimova@klaster.uz")
    page.select_option("#id_role", "office")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/governance/people/")
    assert ClusterRole.objects.get(user__username="d.karimova", cluster=Cluster.objects.get()).role == Role.OFFICE

    (letter,) = mail.outbox
    assert letter.subject == uz("You are invited to %(cluster)s") % {"cluster": "Buxoro paxta-to'qimachilik klasteri"}
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", letter.body).group(1)
    page.click("form[action$='/accounts/logout/'] button")

    page.goto(base + link)
    page.fill("#id_new_password1", "Paxta-2026-ofis!")
    page.fill("#id_new_password2", "Paxta-2026-ofis!")
    page.click("main form button[type=submit]")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "d.karimova")
    page.fill("#id_password", "Paxta-2026-ofis!")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("#setup").is_visible()
    assert uz("Add the participant enterprises") in page.inner_text("#setup")
