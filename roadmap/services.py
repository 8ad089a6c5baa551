"""The roadmap: where the cluster stands, its tasks, the gates' criteria read from live data, readiness kept month
by month, and the council's gate decisions with their evidence frozen.

Rules (DESIGN.md, "5. roadmap"):
- phase dates are months from the cluster's start date (`months_after`: a start on the 31st ends a shorter month
  on its last day);
- a criterion is read as of the end of a month, from the platform's records as they stand and from final KPI
  values only (a provisional month or quarter is never read); a criterion without data is "insufficient data",
  never met;
- readiness: every must-meet criterion met, and the weighted share of should-meet criteria met at least the
  phase's threshold (80 % by default); a gate without should-meet criteria is fully ready once its must-meet ones
  are;
- a gate decision keeps the evidence as it stood at the decision; a later correction that would change a
  criterion's result flags the decision and never rewrites its snapshot;
- a condition tied to a criterion closes by itself the day an evaluation finds the criterion met."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.choices import BodyKind, DecisionOutcome, EnterpriseStatus, RegulationKind, RegulationStatus
from governance.models import Body, Cluster, Enterprise, Regulation
from governance.scoping import require_office
from kpi.choices import Direction, PeriodKind, Scope
from kpi.models import ClusterKpi, Kpi, KpiComputation, KpiValue, Span, add_months
from portfolio.choices import CARRIED, ProjectCategory, ProjectStatus
from portfolio.models import CooperationContract, Project

from . import defaults
from .choices import PASSING, Comparison, GateMeasure, Outcome, Result, TaskStatus
from .models import (
    GateCondition,
    GateCriterion,
    GateDecision,
    GateEvaluation,
    GateResult,
    Phase,
    RoadmapRevision,
    RoadmapTask,
    Waiver,
    months_after,
    shown,
)

ROADMAP_MONTHS = 36


# --- Where the cluster stands -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandAt:
    month: int  # whole months since the start (month 0 is the first)
    phase: Phase | None  # the phase whose months hold today; None before the start or after month 36
    phases: list[Phase]

    @property
    def total(self) -> int:
        return ROADMAP_MONTHS

    @property
    def next_gate(self) -> Phase | None:
        """The phase whose gate comes next: the current one (its gate closes it)."""
        return self.phase


def months_since(start: datetime.date, day: datetime.date) -> int:
    """Whole months from `start` to `day` (0 in the first month; -1 before the start)."""
    if day < start:
        return -1
    months = (day.year - start.year) * 12 + day.month - start.month
    while months > 0 and months_after(start, months) > day:
        months -= 1
    return months


def stand_at(cluster: Cluster, day: datetime.date | None = None) -> StandAt:
    day = day or cluster.today()
    month = months_since(cluster.start_date, day)
    phases = list(Phase.objects.filter(cluster=cluster).select_related("cluster").order_by("number"))
    current = next((p for p in phases if p.start_month <= month < p.end_month), None)
    return StandAt(month, current, phases)


# --- The default roadmap ------------------------------------------------------------------------------------------


def default_owner(owner: str, bodies: list[Body]) -> Body | None:
    kinds = {"council": BodyKind.COUNCIL, "office": BodyKind.OFFICE}
    if owner in kinds:
        found = [b for b in bodies if b.kind == kinds[owner]]
    else:
        found = [b for b in bodies if b.kind == BodyKind.WORKING_GROUP and b.area == owner]
    # A cluster without that body yet: its office, else its council, owns the task until the office reassigns it.
    fallback = [b for b in bodies if b.kind == BodyKind.OFFICE] + [b for b in bodies if b.kind == BodyKind.COUNCIL]
    chosen = found or fallback
    return chosen[0] if chosen else None


@transaction.atomic
def roadmap_setup(*, cluster: Cluster, user=None) -> list[Phase]:
    """The cluster's roadmap from the model's defaults (once): the three phases, their tasks with owners, the
    gates' criteria, and the roadmap's first version. In a cluster without bodies yet, the tasks wait for the
    office to name their owners."""
    Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
    existing = list(Phase.objects.filter(cluster=cluster).order_by("number"))
    if existing:
        roadmap_default_owners(cluster=cluster)  # bodies added since: the tasks waiting for them get their owner
        return existing
    bodies = list(Body.objects.filter(cluster=cluster, is_active=True).order_by("pk"))
    kpis = {k.code: k for k in Kpi.objects.all()}
    phases = []
    for spec in defaults.PHASES:
        phase = Phase.objects.create(
            cluster=cluster,
            number=spec.number,
            name=spec.name,
            start_month=spec.start,
            end_month=spec.end,
            responsible=spec.responsible,
            expected_result=spec.expected,
        )
        phase.example_kpis.set([kpis[c] for c in spec.kpis if c in kpis])
        for position, task in enumerate(spec.tasks, start=1):
            RoadmapTask.objects.create(
                cluster=cluster,
                phase=phase,
                title=task.title,
                owner=default_owner(task.owner, bodies),  # none yet in a new cluster: the office assigns it
                due_on=months_after(cluster.start_date, task.month) - datetime.timedelta(days=1),
                position=position,
            )
        for position, criterion in enumerate(spec.criteria, start=1):
            if criterion.kpi and criterion.kpi not in kpis:
                continue  # an installation without that KPI in its catalogue: the office adds it later
            GateCriterion.objects.create(
                cluster=cluster,
                phase=phase,
                position=position,
                measure=criterion.measure,
                kpi=kpis.get(criterion.kpi) if criterion.kpi else None,
                comparison=criterion.comparison,
                threshold=criterion.threshold,
                must_meet=criterion.must,
                weight=criterion.weight,
            )
        phases.append(phase)
    revision_record(cluster=cluster, user=user, summary=_("The roadmap from the model's defaults"))
    return phases


def snapshot_of(cluster: Cluster) -> dict:
    """The whole roadmap as it stands (phases with their tasks and criteria), for a version."""
    phases = []
    for phase in Phase.objects.filter(cluster=cluster).prefetch_related("tasks__owner", "criteria__kpi"):
        phases.append(
            {
                "number": phase.number,
                "name": phase.name,
                "months": [phase.start_month, phase.end_month],
                "readiness_threshold": str(phase.readiness_threshold),
                "tasks": [
                    {
                        "id": t.pk,
                        "title": t.title,
                        "owner": t.owner.name if t.owner else None,
                        "due_on": t.due_on.isoformat(),
                        "status": t.status,
                    }
                    for t in phase.tasks.all()
                ],
                "criteria": [
                    {
                        "id": c.pk,
                        "measure": c.measure,
                        "kpi": c.kpi.code if c.kpi else None,
                        "comparison": c.comparison,
                        "threshold": None if c.threshold is None else str(c.threshold),
                        "must_meet": c.must_meet,
                        "weight": c.weight,
                        "active": c.active,
                    }
                    for c in phase.criteria.all()
                ],
            }
        )
    return {"phases": phases}


def revision_record(*, cluster: Cluster, user, summary: str) -> RoadmapRevision:
    latest = RoadmapRevision.objects.filter(cluster=cluster).order_by("-number").first()
    return RoadmapRevision.objects.create(
        cluster=cluster,
        number=(latest.number + 1) if latest else 1,
        created_at=timezone.now(),
        created_by=user if getattr(user, "pk", None) else None,
        summary=summary[:300],
        snapshot=snapshot_of(cluster),
    )


@transaction.atomic
def task_save(*, task: RoadmapTask, user) -> RoadmapTask:
    """The office adds or changes a task; the roadmap keeps a version."""
    require_office(user, task.cluster)
    creating = task.pk is None
    if task.status != TaskStatus.DONE:
        task.done_on = None
    elif task.done_on is None:
        task.done_on = task.cluster.today()
    task.full_clean()
    task.save()
    summary = _("Task added: %(title)s") if creating else _("Task changed: %(title)s")
    revision_record(cluster=task.cluster, user=user, summary=summary % {"title": task.label})
    return task


@transaction.atomic
def criterion_save(*, criterion: GateCriterion, user) -> GateCriterion:
    require_office(user, criterion.cluster)
    criterion.full_clean()
    criterion.save()
    revision_record(
        cluster=criterion.cluster, user=user, summary=_("Gate criterion set: %(what)s") % {"what": criterion}
    )
    return criterion


# --- Reading a gate's criteria ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    measured: Decimal | None
    threshold: Decimal | None
    comparison: str
    coverage: str = ""


def _month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


def _count(queryset) -> Decimal:
    return Decimal(queryset.count())


class Reader:
    """Every criterion of a cluster as of the day `as_of` (a month's end for the monthly evaluation, the council's
    meeting for a decision): records as they stood that day, KPI values of periods ended by then and final at
    `now`."""

    def __init__(self, cluster: Cluster, as_of: datetime.date, now: datetime.datetime):
        self.cluster, self.end, self.now = cluster, as_of, now
        self.month = as_of.replace(day=1)
        self._final: dict[str, list[KpiComputation]] = {}

    def final(self, kind: str) -> list[KpiComputation]:
        """The cluster's final computations of months (or quarters) ended by `as_of`, newest first."""
        if kind not in self._final:
            self._final[kind] = [
                c
                for c in KpiComputation.objects.filter(
                    cluster=self.cluster, period_kind=kind, period_start__lte=self.month
                ).order_by("-period_start")
                if not c.is_provisional(self.now)
                and _month_end(
                    c.period_start if kind == PeriodKind.MONTH else Span.quarter_of(c.period_start).months[-1]
                )
                <= self.end
            ]
        return self._final[kind]

    def bodies(self, kind: str) -> Decimal:
        return _count(
            Body.objects.filter(cluster=self.cluster, kind=kind, is_active=True).filter(
                Q(established_on__lte=self.end) | Q(established_on__isnull=True)
            )
        )

    def read(self, criterion: GateCriterion) -> Read:
        measure = criterion.measure
        threshold, comparison = criterion.threshold, criterion.comparison
        if measure == GateMeasure.COUNCIL:
            return Read(self.bodies(BodyKind.COUNCIL), threshold, comparison)
        if measure == GateMeasure.OFFICE:
            return Read(self.bodies(BodyKind.OFFICE), threshold, comparison)
        if measure == GateMeasure.WORKING_GROUPS:
            return Read(self.bodies(BodyKind.WORKING_GROUP), threshold, comparison)
        if measure == GateMeasure.REGULATION:
            approved = Regulation.objects.filter(
                cluster=self.cluster, kind=RegulationKind.DATA_COLLECTION, status=RegulationStatus.APPROVED
            ).filter(Q(effective_from__lte=self.end) | Q(effective_from__isnull=True))
            return Read(_count(approved), threshold, comparison)
        if measure == GateMeasure.PROJECTS_SELECTED:
            return Read(_count(self._selected()), threshold, comparison)
        if measure == GateMeasure.QUICK_WIN_AREAS:
            return Read(Decimal(len(self._quick_win_areas())), threshold, comparison)
        if measure == GateMeasure.PARTICIPANTS:
            participants = Enterprise.objects.filter(cluster=self.cluster, joined_on__lte=self.end).exclude(
                status=EnterpriseStatus.LEFT
            )
            return Read(_count(participants), threshold, comparison)
        if measure == GateMeasure.KPI_FINAL_MONTHS:
            return Read(Decimal(len(self.final(PeriodKind.MONTH))), threshold, comparison)
        if measure == GateMeasure.PROJECT_AREAS_ACTIVE:
            return Read(Decimal(len(self._active_areas())), threshold, comparison)
        if measure == GateMeasure.CONTRACTS_GROWTH:
            before = months_after(self.end, -6) if self.end.day < 28 else _month_end(add_months(self.month, -6))
            return Read(Decimal(self._contracts(self.end) - self._contracts(before)), threshold, comparison)
        if measure == GateMeasure.INCENTIVES_KPI:
            return Read(Decimal(self._incentives_kpi()), threshold, comparison)
        assert criterion.kpi is not None  # a KPI criterion names its KPI (a database constraint)
        if measure == GateMeasure.KPI_TREND:
            return self._trend(criterion.kpi, threshold, comparison)
        return self._target(criterion.kpi)

    def _selected(self):
        return Project.objects.filter(
            cluster=self.cluster, status__in=CARRIED, selection_decision__meeting__date__lte=self.end
        )

    def _quick_win_areas(self) -> set[str]:
        from portfolio.selectors import QUICK_WIN_AREAS
        from portfolio.services import project_score, quick_win_max_budget

        budget = quick_win_max_budget(self.cluster)
        return {
            p.lead_group.area
            for p in self._selected().filter(phase=1).select_related("lead_group")
            if p.lead_group.area in QUICK_WIN_AREAS and project_score(project=p, quick_win_max_budget=budget).quick_win
        }

    def _active_areas(self) -> set[str]:
        wanted = {ProjectCategory.STANDARDISATION, ProjectCategory.SUPPLY_CHAIN, ProjectCategory.SKILLS}
        return set(
            Project.objects.filter(
                cluster=self.cluster,
                category__in=wanted,
                status__in=[ProjectStatus.ACTIVE, ProjectStatus.COMPLETED],
                started_on__lte=self.end,
            ).values_list("category", flat=True)
        )

    def _contracts(self, day: datetime.date) -> int:
        return (
            CooperationContract.objects.filter(cluster=self.cluster, start_date__lte=day)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
            .count()
        )

    def _incentives_kpi(self) -> int:
        from incentives.choices import Measure
        from incentives.models import IncentivePackage
        from incentives.services import rule_in_force

        count = 0
        for package in IncentivePackage.objects.filter(cluster=self.cluster, active=True):
            rule = rule_in_force(package, self.end)
            if rule is not None and rule.conditions.filter(measure=Measure.KPI).exists():
                count += 1
        return count

    def _quarter_values(self, kpi: Kpi, number: int) -> list[tuple[KpiComputation, Decimal | None]]:
        quarters = self.final(PeriodKind.QUARTER)[:number]
        values = dict(
            KpiValue.objects.filter(
                cluster=self.cluster,
                kpi=kpi,
                scope=Scope.CLUSTER,
                period__in=[c.period for c in quarters],
            ).values_list("period", "value")
        )
        return [(c, values.get(c.period)) for c in quarters]

    @staticmethod
    def _coverage(computation: KpiComputation) -> str:
        counted, expected = (computation.counted or {}).get("", 0), (computation.expected or {}).get("", 0)
        return f"{computation.period}: {counted}/{expected}"

    def _trend(self, kpi: Kpi, threshold, comparison) -> Read:
        """The latest final quarter against the one before, in the KPI's good direction (positive: improving)."""
        rows = self._quarter_values(kpi, 2)
        if len(rows) < 2 or rows[0][1] is None or rows[1][1] is None:
            return Read(None, threshold, comparison, self._coverage(rows[0][0]) if rows else "")
        (latest, now_value), (_before, then_value) = rows
        assert now_value is not None and then_value is not None
        change = then_value - now_value if kpi.direction == Direction.LOWER else now_value - then_value
        return Read(change, threshold, comparison, self._coverage(latest))

    def _target(self, kpi: Kpi) -> Read:
        """The latest final quarter's value against the cluster's target, compared in the KPI's direction."""
        comparison = Comparison.AT_MOST if kpi.direction == Direction.LOWER else Comparison.AT_LEAST
        target = ClusterKpi.objects.filter(cluster=self.cluster, kpi=kpi).values_list("target", flat=True).first()
        rows = self._quarter_values(kpi, 1)
        if not rows:
            return Read(None, target, comparison)
        computation, value = rows[0]
        return Read(value, target, comparison, self._coverage(computation))


