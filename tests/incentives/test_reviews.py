"""The consequence ladder: an enterprise holding an award that breaches a KPI minimum its package requires gets a
conditions review with a grace period, is told, can answer; the council keeps, suspends or revokes the award by a
decision; corrected figures check the evaluations again and flag the awards and reviews resting on them."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from governance.models import Notification
from incentives import services
from incentives.models import Award, Benefit, ConditionsReview, Evaluation, EvidenceChange
from kpi.models import DataElement, DataValue, ReportingPeriod
from tests.governance.factories import BodyFactory, DecisionFactory, MeetingFactory, user_with_role
from tests.incentives.test_evaluation import APR, FEB, JAN, MAR, defect, package
from tests.kpi.test_alerts import report

pytestmark = pytest.mark.django_db

MAY, JUN = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
JUL, AUG, SEP = (datetime.date(2026, m, 1) for m in (7, 8, 9))
# The day after June's deadline (July 10): the second quarter is final; the award approved in April runs.
AFTER_Q2 = datetime.datetime(2026, 7, 15, 9, tzinfo=datetime.UTC)
AFTER_Q3 = datetime.datetime(2026, 10, 15, 9, tzinfo=datetime.UTC)


@pytest.fixture
def firm(cluster):
    from tests.governance.factories import EnterpriseFactory

    return EnterpriseFactory(cluster=cluster, name="Buxoro Ip", value_chain_link="processing")


@pytest.fixture
def decision(cluster):
    return DecisionFactory(meeting=MeetingFactory(body__cluster=cluster))


@pytest.fixture
def council(cluster):
    return BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")


def council_decision(council, day):
    return DecisionFactory(meeting=MeetingFactory(body=council, date=day))


@pytest.fixture
def holder(cluster, firm, decision, council):
    """The firm met the package (DEFECT at most 3 %) in the first quarter; the council approved the award on
    20 April: it runs to 19 October, over the second quarter's end."""
    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (10_000, 200)})
    chosen = package(cluster, decision, defect("0.03"))
    Benefit.objects.create(package=chosen, kind="service_priority")
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1", now=AFTER_Q2)
    award = Award.objects.get(enterprise=firm, quarter="2026-Q1")
    services.award_decide(award=award, decision=council_decision(council, datetime.date(2026, 4, 20)))
    return user_with_role(cluster, "enterprise", enterprises=[firm], username="buxoro")


def second_quarter(cluster, firm, defective):
    for month in (APR, MAY, JUN):
        report(cluster, month, {firm: (10_000, defective)})
    return services.evaluate_quarter(cluster=cluster, quarter="2026-Q2", now=AFTER_Q2)


@pytest.mark.parametrize(
    ("defective", "opens"),
    [
        (300, False),  # 3.00 %: exactly at the minimum the package asks (at most 3 %): met, no review
        (301, True),  # 3.01 %: past it, by a hundredth of a point: a review opens
        (200, False),  # 2.00 %: well within
    ],
)
def test_a_review_opens_exactly_past_the_minimum_and_not_at_or_within_it(cluster, firm, holder, defective, opens):
    second_quarter(cluster, firm, defective)
    reviews = list(ConditionsReview.objects.filter(enterprise=firm))
    assert len(reviews) == (1 if opens else 0)
    if opens:
        review = reviews[0]
        assert (review.quarter, review.state, review.opened_on, review.respond_by) == (
            "2026-Q2", "open", datetime.date(2026, 7, 15), datetime.date(2026, 8, 14)
        )  # fmt: skip
        assert review.evaluation == Evaluation.objects.get(enterprise=firm, quarter="2026-Q2")
        assert review.award.status == "approved"  # nothing is lost before the council decides


