import datetime
import os
import shutil
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
# (setting up data) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # Keep what the user saw, to read the failure: test-results/<test>.png and .html
        os.makedirs("test-results", exist_ok=True)
        out = os.path.join("test-results", request.node.name)
        page.screenshot(path=f"{out}.png", full_page=True)
        with open(f"{out}.html", "w", encoding="utf-8") as fh:
            fh.write(page.content())
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _kpi_catalogue(kpi_catalogue):
    """Every journey runs on an installation with its KPI catalogue (see tests/conftest.py)."""


@pytest.fixture
def phone(browser):
    """A phone 390 px wide, in Uzbek."""
    context = browser.new_context(locale="uz-UZ", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


PASSWORD = "pass-1234-word"


@pytest.fixture
def key_pages(cluster):
    """What the key pages show: DEFECT over its minimum in processing in March 2025 (an alert for the quality
    group), last month open for reporting, an action item due today, and people to log in as (`PASSWORD`): the
    office ("office"), an enterprise's accountant ("accountant") and a council member ("council")."""
    from governance.choices import BodyKind, Role
    from kpi import services
    from kpi.models import Alert, ClusterKpi, add_months
    from tests.governance.factories import ActionItemFactory, BodyFactory, EnterpriseFactory, user_with_role
    from tests.kpi.factories import ReportingPeriodFactory
    from tests.kpi.test_alerts import FIRST, report

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
    user_with_role(cluster, Role.OFFICE, username="office", password=PASSWORD)
    user_with_role(cluster, Role.ENTERPRISE, username="accountant", enterprises=firms[:1], password=PASSWORD)
    user_with_role(cluster, Role.COUNCIL, username="council", password=PASSWORD)
    return SimpleNamespace(firms=firms, month=month, item=item, alert=alert)


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