def result_of(read: Read) -> str:
    if read.measured is None or read.threshold is None:
        return Result.INSUFFICIENT
    met = read.measured >= read.threshold if read.comparison == Comparison.AT_LEAST else read.measured <= read.threshold
    return Result.MET if met else Result.NOT_MET


@dataclass(frozen=True)
class Readiness:
    readiness: Decimal  # the weighted share of should-meet criteria met
    must_met: bool
    ready: bool


def readiness_of(rows: Iterable[tuple[GateCriterion, str]], threshold: Decimal) -> Readiness:
    rows = list(rows)
    must = [result for criterion, result in rows if criterion.must_meet]
    should = [(criterion.weight, result) for criterion, result in rows if not criterion.must_meet]
    total = sum(weight for weight, _result in should)
    share = (
        (Decimal(sum(weight for weight, result in should if result == Result.MET)) / Decimal(total))
        if total
        else Decimal(1)
    ).quantize(Decimal("0.0001"))
    must_met = all(result == Result.MET for result in must)
    return Readiness(share, must_met, must_met and share >= threshold)


def judge(phase: Phase, as_of: datetime.date, now: datetime.datetime) -> list[tuple[GateCriterion, Read, str]]:
    reader = Reader(phase.cluster, as_of, now)
    criteria = list(phase.criteria.filter(active=True).select_related("kpi").order_by("position", "pk"))
    judged = []
    for criterion in criteria:
        read = reader.read(criterion)
        judged.append((criterion, read, result_of(read)))
    return judged


