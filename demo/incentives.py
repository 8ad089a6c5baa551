"""The demo cluster's incentives: three packages in tiers with conditions of each kind (KPIs, reporting discipline,
projects and contracts in the approved rules; seats, attendance and services used in the draft), adopted by a
council decision; the two latest final quarters evaluated, the earlier quarter's awards approved by a council
decision (the later one's await the council) and the later quarter's conditions reviews of holders that breached
a KPI minimum of their package (one answered); and a stricter rule for the middle tier drafted, awaiting
approval with its gain/loss preview. Content in Uzbek."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from governance.choices import BodyKind, DecisionOutcome
from governance.models import Cluster, Decision
from incentives import services
from incentives.choices import AwardStatus
from incentives.models import Award, Benefit, Condition, ConditionsReview, IncentivePackage, RuleVersion
from kpi.models import Kpi, Span

PACKAGES: list[tuple[int, str, str, list[tuple[str, Decimal | None]], str, list[dict[str, Any]]]] = [
    # tier, name, description, benefits, combine, conditions
    (
        1,
        "Hamkor",
        "Hisobotlarni o'z vaqtida topshiradigan va klaster hayotida qatnashadigan korxonalar uchun.",
        [("service_priority", None), ("lab_access", None)],
        "all",
        [
            {"measure": "discipline", "window": "last_quarter", "comparison": "gte", "threshold": Decimal("0.8")},
            {"measure": "contracts", "window": "last_quarter", "comparison": "gte", "threshold": Decimal("1")},
        ],
    ),
    (
        2,
        "Faol hamkor",
        "Sifat va yetkazib berish ko'rsatkichlari maqsadda bo'lgan, qo'shma loyihada qatnashayotgan korxonalar.",
        [("fee_discount", Decimal("10"))],
        "all",
        [
            {"measure": "kpi", "kpi": "DEFECT", "window": "last_quarter", "comparison": "lte",
             "threshold": Decimal("0.03")},
            {"measure": "kpi", "kpi": "OTD", "window": "last_quarter", "comparison": "gte",
             "threshold": Decimal("0.85")},
            {"measure": "projects", "window": "last_quarter", "comparison": "gte", "threshold": Decimal("1")},
        ],
    ),
    (
        3,
        "Strategik hamkor",
        "Mahalliy xomashyo va qo'shimcha qiymat bo'yicha klasterni oldinga olib boradigan korxonalar.",
        [("cofinancing", Decimal("30")), ("procurement_priority", None)],
        "all",
        [
            {"measure": "kpi", "kpi": "LOCAL", "window": "last_12_months", "comparison": "gte",
             "threshold": Decimal("0.9")},
            {"measure": "kpi", "kpi": "VA", "window": "months", "months": 6, "comparison": "gte",
             "threshold": Decimal("0.35")},
        ],
    ),
]  # fmt: skip


# The draft's participation conditions: one of each kind the approved rules do not use yet.
DRAFT_PARTICIPATION: list[dict[str, Any]] = [
    {"measure": "seats", "window": "last_month", "comparison": "gte", "threshold": Decimal("1")},
    {"measure": "attendance", "window": "last_quarter", "comparison": "gte", "threshold": Decimal("0.75")},
    {"measure": "services", "window": "last_12_months", "comparison": "gte", "threshold": Decimal("1")},
]

REVIEW_ANSWER = (
    "Sentabr oyida mahalliy urug'lik yetishmagani uchun bir partiya chigitni qo'shni viloyatdan oldik, shu sababli "
    "mahalliy xomashyo ulushi 90 % dan biroz pastga tushdi. Oktyabrdan boshlab klasterning urug'chilik xo'jaligi "
    "bilan yangi shartnoma tuzdik; to'rtinchi chorakda ulush yana 92 % dan yuqori bo'lishini kutamiz."
)


def load_incentives_demo(*, cluster: Cluster, today: datetime.date) -> dict[str, int]:
    """Add the demo incentives when the cluster has no package yet; answer what was added."""
    counts = {"packages": 0, "evaluations": 0, "awards": 0, "reviews": 0}
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()  # one loader at a time
        if IncentivePackage.objects.filter(cluster=cluster).exists():
            return counts
        quarters = services.final_quarters(cluster=cluster)[-2:]  # the two latest, oldest first
        adopted = Decision.objects.filter(
            meeting__body__cluster=cluster, meeting__body__kind=BodyKind.COUNCIL, outcome=DecisionOutcome.ADOPTED
        ).order_by("meeting__date", "pk")
        if adopted.first() is None or not quarters:
            return counts
        kpis = {k.code: k for k in Kpi.objects.filter(code__in=["DEFECT", "OTD", "LOCAL", "VA"])}
        start = Span.parse(quarters[0]).start
        # The council adopted the packages and their rules at its last meeting before they applied.
        first = (
            _council_decision(
                cluster,
                before=start,
                title="Rag'bat paketlari va ularning shartlarini (1-versiya) tasdiqlash",
                text=(
                    "Hamkor, Faol hamkor va Strategik hamkor paketlari, ularning imtiyozlari va shartlari "
                    f"tasdiqlansin. Shartlar {start:%d.%m.%Y} dan kuchga kiradi va har chorak yakuniy oylar "
                    "bo'yicha baholanadi."
                ),
            )
            or adopted.first()
        )
        assert first is not None
        packages = []
        for tier, name, description, benefits, combine, conditions in PACKAGES:
            package = IncentivePackage.objects.create(cluster=cluster, tier=tier, name=name, description=description)
            Benefit.objects.bulk_create(Benefit(package=package, kind=k, value=v) for k, v in benefits)
            rule = RuleVersion.objects.create(
                package=package, number=1, combine=combine, effective_from=start, status="approved", approved_by=first
            )
            for position, fields in enumerate(conditions, start=1):
                fields = dict(fields)
                code = fields.pop("kpi", None)
                Condition.objects.create(rule=rule, position=position, kpi=kpis.get(code) if code else None, **fields)
            packages.append(package)
        counts["packages"] = len(packages)
        # The earlier quarter evaluated; its proposals approved by the council's first decision after it; then the
        # latest quarter evaluated: its proposals wait for the council, and a holder whose figures fell past a KPI
        # minimum its package requires gets a conditions review.
        counts["evaluations"] += len(services.evaluate_quarter(cluster=cluster, quarter=quarters[0]))
        earlier_end = Span.parse(quarters[0]).end
        decision = (
            _council_decision(
                cluster,
                after=earlier_end,
                title=f"{_quarter_uz(quarters[0])} bo'yicha rag'bat mukofotlarini tasdiqlash",
                text=(
                    f"{_quarter_uz(quarters[0])} baholash natijalari bo'yicha taklif qilingan mukofotlar olti oy "
                    "muddatga "
                    "tasdiqlansin. Ofis korxonalarga xabar bersin va umumiy xizmatlar navbatini yangilasin."
                ),
            )
            or adopted.filter(meeting__date__gt=earlier_end).first()
            or adopted.last()
        )
        assert decision is not None  # `first` exists
        for award in Award.objects.filter(cluster=cluster, quarter=quarters[0], status=AwardStatus.PROPOSED):
            services.award_decide(award=award, decision=decision, valid_from=max(decision.meeting.date, earlier_end))
        for quarter in quarters[1:]:
            counts["evaluations"] += len(services.evaluate_quarter(cluster=cluster, quarter=quarter))
        reviews = list(ConditionsReview.objects.filter(cluster=cluster).select_related("enterprise").order_by("pk"))
        counts["reviews"] = len(reviews)
        # One answered by its enterprise, so the council has one to decide; the others wait for their answer.
        for review in reviews[-1:]:
            representative = review.enterprise.representatives.filter(is_active=True).select_related("user").first()
            if representative is not None:
                services.review_answer(review=review, user=representative.user, answer=REVIEW_ANSWER)
        counts["awards"] = Award.objects.filter(cluster=cluster).count()
        # A stricter rule for the middle tier, drafted by the office: defects at most 2 %, and an "active partner"
        # also sits in a working group, attends the meetings of its bodies and uses the shared services. The
        # preview shows who would gain and who would lose.
        middle = packages[1]
        draft = RuleVersion.objects.create(
            package=middle, number=2, combine="all", effective_from=_next_quarter_start(today)
        )
        for condition in middle.rule_versions.get(number=1).conditions.all():
            threshold = Decimal("0.02") if condition.kpi_id == kpis["DEFECT"].pk else condition.threshold
            Condition.objects.create(
                rule=draft,
                position=condition.position,
                measure=condition.measure,
                kpi=condition.kpi,
                window=condition.window,
                months=condition.months,
                comparison=condition.comparison,
                threshold=threshold,
            )
        first_free = draft.conditions.count() + 1
        for position, fields in enumerate(DRAFT_PARTICIPATION, start=first_free):
            Condition.objects.create(rule=draft, position=position, **fields)
    return counts


def _council_decision(
    cluster: Cluster,
    *,
    title: str,
    text: str,
    before: datetime.date | None = None,
    after: datetime.date | None = None,
) -> Decision | None:
    """A decision adopted by everyone present at the council's held meeting nearest before `before` (or after
    `after`); None where the council met no such day."""
    from governance import services as governance
    from governance.choices import DecisionKind, MeetingStatus
    from governance.models import Meeting

    meetings = Meeting.objects.filter(body__cluster=cluster, body__kind=BodyKind.COUNCIL, status=MeetingStatus.HELD)
    if before is not None:
        meeting = meetings.filter(date__lt=before).order_by("-date").first()
    else:
        meeting = meetings.filter(date__gt=after).order_by("date").first()
    if meeting is None:
        return None
    present = meeting.attendances.filter(present=True).count()
    decision = Decision(
        meeting=meeting,
        title=title,
        text=text,
        kind=DecisionKind.OPERATIONAL,
        votes_for=present,
        votes_against=0,
        votes_abstain=0,
    )
    governance.decision_save(decision=decision)
    return decision if decision.outcome == DecisionOutcome.ADOPTED else None


def _quarter_uz(key: str) -> str:
    """ "2026-Q2" as an Uzbek minute writes it: "2026-yil II chorak"."""
    year, number = key.split("-Q")
    return f"{year}-yil {('I', 'II', 'III', 'IV')[int(number) - 1]} chorak"


def _next_quarter_start(today: datetime.date) -> datetime.date:
    span = Span.quarter_of(today)
    return services.months_later(span.start, 3)
