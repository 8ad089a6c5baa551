"""The demo cluster's portfolio: joint projects over the categories and states (four phase-1 quick wins
selected by the council), their milestones, the KPIs they should move and the effect some had; cooperation
contracts along the value chain; the shared-services centre with its requests.

Runs after the KPI demo each time `load_demo` runs and adds its part only when the cluster has no project.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.choices import BodyKind, DecisionKind, DecisionOutcome, EnterpriseKind, MeetingStatus
from governance.models import Body, Cluster, Decision, Enterprise, Meeting
from governance.services import decision_number
from kpi.choices import Trigger
from kpi.models import Kpi
from portfolio.choices import RequestStatus
from portfolio.models import (
    CooperationContract,
    Milestone,
    Project,
    ProjectEffect,
    ProjectKpi,
    Service,
    ServiceRequest,
)

from .governance import QUICK_WINS_MEETING

# title, category, area of the lead group, budget, effect a year, months to first result, risk, phase, status,
# KPIs to move (code, change), milestones (title, months from the start, progress)
PROJECTS = [
    ("Paxta xomashyosi uchun umumiy logistika markazi", "supply_chain", "logistics", 450_000, 620_000, 4, "low", 1,
     "active", [("LEAD", "-1.5"), ("OTD", "0.08")],
     [("Paxta xomashyosini yetkazib berish yo'nalishlari xaritaga tushirildi", 1, 100),
      ("Markaz hovlisi ijaraga olindi va o'rab olindi", 3, 80),
      ("Barcha paxta tozalash korxonalari uchun yuk mashinalarini band qilish", 5, 30)]),
    ("Paxta tozalash korxonalarini ISO 9001 bo'yicha sertifikatlash", "standardisation", "quality", 380_000,
     300_000, 5, "medium", 1, "active", [("DEFECT", "-0.01")],
     [("Sakkizta paxta tozalash korxonasida dastlabki audit", 1, 100), ("Sifat qo'llanmalari yozildi", 3, 60),
      ("Sertifikatlash auditi", 6, 0)]),
    ("Mashina operatorlarini o'qitish dasturi", "skills", "skills", 250_000, 280_000, 3, "low", 1, "active",
     [("PROD", "800"), ("SKILLS", "40")],
     [("O'quv dasturi texnikum bilan kelishildi", 1, 100), ("Dastlabki 60 nafar operator o'qitildi", 4, 70)]),
    ("Bo'yoq va kimyoviy moddalarni birgalikda xarid qilish", "joint_procurement", "logistics", 120_000, 150_000,
     2, "low", 1, "completed", [("COST", "-20")],
     [("O'n ikkita fabrikaning ehtiyoji jamlandi", 1, 100), ("Bosh shartnoma imzolandi", 2, 100)]),
    ("Tola sifati bo'yicha umumiy laboratoriya", "shared_lab", "quality", 2_400_000, 900_000, 14, "medium", 2,
     "active", [("DEFECT", "-0.015"), ("VA", "0.02")],
     [("HVI uskunasiga buyurtma berildi", 2, 100), ("Laboratoriya akkreditatsiyadan o'tdi", 10, 20)]),
    ("Yevropa Ittifoqi xaridorlari uchun organik paxta ipi", "export_marketing", "export", 1_200_000, 1_500_000, 10,
     "medium", 2, "selected", [("EXPORT", "400000"), ("EXPGR", "0.1")],
     [("Ikkita ko'rgazma-yarmarkada joy band qilindi", 2, 50)]),
    ("Terim mavsumida yetkazib berish yo'nalishlarini rejalashtirish", "supply_chain", "logistics", 300_000,
     260_000, 6, "medium", 1, "proposed", [], []),
    ("Trikotaj liniyasini modernizatsiya qilish", "other", "innovation", 8_000_000, 2_100_000, 24, "high", 3,
     "proposed", [], []),
    ("Paxta toylarini raqamli kuzatish tizimi", "other", "innovation", 900_000, 400_000, 9, "high", 2, "cancelled",
     [], []),
    ("Texnikum bilan tikuvchilarni ustoz-shogird usulida tayyorlash", "skills", "skills", 400_000, 350_000, 8, "low",
     2, "proposed", [], []),
]  # fmt: skip

# Effects recorded by the completed and the oldest active project, per year before this one (by project title).
EFFECTS = {
    "Bo'yoq va kimyoviy moddalarni birgalikda xarid qilish": [174_000],
    "Paxta xomashyosi uchun umumiy logistika markazi": [410_000],
}

SERVICES = [
    ("Tola sifati sinovi (HVI)", EnterpriseKind.EDUCATION_RESEARCH, "2.5", 5),
    ("Sertifikatlashda ko'maklashish", None, "15", 20),
    ("Yuk mashinasini birgalikda band qilish", EnterpriseKind.SERVICE, "1.2", 2),
    ("Mashina operatorlari kursi", EnterpriseKind.EDUCATION_RESEARCH, "6", 14),
    ("Eksport ko'rgazmasida ishtirok etish", None, "40", 30),
]


def _selection_decisions(cluster: Cluster) -> list[Decision]:
    """Adopted strategic decisions selecting the projects, at the council's held meetings (with quorum)."""
    meetings = [
        m
        for m in Meeting.objects.filter(
            body__cluster=cluster, body__kind=BodyKind.COUNCIL, status=MeetingStatus.HELD
        ).order_by("date")
        if m.quorum().met
    ]
    if not meetings:
        return []
    quick = next((m for m in meetings if m.title == QUICK_WINS_MEETING), meetings[0])
    later = meetings[-1]
    present = quick.quorum().present
    return [
        Decision.objects.create(
            meeting=meeting,
            number=decision_number(meeting),
            title=title,
            kind=DecisionKind.STRATEGIC,
            votes_for=present,
            outcome=DecisionOutcome.ADOPTED,
        )
        for meeting, title in (
            (quick, "1-bosqichning tez natija beradigan loyihalarini tanlash"),
            (later, "Umumiy laboratoriya va eksport marketingi loyihalarini tanlash"),
        )
    ]


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, min(day.day, 28))


