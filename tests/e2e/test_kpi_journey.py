"""The council sees a KPI below its minimum on the overview; the office opens the alert, sees the firms behind it
and makes it an action item of the quality working group in one click; the value chain shows the weak link."""

from decimal import Decimal

import pytest

from governance.choices import Role
from governance.models import ActionItem
from kpi import services
from kpi.formatting import display
from kpi.models import ClusterKpi
from tests.governance.factories import BodyFactory, EnterpriseFactory, user_with_role
from tests.kpi.test_alerts import FIRST, report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pass-1234-word"


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")  # each role lands on its home


def test_council_sees_the_alert_and_the_office_turns_it_into_an_action_item(page, live_server, cluster):
    base = live_server.url
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    BodyFactory(cluster=cluster, name="Sifat ishchi guruhi", area="quality")
    mills = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Mill {i}") for i in range(6)]
    defects = [(1000, 30), (1000, 40), (1000, 150), (1000, 35), (1000, 45), (1000, 60)]
    report(cluster, FIRST, dict(zip(mills, defects, strict=True)))
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    user_with_role(cluster, Role.COUNCIL, username="council")
    user_with_role(cluster, Role.OFFICE, username="office")

    # The council member opens the KPIs: the defect rate tile is red and carries an alert.
    log_in(page, base, "council")
    page.click("header >> text=KPIs")
    tile = page.locator('[data-kpi="DEFECT"]')
    assert "6.0 %" in tile.inner_text()  # 360 / 6000, over six mills: published
    assert "Minimum breached" in tile.inner_text()
    assert "Mill 2" not in page.content()  # the council sees no firm in the tiles
    page.click("text=Value chain")
    assert "Minimum breached" in page.inner_text('[data-link="processing"]')
    page.click("form[action$='/accounts/logout/'] button")

    # The office opens the alert from the overview and sees which firm pulls the rate down.
    log_in(page, base, "office")
    page.goto(f"{base}/data/kpis/")
    page.click("#open-alerts >> text=Defect rate")
    page.wait_for_selector("#contributors")
    assert page.inner_text("#contributors tbody tr >> nth=0").startswith("1\tMill 2")
    page.click("#make-action-item")
    page.wait_for_url("**/governance/action-items/**")
    item = ActionItem.objects.get()
    assert item.owner_group.name == "Sifat ishchi guruhi"
    # Everyone in the cluster reads action items: the alert names the firms, the item links to it.
    assert "Mill 2" not in item.description and "/data/alerts/" in item.description
    assert display(Decimal("0.06"), "percent") in item.description  # the published value, as people read it
    assert "Sifat ishchi guruhi" in page.content()