def latest_ended_month(cluster: Cluster, now: datetime.datetime | None = None) -> datetime.date:
    """The last month that has ended (the gates are read as of its end)."""
    return add_months(cluster.today(now).replace(day=1), -1)


@transaction.atomic
def gate_evaluate(*, phase: Phase, month: datetime.date, now: datetime.datetime | None = None) -> GateEvaluation:
    """Read the gate's criteria as of the month's end and keep them (evaluating the month again replaces its
    rows); conditions tied to a criterion met now close by themselves."""
    now = now or timezone.now()
    month = month.replace(day=1)
    judged = judge(phase, _month_end(month), now)
    state = readiness_of(((c, result) for c, _r, result in judged), phase.readiness_threshold)
    evaluation, _created = GateEvaluation.objects.update_or_create(
        phase=phase,
        month=month,
        defaults={
            "cluster": phase.cluster,
            "evaluated_at": now,
            "readiness": state.readiness,
            "must_met": state.must_met,
            "ready": state.ready,
        },
    )
    evaluation.results.all().delete()
    GateResult.objects.bulk_create(
        GateResult(
            evaluation=evaluation,
            criterion=criterion,
            measured=read.measured,
            threshold=read.threshold,
            comparison=read.comparison,
            coverage=read.coverage,
            result=result,
        )
        for criterion, read, result in judged
    )
    met = [c.pk for c, _read, result in judged if result == Result.MET]
    GateCondition.objects.filter(
        gate_decision__cluster=phase.cluster, criterion_id__in=met, closed_on__isnull=True
    ).update(closed_on=phase.cluster.today(now), closed_by_data=True)
    return evaluation


