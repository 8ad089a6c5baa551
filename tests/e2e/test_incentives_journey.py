"""Incentives in a browser, in Uzbek (issue 14, item 12): the council approves an award (the office records its
decision on the approval list) and the enterprise's service request, waiting behind another, moves up the shared-
services queue; its accountant then sees on a phone what the award gives. Then a conditions review: the accountant
answers on the phone, and the office records the council's decision to suspend the award."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from governance.choices import Role
from incentives.models import Award, Benefit, ConditionsReview, Evaluation, IncentivePackage, RuleVersion
from portfolio import services as portfolio
from portfolio.models import Service
from tests.e2e.conftest import log_in
from tests.governance.factories import BodyFactory, DecisionFactory, EnterpriseFactory, MeetingFactory, user_with_role

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
def proposed(cluster):
    """A farm whose evaluation met the first tier (priority in the queue): its award proposed to the council; its
    request for the laboratory waits behind an earlier one of another firm."""
    today = timezone.localdate()
    council = BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    DecisionFactory(
        meeting=MeetingFactory(body=council, date=today, title="Kengash yig'ilishi"),
        title="Rag'bat paketlarini tasdiqlash",
    )
    farm = EnterpriseFactory(cluster=cluster, name="«Olot Baraka» fermer xo'jaligi")
    other = EnterpriseFactory(cluster=cluster, name="«Romitan Nurli Dala» fermer xo'jaligi")
    package = IncentivePackage.objects.create(cluster=cluster, tier=1, name="Hamkor")
    Benefit.objects.create(package=package, kind="service_priority")
    Benefit.objects.create(package=package, kind="fee_discount", value=10)
    rule = RuleVersion.objects.create(
        package=package,
        number=1,
        effective_from=datetime.date(2025, 1, 1),
        status="approved",
        approved_by=DecisionFactory(meeting=MeetingFactory(body=council)),
    )
    rule.conditions.create(measure="contracts", window="last_quarter", comparison="gte", threshold=0)
    evaluation = Evaluation.objects.create(
        cluster=cluster, enterprise=farm, package=package, rule=rule, quarter="2026-Q3", verdict="met"
    )
    award = Award.objects.create(cluster=cluster, enterprise=farm, package=package, evaluation=evaluation,
                                 quarter="2026-Q3")  # fmt: skip
    office = user_with_role(cluster, Role.OFFICE, username="office")
    user_with_role(cluster, Role.ENTERPRISE, username="accountant", enterprises=[farm])
    lab = Service.objects.create(cluster=cluster, name="Sifat laboratoriyasi", price=200_000, turnaround_days=5)
    for enterprise in (other, farm):  # the other firm asked first
        portfolio.service_request_create(service=lab, enterprise=enterprise, user=office)
    return award


def choose(select, text: str) -> None:
    """Choose the option whose label contains `text` (a decision's label starts with its number)."""
    select.select_option(value=select.locator("option", has_text=text).first.get_attribute("value"))


def queue_firms(page, base):
    page.goto(f"{base}/portfolio/services/")
    return [row.inner_text() for row in page.locator("#queue tbody tr td:nth-child(3)").all()]


def test_the_council_approves_an_award_and_the_farms_request_moves_up_the_queue(
    desktop_uz, phone, live_server, cluster, proposed
):
    base = live_server.url
    page = desktop_uz
    log_in(page, base, "office")
    assert queue_firms(page, base) == ["«Romitan Nurli Dala» fermer xo'jaligi", "«Olot Baraka» fermer xo'jaligi"]

    # The council's approval list, in Uzbek: the office records the decision the council took.
    page.goto(f"{base}/incentives/awards/")
    row = page.locator(f"#award-{proposed.pk}")
    assert uz("Proposed") in row.inner_text()
    choose(row.locator("select[name=decision]"), "Rag'bat paketlarini tasdiqlash")
    row.get_by_role("button", name=uz("Approved")).click()
    page.wait_for_url(f"{base}/incentives/awards/")
    assert uz("The council's decision is recorded.") in page.locator("main").inner_text()
    assert uz("Approved") in page.locator(f"#award-{proposed.pk}").inner_text()

    # The farm's request now comes first.
    assert queue_firms(page, base) == ["«Olot Baraka» fermer xo'jaligi", "«Romitan Nurli Dala» fermer xo'jaligi"]

    # Its accountant, on a phone, sees what the award gives.
    log_in(phone, base, "accountant")
    assert "Hamkor" in phone.locator("#incentives").inner_text()
    phone.goto(f"{base}/incentives/mine/")
    benefits = phone.locator("#benefits").inner_text()
    assert uz("Priority in the shared-services queue") in benefits and "10" in benefits
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_accountant_answers_a_review_on_a_phone_and_the_office_records_a_suspension(
    desktop_uz, phone, live_server, cluster, proposed
):
    from incentives import services

    base = live_server.url
    today = timezone.localdate()
    decision = DecisionFactory(
        meeting=MeetingFactory(body=proposed.evaluation.rule.approved_by.meeting.body, date=today),
        title="Olot Baraka mukofoti bo'yicha",
    )
    services.award_decide(award=proposed, decision=decision, valid_from=today)
    review = ConditionsReview.objects.create(
        cluster=cluster, enterprise=proposed.enterprise, award=proposed, evaluation=proposed.evaluation,
        quarter="2026-Q4", opened_on=today, respond_by=today + datetime.timedelta(days=30),
    )  # fmt: skip

    log_in(phone, base, "accountant")
    assert uz("A conditions review of your award is open") in phone.locator("#reviews-under-way").inner_text()
    phone.locator("#reviews-under-way a").first.click()
    phone.fill("#id_answer", "Sentabrda uskuna ta'mirlandi; oktyabrdan brak 2 % ga tushdi.")
    phone.get_by_role("button", name=uz("Send the answer")).click()
    assert uz("Your answer is recorded; the council reads it before it decides.") in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    page = desktop_uz
    log_in(page, base, "office")
    assert "Olot Baraka" in page.locator("#reviews-under-way").inner_text()
    page.goto(f"{base}{review.get_absolute_url()}")
    assert "uskuna ta'mirlandi" in page.locator("#answer").inner_text()
    choose(page.locator("#id_decision"), "Olot Baraka mukofoti")
    page.get_by_label(uz("Suspend it until the conditions are met again")).check()
    page.get_by_role("button", name=uz("Record the decision")).click()
    assert uz("Suspended") in page.locator("#award-status").inner_text()
    review.refresh_from_db()
    assert (review.outcome, review.award.status) == ("suspend", "suspended")
    # Suspended, the award no longer moves the farm's request up.
    assert queue_firms(page, base) == ["«Romitan Nurli Dala» fermer xo'jaligi", "«Olot Baraka» fermer xo'jaligi"]