def _projects(cluster: Cluster, today: datetime.date) -> int:
    groups = {b.area: b for b in Body.objects.filter(cluster=cluster, kind=BodyKind.WORKING_GROUP)}
    firms = list(Enterprise.objects.filter(cluster=cluster).order_by("name"))
    kpis = {k.code: k for k in Kpi.objects.all()}
    decisions = _selection_decisions(cluster)
    rng = random.Random(11)
    made = 0
    for title, category, area, budget, effect, months, risk, phase, status, moves, steps in PROJECTS:
        if area not in groups:
            continue
        decision = None
        if status in ("selected", "active", "completed"):
            if decisions:
                decision = decisions[0] if phase == 1 else decisions[-1]
            else:
                status = "proposed"  # no council meeting to have selected it
        selected_on = decision.meeting.date if decision else None
        started = (
            selected_on + datetime.timedelta(days=14) if selected_on and status in ("active", "completed") else None
        )
        project = Project.objects.create(
            cluster=cluster,
            title=title,
            category=category,
            lead_group=groups[area],
            budget=Decimal(budget),
            expected_effect=Decimal(effect),
            months_to_first_result=months,
            risk=risk,
            phase=phase,
            status=status,
            selection_decision=decision,
            started_on=started,
            completed_on=_add_months(started, months) if started and status == "completed" else None,
        )
        project.enterprises.set(rng.sample(firms, k=min(4, len(firms))))
        start = started or selected_on or today
        for step, offset, progress in steps:
            due = _add_months(start, offset)
            Milestone.objects.create(
                project=project,
                title=step,
                due_on=due,
                progress=progress,
                done_on=min(due, today) if progress == 100 else None,
            )
        for code, change in moves:
            if code in kpis:
                ProjectKpi.objects.create(project=project, kpi=kpis[code], expected_change=Decimal(change))
        for back, amount in enumerate(EFFECTS.get(title, []), start=1):
            ProjectEffect.objects.create(project=project, year=today.year - back, actual_effect=Decimal(amount))
        made += 1
    return made


