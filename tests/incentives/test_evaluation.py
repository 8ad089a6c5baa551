"""The quarterly evaluation: windows that end with the quarter's last month, each KPI taken by its own rule over the
window (ratios of sums, stocks averaged), missing data as its own verdict, the rule version in force on the
quarter's last day, the same rows when evaluated again, and conditions refused when misspelt or impossible."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from incentives import services
from incentives.models import Condition, ConditionResult, Evaluation, IncentivePackage, Participation, RuleVersion
from kpi.models import ClusterKpi, DataElement, DataValue, Kpi, ReportingPeriod
from tests.governance.factories import DecisionFactory, EnterpriseFactory, MeetingFactory
from tests.kpi.test_alerts import report

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (datetime.date(2026, m, 1) for m in (1, 2, 3, 4))
DEC = datetime.date(2025, 12, 1)


@pytest.fixture
def firm(cluster):
    return EnterpriseFactory(cluster=cluster, name="Buxoro Ip", value_chain_link="processing")


@pytest.fixture
def decision(cluster):
    return DecisionFactory(meeting=MeetingFactory(body__cluster=cluster))


def package(cluster, decision, *conditions, tier=1, effective=datetime.date(2025, 1, 1), number=1, combine="all"):
    chosen = IncentivePackage.objects.get_or_create(cluster=cluster, tier=tier, defaults={"name": f"Tier {tier}"})[0]
    rule = RuleVersion.objects.create(
        package=chosen,
        number=number,
        effective_from=effective,
        status="approved",
        approved_by=decision,
        combine=combine,
    )
    for position, fields in enumerate(conditions):
        Condition.objects.create(rule=rule, position=position, **fields)
    return chosen


def defect(threshold, window="last_quarter", **extra):
    return {"measure": "kpi", "kpi": Kpi.objects.get(code="DEFECT"), "window": window, "comparison": "lte",
            "threshold": Decimal(threshold), **extra}  # fmt: skip


def results(firm, quarter="2026-Q1", tier=1):
    evaluation = Evaluation.objects.get(enterprise=firm, quarter=quarter, package__tier=tier)
    return evaluation, [
        (r.measured, r.verdict, r.months_counted, r.window_start, r.window_end) for r in evaluation.results.all()
    ]


def test_a_ratio_kpi_is_a_ratio_of_sums_over_the_quarter_never_an_average_of_ratios(cluster, firm, decision):
    for month, figures in ((JAN, (100, 10)), (FEB, (1000, 10)), (MAR, (100, 10))):
        report(cluster, month, {firm: figures})
    package(cluster, decision, defect("0.03"))
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    evaluation, rows = results(firm)
    # 30 / 1200 = 2.5 %: met. The average of the monthly ratios (7 %) would fail it.
    assert rows == [(Decimal("0.025"), "met", 3, JAN, datetime.date(2026, 3, 31))]
    assert evaluation.verdict == "met"


def test_windows_end_with_the_quarters_last_month_and_read_nothing_outside(cluster, firm, decision):
    report(cluster, DEC, {firm: (100, 90)})  # before the quarter: out of every window below
    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (100, 1 if month == MAR else 5)})
    report(cluster, APR, {firm: (100, 90)})  # after it: never read
    package(
        cluster,
        decision,
        defect("0.02", window="last_month"),
        defect("0.04"),
        defect("0.05", window="months", months=2),
    )
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    _evaluation, rows = results(firm)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (Decimal("0.01"), "met", MAR),  # March alone
        (Decimal("0.03666667"), "met", JAN),  # 11 / 300 over January to March
        (Decimal("0.03"), "met", FEB),  # 6 / 200 over February and March
    ]


def test_a_stock_is_averaged_over_the_window_not_summed(cluster, firm, decision):
    contracts = DataElement.objects.get(code="coop_contracts")
    for month, held in ((JAN, 2), (FEB, 4), (MAR, 6)):
        report(cluster, month, {firm: (100, 1)})
        period = ReportingPeriod.objects.get(cluster=cluster, month=month)
        DataValue.objects.create(cluster=cluster, enterprise=firm, period=period, data_element=contracts, value=held)
    coop = Kpi.objects.get(code="COOP")
    ClusterKpi.objects.filter(cluster=cluster, kpi=coop).update(active=True)
    package(
        cluster,
        decision,
        {"measure": "kpi", "kpi": coop, "window": "last_quarter", "comparison": "gte", "threshold": 4},
    )
    package(
        cluster,
        decision,
        {"measure": "kpi", "kpi": coop, "window": "last_quarter", "comparison": "gte", "threshold": 5},
        tier=2,
    )
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    verdicts = dict(Evaluation.objects.filter(enterprise=firm).values_list("package__tier", "verdict"))
    assert verdicts == {1: "met", 2: "not_met"}  # the average of 2, 4 and 6 is 4 (summed, 12 would pass both)


def test_a_missing_month_is_insufficient_data_never_a_pass_or_a_silent_fail(cluster, firm, decision):
    report(cluster, JAN, {firm: (100, 1)})
    report(cluster, MAR, {firm: (100, 1)})  # February missing
    package(cluster, decision, defect("0.03"), defect("0.03", window="last_month"))
    package(cluster, decision, defect("0.03"), defect("0.001", window="last_month"), tier=2)
    package(cluster, decision, defect("0.03"), defect("0.03", window="last_month"), tier=3, combine="any")
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    _evaluation, rows = results(firm)
    assert [(r[0], r[1], r[2]) for r in rows if r[3] == JAN] == [(None, "insufficient", 2)]  # 2 of 3 months
    verdicts = dict(Evaluation.objects.filter(enterprise=firm).values_list("package__tier", "verdict"))
    # all-of: one met, one without data: undecided; one not met decides; any-of: one met decides.
    assert verdicts == {1: "insufficient", 2: "not_met", 3: "met"}


def test_the_rule_in_force_on_the_quarters_last_day_is_used_and_kept(cluster, firm, decision):
    for month in (JAN, FEB, MAR, APR, datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)):
        report(cluster, month, {firm: (100, 2)})
    chosen = package(cluster, decision, defect("0.03"))
    package(cluster, decision, defect("0.01"), effective=datetime.date(2026, 4, 1), number=2)
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q2")
    first, second = (Evaluation.objects.get(package=chosen, quarter=q) for q in ("2026-Q1", "2026-Q2"))
    assert (first.rule.number, first.verdict) == (1, "met")
    assert (second.rule.number, second.verdict) == (2, "not_met")
    # Evaluated again after the new version: the first quarter keeps the version it used.
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    assert Evaluation.objects.get(package=chosen, quarter="2026-Q1").rule.number == 1
    # A draft applies to nothing.
    RuleVersion.objects.create(package=chosen, number=3, effective_from=datetime.date(2025, 1, 1))
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q2")
    assert Evaluation.objects.get(package=chosen, quarter="2026-Q2").rule.number == 2


def test_evaluating_again_writes_the_same_rows(cluster, firm, decision):
    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (100, 2)})
    package(cluster, decision, defect("0.03"), {"measure": "discipline", "window": "last_quarter", "comparison": "gte",
                                                "threshold": Decimal("0.8")})  # fmt: skip

    def rows():
        return sorted(
            ConditionResult.objects.values_list(
                "pk", "evaluation_id", "condition_id", "measured", "months_counted", "threshold", "verdict"
            )
        ), sorted(Participation.objects.values_list("pk", "level", "points", "discipline", "projects"))

    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    first = rows()
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    assert rows() == first and len(first[0]) == 2


def test_a_quarter_whose_last_month_is_not_final_is_refused(cluster, firm, decision):
    today = datetime.date.today()
    ReportingPeriod.objects.create(
        cluster=cluster, month=today.replace(day=1), deadline=today + datetime.timedelta(days=3),
        lock_date=today + datetime.timedelta(days=9),
    )  # fmt: skip
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    if today.month % 3 == 0:
        with pytest.raises(ValidationError, match="not final"):
            services.evaluate_quarter(cluster=cluster, quarter=quarter)
    with pytest.raises(ValidationError, match="YYYY-Qn"):
        services.evaluate_quarter(cluster=cluster, quarter="2026-05")
    with pytest.raises(ValidationError, match="not final"):
        services.evaluate_quarter(cluster=cluster, quarter="2031-Q1")  # no such month yet


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"measure": "kpi", "window": "last_quarter", "comparison": "lte", "threshold": 1}, "kpi"),  # no KPI named
        ({"measure": "discipline", "window": "last_quarter", "comparison": "gte", "threshold": 80}, "threshold"),
        ({"measure": "projects", "window": "months", "comparison": "gte", "threshold": 1}, "months"),
        ({"measure": "projects", "window": "last_quarter", "comparison": "gte", "threshold": "1.5"}, "threshold"),
        ({"measure": "contracts", "window": "last_quarter", "comparison": "gte", "threshold": -1}, "threshold"),
    ],
)
def test_a_misspelt_or_impossible_condition_is_refused(cluster, decision, fields, field):
    chosen = package(cluster, decision)
    condition = Condition(rule=chosen.rule_versions.get(), **fields)
    with pytest.raises(ValidationError) as error:
        condition.full_clean()
    assert field in error.value.message_dict


def test_a_percent_kpis_threshold_is_a_fraction(cluster, decision):
    condition = Condition(rule=package(cluster, decision).rule_versions.get(), **defect("3"))
    with pytest.raises(ValidationError, match="fraction"):
        condition.full_clean()


@pytest.mark.parametrize(
    ("parts", "level", "points"),
    [
        ({"discipline": Decimal("0.95"), "projects": 2, "attendance": Decimal("0.8"), "contracts": 2}, "active", 8),
        ({"discipline": Decimal("0.9"), "projects": 1, "attendance": Decimal("0.5"), "contracts": 1}, "active", 5),
        ({"discipline": Decimal("0.6"), "projects": 0, "attendance": None, "contracts": 1}, "standard", 2),
        ({"discipline": Decimal("0.59"), "projects": 0, "attendance": Decimal("0.49"), "contracts": 0}, "passive", 0),
        ({"discipline": None, "projects": 1, "attendance": None, "contracts": 0}, "passive", 1),
    ],
)
def test_the_participation_level_from_its_parts(parts, level, points):
    assert services.level_of(**parts) == (level, points)


def test_the_daily_job_evaluates_the_latest_final_quarter_once_and_the_command_one_on_demand(cluster, firm, decision):
    import io

    from django.core.management import CommandError, call_command

    for month in (DEC, JAN, FEB, MAR):
        report(cluster, month, {firm: (100, 2)})
    package(cluster, decision, defect("0.03"))
    assert services.evaluate_due() == [f"{cluster.pk}: 2026-Q1"]
    assert services.evaluate_due() == []  # done: the next run finds nothing to do
    out = io.StringIO()
    call_command("evaluate_incentives", cluster=cluster.pk, quarter="2025-Q4", stdout=out)
    assert "2025-Q4 evaluated: 1 package evaluations." in out.getvalue()
    assert Evaluation.objects.get(quarter="2025-Q4").verdict == "insufficient"  # October, November never reported
    with pytest.raises(CommandError, match="not final"):
        call_command("evaluate_incentives", cluster=cluster.pk, quarter="2031-Q1", stdout=out)


# --- Awards ---------------------------------------------------------------------------------------------------


@pytest.fixture
def council_decision(cluster):
    from tests.governance.factories import BodyFactory

    council = BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    return DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date(2026, 4, 20)))


def test_the_evaluation_proposes_each_enterprises_highest_tier_met_and_the_council_approves_it(
    cluster, firm, decision, council_decision
):
    from incentives.models import Award, Benefit

    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (100, 2)})
    silver = package(cluster, decision, defect("0.05"))
    gold = package(cluster, decision, defect("0.03"), tier=2)
    package(cluster, decision, defect("0.01"), tier=3)  # not met
    Benefit.objects.create(package=silver, kind="service_priority")
    Benefit.objects.create(package=gold, kind="fee_discount", value=Decimal("10"))
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    award = Award.objects.get(enterprise=firm)
    assert (award.package, award.status, award.quarter) == (gold, "proposed", "2026-Q1")
    assert services.queue_priority([firm.pk]) == {}  # proposed is not given

    with pytest.raises(ValidationError, match="council"):
        services.award_decide(award=award, decision=decision)  # a decision of another body
    services.award_decide(award=award, decision=council_decision)
    award.refresh_from_db()
    assert (award.status, award.valid_from, award.valid_until) == (
        "approved", datetime.date(2026, 4, 20), datetime.date(2026, 10, 19)
    )  # fmt: skip
    # Gold includes what silver gives: priority in the queue, at gold's tier, while the award runs.
    assert services.benefits_of(gold) == {"service_priority": None, "fee_discount": Decimal("10.00")}
    assert services.awards_in_force([firm.pk], datetime.date(2026, 5, 1)) == {firm.pk: award}
    assert services.awards_in_force([firm.pk], datetime.date(2026, 10, 20)) == {}
    # Evaluated again: the council's decision stands.
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    assert Award.objects.get(enterprise=firm).status == "approved"


def test_the_shared_services_queue_orders_by_the_awards_tier(cluster, decision, council_decision):
    from django.utils import timezone

    from incentives.models import Award, Benefit, Evaluation
    from portfolio import services as portfolio
    from portfolio.models import Service
    from tests.governance.factories import ClusterRoleFactory

    office = ClusterRoleFactory(cluster=cluster, role="office").user
    plain, silver_firm, gold_firm = (EnterpriseFactory(cluster=cluster, name=n) for n in ("Oddiy", "Kumush", "Oltin"))
    silver, gold = package(cluster, decision, defect("1")), package(cluster, decision, defect("1"), tier=2)
    Benefit.objects.create(package=silver, kind="service_priority")
    today = timezone.localdate()
    for firm, chosen in ((silver_firm, silver), (gold_firm, gold)):
        evaluation = Evaluation.objects.create(
            cluster=cluster, enterprise=firm, package=chosen, rule=chosen.rule_versions.get(), quarter="2026-Q1",
            verdict="met",
        )  # fmt: skip
        award = Award.objects.create(
            cluster=cluster, enterprise=firm, package=chosen, evaluation=evaluation, quarter="2026-Q1"
        )
        services.award_decide(award=award, decision=council_decision, valid_from=today)
    lab = Service.objects.create(cluster=cluster, name="Laboratoriya", price=100, turnaround_days=5)
    for firm in (plain, gold_firm, silver_firm):  # in this order of arrival
        portfolio.service_request_create(service=lab, enterprise=firm, user=office)
    queue = lab.requests.order_by("-priority", "requested_at", "pk")
    assert [(r.enterprise.name, r.priority) for r in queue] == [("Oltin", 2), ("Kumush", 1), ("Oddiy", 0)]


def test_a_service_requests_price_shows_the_awards_fee_discount_and_keeps_it(
    client, cluster, decision, council_decision
):
    from django.utils import timezone

    from incentives.models import Award, Benefit, Evaluation
    from portfolio import services as portfolio
    from portfolio.models import Service
    from tests.governance.factories import ClusterRoleFactory

    office = ClusterRoleFactory(cluster=cluster, role="office").user
    firm, other = EnterpriseFactory(cluster=cluster, name="Oltin"), EnterpriseFactory(cluster=cluster, name="Oddiy")
    gold = package(cluster, decision, defect("1"))
    Benefit.objects.create(package=gold, kind="fee_discount", value=Decimal("10"))
    evaluation = Evaluation.objects.create(
        cluster=cluster, enterprise=firm, package=gold, rule=gold.rule_versions.get(), quarter="2026-Q1", verdict="met"
    )
    award = Award.objects.create(
        cluster=cluster, enterprise=firm, package=gold, evaluation=evaluation, quarter="2026-Q1"
    )
    services.award_decide(award=award, decision=council_decision, valid_from=timezone.localdate())
    lab = Service.objects.create(cluster=cluster, name="Laboratoriya", price=Decimal("250"), turnaround_days=5)
    discounted = portfolio.service_request_create(service=lab, enterprise=firm, user=office)
    full = portfolio.service_request_create(service=lab, enterprise=other, user=office)
    assert (discounted.price, discounted.discount, discounted.price_due) == (
        Decimal("250"),
        Decimal("10"),
        Decimal("225.00"),
    )
    assert (full.discount, full.price_due) == (Decimal("0"), Decimal("250.00"))
    # The terms stay as they were when the request came in.
    Service.objects.filter(pk=lab.pk).update(price=Decimal("400"))
    discounted.refresh_from_db()
    assert discounted.price_due == Decimal("225.00")
    client.force_login(office)
    page = client.get("/portfolio/services/").content.decode()
    assert "225" in page and "250 less 10 %" in page


def test_a_draft_shows_who_would_gain_and_lose_then_the_council_approves_it(cluster, decision, council_decision):
    from incentives.models import RuleVersion

    good, fair, poor = (EnterpriseFactory(cluster=cluster, name=n) for n in ("Yaxshi", "O'rta", "Zaif"))
    for month in (JAN, FEB, MAR):
        report(cluster, month, {good: (100, 1), fair: (100, 4), poor: (100, 8)})
    chosen = package(cluster, decision, defect("0.05"))  # good and fair qualify
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    draft = RuleVersion.objects.create(package=chosen, number=2, effective_from=datetime.date(2026, 7, 1))
    Condition.objects.create(rule=draft, **defect("0.02"))
    preview = services.rule_preview(rule=draft)
    assert (preview.quarter, [e.name for e in preview.gain], [e.name for e in preview.lose]) == (
        "2026-Q1",
        [],
        ["O'rta"],
    )
    assert preview.unchanged == 2
    with pytest.raises(ValidationError, match="council"):
        services.rule_approve(rule=draft, decision=decision)
    services.rule_approve(rule=draft, decision=council_decision)
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == ("approved", council_decision)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.rule_approve(rule=draft, decision=council_decision)
    empty = RuleVersion.objects.create(package=chosen, number=3, effective_from=datetime.date(2026, 10, 1))
    with pytest.raises(ValidationError, match="without conditions"):
        services.rule_approve(rule=empty, decision=council_decision)


def test_the_demo_has_packages_in_tiers_two_evaluated_quarters_approved_awards_a_review_and_a_draft():
    from demo.governance import load_demo
    from governance.models import Notification
    from incentives.models import Award, ConditionsReview, Evaluation, RuleVersion

    cluster = load_demo().cluster
    packages = IncentivePackage.objects.filter(cluster=cluster).order_by("tier")
    assert [p.tier for p in packages] == [1, 2, 3]
    measures = set(Condition.objects.filter(rule__package__cluster=cluster).values_list("measure", flat=True))
    assert {"kpi", "discipline", "contracts", "projects"} <= measures
    quarters = sorted(set(Evaluation.objects.filter(cluster=cluster).values_list("quarter", flat=True)))
    assert len(quarters) == 2
    assert set(Award.objects.filter(quarter=quarters[0]).values_list("status", flat=True)) == {"approved"}
    assert set(Award.objects.filter(quarter=quarters[1]).values_list("status", flat=True)) == {"proposed"}
    draft = RuleVersion.objects.get(package__cluster=cluster, status="draft")
    assert services.rule_preview(rule=draft).lose  # the stricter draft shows who would lose
    # The later quarter opened conditions reviews for holders of the earlier quarter's awards that breached a KPI
    # minimum of their package; their accountants were told; one answered, the others are within their grace period.
    reviews = list(ConditionsReview.objects.filter(cluster=cluster))
    assert reviews and {r.quarter for r in reviews} == {quarters[1]}
    assert {r.award.quarter for r in reviews} == {quarters[0]} and {r.award.status for r in reviews} == {"approved"}
    assert sorted(r.state for r in reviews)[0] == "answered" and "open" in {r.state for r in reviews}
    assert all(services.breaches([r.evaluation]) for r in reviews)
    assert Notification.objects.filter(kind="review_opened").count() == len(reviews)
    again = {"packages": 0, "evaluations": 0, "awards": 0, "reviews": 0}
    assert load_demo().extensions["incentives"] == again  # nothing twice


def test_evaluating_a_quarter_takes_the_same_queries_for_two_enterprises_as_for_six(cluster, decision):
    """No query per enterprise, package row or condition row: the measures are read per window, the rows written
    in bulk (first time and again)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    package(cluster, decision, defect("0.03"), {"measure": "discipline", "window": "last_quarter",
                                                "comparison": "gte", "threshold": Decimal("0.8")})  # fmt: skip
    package(cluster, decision, defect("0.02"), {"measure": "contracts", "window": "last_quarter",
                                                "comparison": "gte", "threshold": Decimal("1")}, tier=2)  # fmt: skip

    def queries(number):
        enterprises = [EnterpriseFactory(cluster=cluster) for _ in range(number)]
        for month in (JAN, FEB, MAR):
            report(cluster, month, {e: (100, 2) for e in enterprises})
        counts = []
        for _ in range(2):  # the first evaluation creates, the second finds the same rows
            with CaptureQueriesContext(connection) as captured:
                services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
            counts.append(len(captured))
        return counts

    from django.db import transaction

    with transaction.atomic():
        few = queries(2)
        assert Evaluation.objects.count() == 4
        transaction.set_rollback(True)
    many = queries(6)
    assert Evaluation.objects.count() == 12
    assert few == many