def gates_evaluate_due(*, now: datetime.datetime | None = None) -> int:
    """Every cluster's gates as of the last month that has ended, once a month (the daily job); and the gate
    decisions' evidence checked again. Answers how many gate evaluations were written."""
    now = now or timezone.now()
    written = 0
    for cluster in Cluster.objects.filter(phases__isnull=False).distinct().order_by("pk"):
        month = latest_ended_month(cluster, now)
        for phase in Phase.objects.filter(cluster=cluster).select_related("cluster"):
            if not GateEvaluation.objects.filter(phase=phase, month=month).exists():
                gate_evaluate(phase=phase, month=month, now=now)
                written += 1
        decisions_recheck(cluster=cluster, now=now)
    return written


# --- Gate decisions -----------------------------------------------------------------------------------------------


def snapshot(judged: list[tuple[GateCriterion, Read, str]], as_of: datetime.date, state: Readiness) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "readiness": str(state.readiness),
        "must_met": state.must_met,
        "ready": state.ready,
        "criteria": [
            {
                "id": criterion.pk,
                "measure": criterion.measure,
                "kpi": criterion.kpi.code if criterion.kpi else None,
                "must_meet": criterion.must_meet,
                "weight": criterion.weight,
                "measured": None if read.measured is None else str(read.measured.normalize()),
                "threshold": None if read.threshold is None else str(read.threshold.normalize()),
                "comparison": read.comparison,
                "coverage": read.coverage,
                "result": result,
            }
            for criterion, read, result in judged
        ],
    }


