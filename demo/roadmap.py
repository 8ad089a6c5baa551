"""The demo cluster's roadmap, around month 14: the model's three phases and tasks with their owners; phase 1's
tasks done, phase 2's under way (one overdue); the office raised the participants the first gate asks for to 40;
the council passed the first gate by a conditional go (decision 2026/6-like, at the meeting that selected the
quick-win projects) waiving that criterion, with a condition that the data has since met; each gate read at the
end of every month since the start, so readiness has its history. Content in Uzbek."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.choices import BodyKind, DecisionOutcome
from governance.models import Body, Cluster, Decision
from kpi.models import add_months
from roadmap import services
from roadmap.choices import GateMeasure, Outcome, TaskStatus
from roadmap.models import GateCriterion, GateDecision, GateEvaluation, Phase, RoadmapTask

PARTICIPANTS_ASKED = Decimal(40)
WAIVER = (
    "Hozir {count} ta korxona qatnashmoqda; yana bir nechta fermer xo'jaligining arizasi ko'rib chiqilmoqda. "
    "Kengash ishtirokchilar sonini ikkinchi bosqichga o'tishga to'siq deb hisoblamaydi."
)
CONDITION = "Standartlashtirish, logistika va kadrlar tayyorlash bo'yicha qo'shma loyihalarni iyun oxirigacha boshlash"
NOTE = (
    "Tez natija beradigan to'rtta loyiha shu yig'ilishda tanlandi. 2-bosqich boshlanadi; ofis loyihalar ishga "
    "tushganini avgust yig'ilishida ma'lum qiladi."
)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def load_roadmap_demo(*, cluster: Cluster, today: datetime.date) -> dict[str, int]:
    counts = {"phases": 0, "gate_evaluations": 0, "gate_decisions": 0}
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
        phases = services.roadmap_setup(cluster=cluster)
        if (
            GateDecision.objects.filter(cluster=cluster).exists()
            or GateEvaluation.objects.filter(cluster=cluster).exists()
        ):
            return counts
        counts["phases"] = len(phases)
        services.roadmap_default_owners(cluster=cluster)
        _tasks(cluster, today)
        GateCriterion.objects.filter(cluster=cluster, phase__number=1, measure=GateMeasure.PARTICIPANTS).update(
            threshold=PARTICIPANTS_ASKED
        )
        services.revision_record(
            cluster=cluster, user=None, summary="1-bosqich darvozasi: ishtirokchilar soni kamida 40 ta"
        )
        decision = (
            Decision.objects.filter(
                meeting__body__cluster=cluster,
                meeting__body__kind=BodyKind.COUNCIL,
                outcome=DecisionOutcome.ADOPTED,
                title__startswith="1-bosqich yakunlanganini",
            )
            .select_related("meeting")
            .first()
        )
        decided_on = decision.meeting.date if decision else None
        month = cluster.start_date.replace(day=1)
        last = services.latest_ended_month(cluster)
        decided = False
        while month <= last:
            month_end = add_months(month, 1) - datetime.timedelta(days=1)
            if decision is not None and not decided and decided_on is not None and decided_on <= month_end:
                _decide(cluster, decision)
                decided = True
                counts["gate_decisions"] += 1
            for phase in phases:
                services.gate_evaluate(phase=phase, month=month, now=_at(month_end + datetime.timedelta(days=1), 9))
                counts["gate_evaluations"] += 1
            month = add_months(month, 1)
    return counts


def _decide(cluster: Cluster, decision: Decision) -> None:
    first = Phase.objects.get(cluster=cluster, number=1)
    participants = GateCriterion.objects.get(cluster=cluster, phase=first, measure=GateMeasure.PARTICIPANTS)
    areas = GateCriterion.objects.get(cluster=cluster, phase__number=2, measure=GateMeasure.PROJECT_AREAS_ACTIVE)
    office = (
        Body.objects.filter(cluster=cluster, kind=BodyKind.OFFICE).first()
        or Body.objects.filter(cluster=cluster).first()
    )
    meeting_day = decision.meeting.date
    count = services.Reader(cluster, meeting_day, _at(meeting_day, 17)).read(participants).measured
    services.gate_decide(
        phase=first,
        decision=decision,
        outcome=Outcome.CONDITIONAL_GO,
        waivers={participants.pk: WAIVER.format(count=int(count or 0))},
        conditions=[
            {
                "text": CONDITION,
                "owner": office,
                "due_on": datetime.date(meeting_day.year, 6, 30) if meeting_day.month <= 6 else meeting_day,
                "criterion": areas,
            }
        ],
        review_on=add_months(meeting_day.replace(day=1), 3),
        note=NOTE,
        now=_at(meeting_day, 17),
    )


def _tasks(cluster: Cluster, today: datetime.date) -> None:
    """Phase 1's tasks done near their dates; in phase 2 the monitoring panel and logistics done, standardisation
    under way, training overdue; later tasks planned."""
    for task in RoadmapTask.objects.filter(cluster=cluster).select_related("phase").order_by("phase__number", "pk"):
        if task.phase.number == 1 or (task.phase.number == 2 and task.position in (2, 4)):
            done = min(task.due_on - datetime.timedelta(days=5), today)
            task.status, task.done_on = TaskStatus.DONE, done
        elif task.phase.number == 2 and task.position == 1:
            task.status = TaskStatus.IN_PROGRESS
        task.save(update_fields=["status", "done_on"])