def _contracts(cluster: Cluster, today: datetime.date) -> int:
    """Farms sell raw cotton to ginneries and mills, processors sell yarn and fabric on, service firms serve
    the processors, export structures buy finished goods: the value chain as contracts."""
    rng = random.Random(5)
    firms = list(Enterprise.objects.filter(cluster=cluster).exclude(status="left").order_by("name"))
    supply = [e for e in firms if e.value_chain_link == "supply"]
    processing = [e for e in firms if e.value_chain_link == "processing"]
    service = [e for e in firms if e.value_chain_link == "service" and e.kind != EnterpriseKind.EXPORT]
    export = [e for e in firms if e.kind == EnterpriseKind.EXPORT]
    pairs: set[tuple[int, int, str]] = set()
    for farm in supply:
        for mill in rng.sample(processing, k=min(2, len(processing))):
            pairs.add((farm.pk, mill.pk, "Paxta xomashyosi"))
    for mill in processing:
        others = [m for m in processing if m.pk != mill.pk]
        for buyer in rng.sample(others, k=min(1, len(others))):
            pairs.add((mill.pk, buyer.pk, "Ip va mato"))
        for buyer in export[:1]:
            pairs.add((mill.pk, buyer.pk, "Eksport uchun tayyor kiyim-kechak"))
    for firm in service:
        for buyer in rng.sample(processing, k=min(2, len(processing))):
            pairs.add((firm.pk, buyer.pk, "Logistika va laboratoriya sinovlari xizmatlari"))
    rows = []
    for index, (supplier_id, buyer_id, subject) in enumerate(sorted(pairs)):
        start = _add_months(today, -rng.randint(3, 30))
        rows.append(
            CooperationContract(
                cluster=cluster,
                supplier_id=supplier_id,
                buyer_id=buyer_id,
                subject=subject,
                annual_value=Decimal(rng.randint(20, 900) * 1000),
                start_date=start,
                end_date=_add_months(today, -1) if index % 9 == 0 else None,  # a few have ended
            )
        )
    CooperationContract.objects.bulk_create(rows)
    return len(rows)


def _services(cluster: Cluster, today: datetime.date) -> tuple[int, int]:
    rng = random.Random(9)
    firms = list(Enterprise.objects.filter(cluster=cluster).exclude(status="left").order_by("name"))
    made = []
    for name, provider_kind, price, days in SERVICES:
        provider = next((e for e in firms if e.kind == provider_kind), None) if provider_kind else None
        made.append(
            Service.objects.create(
                cluster=cluster, name=name, provider=provider, price=Decimal(price), turnaround_days=days
            )
        )
    now = timezone.now()
    clients = [e for e in firms if e.value_chain_link in ("supply", "processing")]
    requests = []
    for index in range(30):
        service = made[index % len(made)]
        requested = now - datetime.timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 8))
        due = requested + datetime.timedelta(days=service.turnaround_days)
        status = (
            RequestStatus.DONE
            if index < 18
            else RequestStatus.IN_PROGRESS
            if index < 24
            else (RequestStatus.REQUESTED if index < 28 else RequestStatus.CANCELLED)
        )
        done = None
        if status == RequestStatus.DONE:
            # Most on time, every fourth a few days late.
            late = datetime.timedelta(days=3) if index % 4 == 0 else -datetime.timedelta(days=1)
            done = min(max(due + late, requested + datetime.timedelta(hours=4)), now)
        requests.append(
            ServiceRequest(
                service=service,
                enterprise=clients[index % len(clients)],
                status=status,
                requested_at=requested,
                due_at=due,
                done_at=done,
            )
        )
    ServiceRequest.objects.bulk_create(requests)
    return len(made), len(requests)


def load_portfolio_demo(*, cluster: Cluster, today: datetime.date) -> dict[str, int]:
    """Add the demo portfolio when the cluster has no project yet; answer what was added."""
    from kpi.services import kpi_values_compute_history

    counts = {"projects": 0, "contracts": 0, "services": 0, "requests": 0}
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()  # one loader at a time
        if Project.objects.filter(cluster=cluster).exists():
            return counts
        counts["projects"] = _projects(cluster, today)
        counts["contracts"] = _contracts(cluster, today)
        counts["services"], counts["requests"] = _services(cluster, today)
    if counts["projects"]:
        # The selected-projects KPI of the months already computed now counts them.
        kpi_values_compute_history(cluster=cluster, trigger=Trigger.DEMO)
    return counts