@transaction.atomic
def gate_decide(
    *,
    phase: Phase,
    decision,
    outcome: str,
    waivers: dict[int, str] | None = None,
    conditions: Iterable[dict] = (),
    review_on: datetime.date | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> GateDecision:
    """Record the council's decision on the gate closing `phase`. The evidence is read now, as of the day of the
    council's meeting, and frozen in the decision. To pass (go or conditional go) every must-meet criterion not met
    is waived with the council's written reason, and so is every should-meet one not met where the readiness is
    below the threshold; a conditional go has at least one condition; a conditional go and a hold name a review
    date."""
    now = now or timezone.now()
    waivers = {int(k): v.strip() for k, v in (waivers or {}).items() if v and v.strip()}
    conditions = list(conditions)
    cluster = phase.cluster
    meeting = decision.meeting
    errors: dict[str, str] = {}
    # One at a time per gate: a second submit of the same form (or a colleague recording it too) is told so.
    Phase.objects.select_for_update().filter(pk=phase.pk).first()
    if GateDecision.objects.filter(phase=phase, decision=decision).exists():
        raise ValidationError({"decision": _("This council decision is already recorded for this gate.")})
    if meeting.body.kind != BodyKind.COUNCIL or meeting.body.cluster_id != cluster.pk:
        errors["decision"] = _("A gate is passed by a decision of the cluster's council.")
    elif decision.outcome != DecisionOutcome.ADOPTED:
        errors["decision"] = _("The decision was not adopted.")
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose go, conditional go, hold or recycle.")
    if outcome in (Outcome.CONDITIONAL_GO, Outcome.HOLD) and review_on is None:
        errors["review_on"] = _("A conditional go or a hold names the date the council reviews it.")
    if outcome == Outcome.CONDITIONAL_GO and not conditions:
        errors["conditions"] = _("A conditional go sets at least one condition, with an owner and a due date.")
    as_of = meeting.date
    judged = judge(phase, as_of, now)
    state = readiness_of(((c, result) for c, _r, result in judged), phase.readiness_threshold)
    unmet = to_waive(judged, state, phase.readiness_threshold)
    if outcome in PASSING:
        missing = [c for c in unmet if c.pk not in waivers]
        if missing:
            errors["waivers"] = _(
                "To pass the gate, give the council's reason for each criterion not met: %(criteria)s."
            ) % {"criteria": "; ".join(str(c) for c in missing)}
    if errors:
        raise ValidationError(errors)
    gate = GateDecision.objects.create(
        cluster=cluster,
        phase=phase,
        decision=decision,
        outcome=outcome,
        as_of=as_of,
        snapshot=snapshot(judged, as_of, state),
        readiness=state.readiness,
        review_on=review_on,
        note=note,
        decided_at=now,
    )
    Waiver.objects.bulk_create(
        Waiver(gate_decision=gate, criterion=c, reason=waivers[c.pk]) for c in unmet if c.pk in waivers
    )
    met = {c.pk for c, _read, result in judged if result == Result.MET}
    for fields in conditions:
        condition = GateCondition(gate_decision=gate, **fields)
        if condition.criterion_id in met:  # already met: closed by the data at once
            condition.closed_on, condition.closed_by_data = cluster.today(now), True
        condition.full_clean(exclude=["gate_decision"])
        condition.save()
    return gate


def to_waive(judged, state: Readiness, threshold: Decimal) -> list[GateCriterion]:
    """The criteria a passing decision must waive with a reason: every must-meet one not met, and the should-meet
    ones not met when they leave the readiness below the threshold."""
    short = state.readiness < threshold
    return [c for c, _read, result in judged if result != Result.MET and (c.must_meet or short)]


def gate_passed(phase: Phase) -> GateDecision | None:
    """The latest decision on the gate, if it passed it (and no later hold or recycle stands)."""
    latest = phase.decisions.order_by("-decided_at", "-pk").first()
    return latest if latest is not None and latest.outcome in PASSING else None


def decisions_recheck(*, cluster: Cluster, now: datetime.datetime | None = None) -> int:
    """Read again, as of its month, the evidence of every decision not flagged yet; flag those where a criterion's
    result would change now (data corrected since). The snapshot is never rewritten. Answers how many were
    flagged."""
    now = now or timezone.now()
    flagged = 0
    for gate in GateDecision.objects.filter(cluster=cluster, evidence_changed_at__isnull=True).select_related(
        "phase__cluster"
    ):
        frozen = {row["id"]: row["result"] for row in gate.snapshot.get("criteria", [])}
        current = {c.pk: result for c, _read, result in judge(gate.phase, gate.as_of, now) if c.pk in frozen}
        if any(current[pk] != frozen[pk] for pk in current):
            GateDecision.objects.filter(pk=gate.pk).update(evidence_changed_at=now)
            flagged += 1
    return flagged


def figures_changed_received(sender, *, cluster_id: int, months, **kwargs) -> None:
    """Corrected figures: once the change commits, the cluster's gate decisions are checked again."""
    if GateDecision.objects.filter(cluster_id=cluster_id, evidence_changed_at__isnull=True).exists():
        from .tasks import roadmap_recheck_task

        transaction.on_commit(lambda: roadmap_recheck_task.delay(cluster_id))


# --- What a page shows --------------------------------------------------------------------------------------------


@dataclass
class Projection:
    """Whether the gate will be ready by its date, from the readiness history's trend."""

    ready_now: bool
    must_met: bool
    on_track: bool | None  # None: not enough history to tell
    reaches_on: datetime.date | None


def projection(phase: Phase, history: list[GateEvaluation]) -> Projection:
    """A straight line through the readiness of the latest months (oldest first in `history`): the month it
    reaches the threshold, against the gate's date. Must-meet criteria unmet leave the gate not ready whatever
    the share."""
    if not history:
        return Projection(False, False, None, None)
    latest = history[-1]
    if latest.ready:
        return Projection(True, True, True, latest.month)
    recent = history[-6:]
    if len(recent) < 2:
        return Projection(False, latest.must_met, None, None)
    first, last = recent[0], recent[-1]
    months = (last.month.year - first.month.year) * 12 + last.month.month - first.month.month
    slope = (last.readiness - first.readiness) / months if months else Decimal(0)
    if slope <= 0:
        return Projection(False, latest.must_met, False, None)
    needed = (phase.readiness_threshold - last.readiness) / slope
    reaches = add_months(last.month, int(needed.to_integral_value(rounding="ROUND_CEILING")))
    return Projection(False, latest.must_met, reaches <= phase.gate_on and latest.must_met, reaches)


def phase_label(phase: Phase) -> str:
    return shown(phase.name)


def tasks_to_follow_up(meeting) -> list[tuple[str, str]]:
    """The owner body's roadmap tasks still open and due by the meeting's date, for its agenda (governance's
    follow-up hook): (key, title) each, the title in the cluster's language."""
    from django.conf import settings
    from django.utils import translation

    tasks = RoadmapTask.objects.filter(
        owner_id=meeting.body_id, status__in=[TaskStatus.PLANNED, TaskStatus.IN_PROGRESS], due_on__lte=meeting.date
    ).order_by("due_on", "pk")
    with translation.override(settings.LANGUAGE_CODE):
        return [
            (
                f"roadmap-task:{task.pk}",
                _("Roadmap task due %(day)s: %(title)s") % {"day": task.due_on.isoformat(), "title": task.label},
            )  # fmt: skip
            for task in tasks
        ]


def roadmap_default_owners(*, cluster: Cluster) -> int:
    """Tasks of the default roadmap that have no owner yet (a cluster set up before its bodies) get the body the
    model names, now that it exists. Answers how many were assigned."""
    bodies = list(Body.objects.filter(cluster=cluster, is_active=True).order_by("pk"))
    assigned = 0
    for spec in defaults.PHASES:
        for task in spec.tasks:
            owner = default_owner(task.owner, bodies)
            if owner is not None:
                assigned += RoadmapTask.objects.filter(
                    cluster=cluster, phase__number=spec.number, title=task.title, owner__isnull=True
                ).update(owner=owner)
    return assigned


@transaction.atomic
def condition_close(*, condition: GateCondition, user) -> GateCondition:
    """The office records a condition as met (one no criterion reads, or met otherwise); once closed it stays."""
    cluster = condition.gate_decision.cluster
    require_office(user, cluster)
    if condition.closed_on is None:
        condition.closed_on, condition.closed_by_data = cluster.today(), False
        condition.save(update_fields=["closed_on", "closed_by_data"])
    return condition
