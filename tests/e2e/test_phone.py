"""At 390 px, in Uzbek, the key pages fit the screen (issue 13, item 5, first step): the site's menu folds behind
one button, wide tables scroll inside themselves, nothing pushes the page sideways."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.choices import BodyKind, Role
from kpi import services
from kpi.models import Alert, ClusterKpi, add_months
from tests.governance.factories import ActionItemFactory, BodyFactory, EnterpriseFactory, user_with_role
from tests.kpi.factories import ReportingPeriodFactory
from tests.kpi.test_alerts import FIRST, report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pass-1234-word"


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_key_pages_fit_a_phone(phone, live_server, cluster):
    base = live_server.url
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality", name="Sifat ishchi guruhi")
    firms = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Tegirmon {i}") for i in range(5)]
    report(cluster, FIRST, {f: (1000, d) for f, d in zip(firms, [10, 20, 30, 200, 15], strict=True)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    month = add_months(timezone.localdate().replace(day=1), -1)
    ReportingPeriodFactory(
        cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=9)
    )
    item = ActionItemFactory(body=BodyFactory(cluster=cluster), deadline=timezone.localdate())
    alert = Alert.objects.filter(cluster=cluster).first()
    user_with_role(cluster, Role.OFFICE, username="office")
    user_with_role(cluster, Role.ENTERPRISE, username="accountant", enterprises=firms[:1])

    log_in(phone, base, "accountant")
    assert fits(phone)
    assert not phone.is_visible("#site-menu a[href='/data/']")  # folded behind the menu button
    phone.click(".menu-toggle")
    assert phone.is_visible("#site-menu a[href='/data/']")
    for url in ("/", f"/data/report/{firms[0].pk}/{month:%Y-%m}/", "/data/kpis/enterprise/"):
        phone.goto(base + url)
        assert fits(phone), url
        if "/report/" in url:
            # Each figure as label, unit, last month and input, one under another.
            row = phone.locator("table.entry tr[id^=row-]").first
            cells = ("td >> nth=0", "td.unit", "td.previous", "td.value input")
            tops = [row.locator(cell).bounding_box()["y"] for cell in cells]
            assert tops == sorted(tops) and len(set(tops)) == 4, tops
    phone.click(".menu-toggle")
    phone.click("form[action$='/accounts/logout/'] button")

    log_in(phone, base, "office")
    for url in ("/", "/data/kpis/", "/data/kpis/DEFECT/?period=2025-03", f"/data/alerts/{alert.pk}/",
                f"/governance/action-items/{item.pk}/", "/data/submissions/"):  # fmt: skip
        phone.goto(base + url)
        assert phone.title, url
        assert fits(phone), url