def test_the_enterprise_is_told_in_the_platform_and_by_e_mail_once(cluster, firm, holder):
    mail.outbox.clear()
    second_quarter(cluster, firm, 400)
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q2", now=AFTER_Q2)  # again: nothing new
    assert ConditionsReview.objects.filter(enterprise=firm).count() == 1
    told = Notification.objects.get(recipient=holder, kind="review_opened")
    assert "DEFECT" in told.text and told.url == ConditionsReview.objects.get().get_absolute_url()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [holder.email]
    # The e-mail explains the breach: the measured value, the threshold and the distance.
    assert "4.0" in mail.outbox[0].body and "3.0" in mail.outbox[0].body and "1.0" in mail.outbox[0].body


def test_a_breach_of_a_condition_that_is_not_a_kpi_opens_no_review(cluster, firm, holder, decision):
    """Only a KPI minimum opens a review: a package whose other conditions fail simply is not renewed."""
    chosen = Award.objects.get().package
    rule = chosen.rule_versions.get()
    rule.conditions.create(measure="projects", window="last_quarter", comparison="gte", threshold=1, position=9)
    second_quarter(cluster, firm, 200)
    assert Evaluation.objects.get(quarter="2026-Q2").verdict == "not_met"
    assert not ConditionsReview.objects.exists()


def test_the_council_decides_after_the_answer_or_the_grace_period_and_the_history_stays(cluster, firm, holder, council):
    second_quarter(cluster, firm, 400)
    review = ConditionsReview.objects.get()
    assert services.awards_in_force([firm.pk], datetime.date(2026, 8, 1)) == {firm.pk: review.award}
    decision = council_decision(council, datetime.date(2026, 7, 20))
    with pytest.raises(ValidationError, match="until"):  # neither answered nor past the grace period
        services.review_decide(review=review, decision=decision, outcome="suspend", now=AFTER_Q2)
    with pytest.raises(ValidationError):
        services.review_answer(review=review, user=holder, answer="   ", now=AFTER_Q2)
    services.review_answer(
        review=review, user=holder, answer="Iyun oyida uskuna ta'mirlandi; iyuldan brak 2 % ga tushdi.", now=AFTER_Q2
    )
    review.refresh_from_db()
    assert (review.state, review.answered_by) == ("answered", holder)

    with pytest.raises(ValidationError, match="council"):  # a decision of another body
        services.review_decide(review=review, decision=DecisionFactory(), outcome="suspend", now=AFTER_Q2)
    services.review_decide(review=review, decision=decision, outcome="suspend", now=AFTER_Q2)
    review.refresh_from_db()
    assert (review.state, review.outcome, review.decision) == ("decided", "suspend", decision)
    assert review.award.status == "suspended"
    # A suspended award gives nothing, though its period runs.
    running = datetime.date(2026, 8, 1)
    assert services.awards_in_force([firm.pk], running) == {}
    assert Notification.objects.filter(recipient=holder, kind="review_decided").count() == 1
    with pytest.raises(ValidationError):
        services.review_answer(review=review, user=holder, answer="Kech javob", now=AFTER_Q2)

    # The third quarter meets the package again: the suspension is lifted while the award runs; the review stays.
    for month in (JUL, AUG, SEP):
        report(cluster, month, {firm: (10_000, 200)})
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q3", now=AFTER_Q3)
    review.refresh_from_db()
    assert (review.lifted_in, review.award.status) == ("2026-Q3", "approved")
    assert services.awards_in_force([firm.pk], datetime.date(2026, 10, 16)) == {firm.pk: review.award}
    assert ConditionsReview.objects.filter(award=review.award).count() == 1


def test_without_an_answer_the_council_decides_once_the_grace_period_ends(cluster, firm, holder, council):
    second_quarter(cluster, firm, 400)
    review = ConditionsReview.objects.get()
    after_grace = datetime.datetime(2026, 8, 15, 9, tzinfo=datetime.UTC)
    with pytest.raises(ValidationError, match="grace period ended"):
        services.review_answer(review=review, user=holder, answer="Kech", now=after_grace)
    decision = council_decision(council, datetime.date(2026, 8, 15))
    services.review_decide(review=review, decision=decision, outcome="revoke", now=after_grace)
    award = Award.objects.get(quarter="2026-Q1")
    assert award.status == "revoked"
    with pytest.raises(ValidationError, match="already decided"):
        services.review_decide(review=review, decision=decision, outcome="keep", now=after_grace)


def test_one_review_under_way_per_award_and_a_decided_one_needs_its_decision(cluster, firm, holder):
    second_quarter(cluster, firm, 400)
    review = ConditionsReview.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConditionsReview.objects.create(
            cluster=cluster, enterprise=firm, award=review.award, evaluation=review.evaluation, quarter="2026-Q3",
            opened_on=review.opened_on, respond_by=review.respond_by,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        ConditionsReview.objects.filter(pk=review.pk).update(state="decided", outcome="keep")  # no decision


def test_corrected_figures_check_the_evaluation_again_and_flag_the_review_and_keep_what_it_said(
    cluster, firm, holder, django_capture_on_commit_callbacks
):
    from kpi.services.scheduling import kpi_values_changed

    second_quarter(cluster, firm, 400)
    review = ConditionsReview.objects.get()
    office = user_with_role(cluster, "office", username="ofis")
    # June's defective units were mistyped: 400 for 100. Corrected, the quarter is 3.0 %: the package is met.
    june = ReportingPeriod.objects.get(cluster=cluster, month=JUN)
    DataValue.objects.filter(period=june, data_element=DataElement.objects.get(code="defective_units")).update(
        value=Decimal(100)
    )
    with django_capture_on_commit_callbacks(execute=True):
        kpi_values_changed(cluster_id=cluster.pk, months=[JUN])
    evaluation = Evaluation.objects.get(quarter="2026-Q2")
    assert evaluation.verdict == "met"  # the evaluation follows the corrected figures
    change = EvidenceChange.objects.get(evaluation=evaluation)
    assert (change.before["verdict"], change.after["verdict"]) == ("not_met", "met")
    [(condition, was)] = change.before["conditions"].items()
    assert (was["measured"], change.after["conditions"][condition]["measured"]) == ("0.04", "0.03")
    review.refresh_from_db()
    assert review.evidence_changed_at is not None and review.state == "open"  # flagged; the council still decides
    assert Notification.objects.filter(recipient=office, kind="evidence_changed").count() == 1
    # The first quarter's windows end in March: June cannot reach them, and its evaluation is not checked again.
    assert not EvidenceChange.objects.filter(evaluation__quarter="2026-Q1").exists()
    assert services.quarters_reaching(cluster_id=cluster.pk, months=[JUN]) == ["2026-Q2"]
    assert services.quarters_reaching(cluster_id=cluster.pk, months=[MAR]) == ["2026-Q1", "2026-Q2"]


def test_a_rule_cannot_reach_back_over_an_evaluated_quarter(cluster, firm, holder, council):
    chosen = Award.objects.get().package
    draft = services.rule_draft_create(package=chosen, user=user_with_role(cluster, "office", username="ofis2"))
    draft.effective_from = datetime.date(2026, 3, 1)
    draft.save()
    with pytest.raises(ValidationError, match="already evaluated"):
        services.rule_approve(rule=draft, decision=council_decision(council, datetime.date(2026, 7, 1)))
    services.rule_approve(
        rule=draft,
        decision=council_decision(council, datetime.date(2026, 7, 2)),
        effective_from=datetime.date(2026, 4, 1),
    )
    assert services.rule_in_force(chosen, datetime.date(2026, 3, 31)).number == 1


# --- The pages and the API -----------------------------------------------------------------------------------------


@pytest.fixture
def opened(cluster, firm, holder):
    """An open review of the firm's award; a competitor with its own open review."""
    from tests.governance.factories import EnterpriseFactory

    rival = EnterpriseFactory(cluster=cluster, name="Vobkent Tikuv")
    for month in (JAN, FEB, MAR):
        report(cluster, month, {rival: (10_000, 100)})
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1", now=AFTER_Q2)
    rival_award = Award.objects.get(enterprise=rival)
    services.award_decide(award=rival_award, decision=Award.objects.get(enterprise=firm).decision)
    for month in (APR, MAY, JUN):
        report(cluster, month, {firm: (10_000, 400), rival: (10_000, 500)})
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q2", now=AFTER_Q2)
    # Opened today (the pages judge the grace period by today's date).
    today = cluster.today()
    ConditionsReview.objects.update(opened_on=today, respond_by=today + datetime.timedelta(days=30))
    return ConditionsReview.objects.get(enterprise=firm), ConditionsReview.objects.get(enterprise=rival)


def test_the_enterprise_answers_its_own_review_and_cannot_read_anothers(client, cluster, opened, holder):
    mine, theirs = opened
    client.force_login(holder)
    page = client.get(mine.get_absolute_url())
    assert page.status_code == 200 and 'id="answer-form"' in page.content.decode()
    assert "1.0 p.p. to go" in page.content.decode()  # the breach explains itself
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert [r.pk for r in client.get("/incentives/reviews/").context["object_list"]] == [mine.pk]
    # An empty answer is refused with a message and writes nothing; the council's form is not the enterprise's.
    refused = client.post(mine.get_absolute_url(), {"action": "answer", "answer": " "})
    assert refused.status_code == 200 and refused.context["answer_form"].errors
    assert client.post(mine.get_absolute_url(), {"action": "decide", "outcome": "keep"}).status_code == 403
    mine.refresh_from_db()
    assert mine.state == "open"
    answered = client.post(mine.get_absolute_url(), {"action": "answer", "answer": "Uskuna ta'mirlandi."})
    assert answered.status_code == 302
    mine.refresh_from_db()
    assert (mine.state, mine.answer, mine.answered_by) == ("answered", "Uskuna ta'mirlandi.", holder)


def test_the_office_records_the_councils_decision_once_the_review_is_ready(client, cluster, opened, council, holder):
    mine, theirs = opened
    office = user_with_role(cluster, "office", username="ofis")
    decision = council_decision(council, datetime.date(2026, 7, 20))
    client.force_login(office)
    page = client.get(theirs.get_absolute_url())  # not answered, grace period running: nothing to decide yet
    assert page.status_code == 200 and 'id="decide-form"' not in page.content.decode()
    assert client.post(theirs.get_absolute_url(), {"action": "decide"}).status_code == 403
    services.review_answer(review=mine, user=holder, answer="Uskuna ta'mirlandi.")
    page = client.get(mine.get_absolute_url())
    assert 'id="decide-form"' in page.content.decode()
    wrong = client.post(mine.get_absolute_url(), {"action": "decide", "decision": decision.pk})
    assert wrong.status_code == 200 and "outcome" in wrong.context["decide_form"].errors
    done = client.post(mine.get_absolute_url(), {"action": "decide", "decision": decision.pk, "outcome": "revoke"})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert (mine.state, mine.outcome, mine.award.status) == ("decided", "revoke", "revoked")
    # The office's home lists the reviews under way; the decided one is gone from it.
    home = client.get("/").context["panel"]
    assert [r.pk for r in home.reviews.rows] == [theirs.pk]


def test_a_council_member_reads_every_review_and_another_cluster_none(client, cluster, other_cluster, opened):
    mine, theirs = opened
    client.force_login(user_with_role(cluster, "council", username="kengash"))
    assert {r.pk for r in client.get("/incentives/reviews/").context["object_list"]} == {mine.pk, theirs.pk}
    assert client.post(mine.get_absolute_url(), {"action": "answer", "answer": "x"}).status_code == 403
    client.force_login(user_with_role(other_cluster, "office", username="boshqa"))
    assert client.get(mine.get_absolute_url()).status_code == 404
    client.force_login(user_with_role(cluster, "viewer", username="kuzatuvchi"))
    assert client.get(mine.get_absolute_url()).status_code == 404


def test_the_api_serves_reviews_scoped_as_everything_else(cluster, opened, holder):
    from tests.governance.test_api import API, token_client

    mine, theirs = opened
    api = token_client(holder)
    listed = api.get(f"{API}/reviews/").json()
    assert [r["id"] for r in listed["results"]] == [mine.pk]
    row = listed["results"][0]
    assert (row["state"], row["respond_by"], row["enterprise"]) == (
        "open", mine.respond_by.isoformat(), mine.enterprise.taxpayer_id
    )  # fmt: skip
    assert api.get(f"{API}/reviews/{theirs.pk}/").status_code == 404
    office = token_client(user_with_role(cluster, "office", username="ofis"))
    assert {r["id"] for r in office.get(f"{API}/reviews/", {"state": "open"}).json()["results"]} == {mine.pk, theirs.pk}


def test_the_office_creates_a_package_with_its_benefits_and_a_wrong_one_is_refused(client, cluster, other_cluster):
    from incentives.models import IncentivePackage

    office = user_with_role(cluster, "office", username="ofis")
    client.force_login(office)
    form = {
        "name": "Hamkor", "tier": 1, "description": "", "grace_days": 30, "active": "on",
        "benefits-TOTAL_FORMS": 2, "benefits-INITIAL_FORMS": 0,
        "benefits-0-kind": "fee_discount", "benefits-0-value": "",  # a discount without its percentage
        "benefits-1-kind": "lab_access", "benefits-1-value": "",
    }  # fmt: skip
    refused = client.post("/incentives/packages/new/", form)
    assert refused.status_code == 200 and not IncentivePackage.objects.exists()
    assert refused.context["benefits"].forms[0].errors["value"]
    created = client.post("/incentives/packages/new/", form | {"benefits-0-value": "10"})
    assert created.status_code == 302
    package = IncentivePackage.objects.get()
    given = {(b.kind, b.value) for b in package.benefits.all()}
    assert given == {("fee_discount", Decimal("10")), ("lab_access", None)}
    # One package per tier.
    again = client.post("/incentives/packages/new/", form | {"name": "Boshqa", "benefits-0-value": "5"})
    assert again.status_code == 200 and again.context["form"].errors["tier"]
    # Only the office of the cluster.
    client.force_login(user_with_role(cluster, "council", username="kengash"))
    assert client.post(f"/incentives/packages/{package.pk}/", form | {"name": "X"}).status_code == 403
    client.force_login(user_with_role(other_cluster, "office", username="boshqa"))
    assert client.get(f"/incentives/packages/{package.pk}/").status_code == 404
    package.refresh_from_db()
    assert package.name == "Hamkor"


def test_a_request_waiting_in_the_queue_moves_with_the_award(cluster, firm, holder, council):
    """Priority follows the award: a request made before the council decided moves up when the award is approved
    (see the fixture: approved in April) and back when a review revokes it."""
    from django.utils import timezone

    from portfolio import services as portfolio
    from portfolio.models import Service
    from tests.governance.factories import EnterpriseFactory

    award = Award.objects.get(enterprise=firm)
    today = timezone.localdate()
    Award.objects.filter(pk=award.pk).update(valid_from=today, valid_until=today + datetime.timedelta(days=90))
    plain = EnterpriseFactory(cluster=cluster, name="Oddiy")
    office = user_with_role(cluster, "office", username="ofis")
    lab = Service.objects.create(cluster=cluster, name="Laboratoriya", price=100, turnaround_days=5)
    Award.objects.filter(pk=award.pk).update(status="proposed", decision=None)  # as before the council decided
    for enterprise in (plain, firm):
        portfolio.service_request_create(service=lab, enterprise=enterprise, user=office)

    def queue():
        return [r.enterprise.name for r in lab.requests.order_by("-priority", "requested_at", "pk")]

    assert queue() == ["Oddiy", "Buxoro Ip"]
    services.award_decide(award=award, decision=council_decision(council, today), valid_from=today)
    assert queue() == ["Buxoro Ip", "Oddiy"]
    for month in (APR, MAY, JUN):
        report(cluster, month, {firm: (10_000, 400)})
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q2")  # today: the award runs
    review = ConditionsReview.objects.get()
    services.review_answer(review=review, user=holder, answer="Tushuntirish")
    services.review_decide(review=review, decision=council_decision(council, today), outcome="revoke")
    assert queue() == ["Oddiy", "Buxoro Ip"]
