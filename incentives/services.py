"""The quarterly evaluation of incentives: for every enterprise, a participation level with its parts, and for
every package in force, each condition measured over its window against its threshold, with a verdict.

Rules of the evaluation (DESIGN.md, "4. incentives"):
- a quarter is evaluated once its last month is final (its deadline has passed); windows end with that month and
  read only final months;
- a KPI is taken over the window by its own rule (flows summed, stocks averaged, ratios of sums: the same
  statement as the dashboards, over a run of months), and has no value where a month of the window is missing;
- a missing value is "insufficient data": never a pass, never silently a fail. All-of: any condition not met
  fails the package, else any without data leaves it undecided. Any-of: any condition met passes it, else any
  without data leaves it undecided;
- the rule version used is the approved one in force on the quarter's last day; evaluations keep it;
- evaluating a quarter again writes the same rows (found by enterprise, package and quarter; condition rows by
  condition)."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.choices import BodyKind, EnterpriseStatus
from governance.models import Attendance, Cluster, Enterprise, Membership
from kpi.models import MonthRun, ReportingPeriod, Span, Submission
from kpi.services import collection_rules, counted_statuses
from kpi.services.enterprise_values import Readable, enterprise_values
from portfolio.choices import ProjectStatus, RequestStatus
from portfolio.models import CooperationContract, Project, ServiceRequest

from .choices import (
    OPEN_REVIEW_STATES,
    AwardStatus,
    BenefitKind,
    Combine,
    Comparison,
    Level,
    Measure,
    ReviewOutcome,
    ReviewState,
    RuleStatus,
    Verdict,
)
from .models import (
    Award,
    Benefit,
    Condition,
    ConditionResult,
    ConditionsReview,
    Evaluation,
    EvidenceChange,
    IncentivePackage,
    Participation,
    RuleVersion,
)

# --- The participation level ------------------------------------------------------------------------------------
#
# Points over the quarter, 0–8: reporting discipline (share of its months submitted on time) 0.90 or more 2, 0.60 or
# more 1; active joint projects 2 or more 2, one 1; attendance of the bodies it sits in 0.75 or more 2, 0.50 or more
# 1; cooperation contracts in force at the quarter's end 2 or more 2, one 1. Active from 5 points, standard from 2,
# passive below. A part without data (no month to report, no meeting to attend) gives no point.
LEVEL_FROM = ((5, Level.ACTIVE), (2, Level.STANDARD), (0, Level.PASSIVE))


def _points(value, *steps: tuple[Decimal | int, int]) -> int:
    if value is None:
        return 0
    return next((points for least, points in steps if value >= least), 0)


def level_of(*, discipline, projects: int, attendance, contracts: int) -> tuple[str, int]:
    points = (
        _points(discipline, (Decimal("0.9"), 2), (Decimal("0.6"), 1))
        + _points(projects, (2, 2), (1, 1))
        + _points(attendance, (Decimal("0.75"), 2), (Decimal("0.5"), 1))
        + _points(contracts, (2, 2), (1, 1))
    )
    return next(level for least, level in LEVEL_FROM if points >= least), points


# --- Measures --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    value: Decimal | None
    counted: int  # months of the window with final figures (or with something to count)
    expected: int  # months of the window


def _share(numerator: int, denominator: int) -> Decimal | None:
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")) if denominator else None


class Measures:
    """Every measure of one cluster for windows ending with a quarter's last month, read in a few set-based queries
    per window (not per enterprise)."""

    def __init__(self, cluster: Cluster, last_month: datetime.date):
        self.cluster = cluster
        self.last_month = last_month
        self.statuses = counted_statuses(count_submitted=collection_rules(cluster).count_submitted)
        self._cache: dict = {}

    def run(self, months: int) -> MonthRun:
        return MonthRun.ending(self.last_month, months)

    def _counted_months(self, run: MonthRun) -> dict[int, int]:
        key = ("counted", run)
        if key not in self._cache:
            self._cache[key] = dict(
                Submission.objects.filter(cluster=self.cluster, period__month__in=run.months, status__in=self.statuses)
                .values_list("enterprise_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
        return self._cache[key]

    def kpi(self, kpi_id: int, months: int) -> dict[int, Measured]:
        key = ("kpi", kpi_id, months)
        if key not in self._cache:
            run = self.run(months)
            values = enterprise_values(
                clusters=[self.cluster], spans=[run], readable=Readable.everything([self.cluster]), kpi_ids=[kpi_id]
            )
            counted = self._counted_months(run)
            found = {v.enterprise_id: v.value for v in values}
            # Every enterprise, with or without a value: its coverage says how many months it had.
            self._cache[key] = {e: Measured(found.get(e), counted.get(e, 0), months) for e in self.enterprises()}
        return self._cache[key]

    def discipline(self, months: int) -> dict[int, Measured]:
        key = ("discipline", months)
        if key not in self._cache:
            run = self.run(months)
            periods = ReportingPeriod.objects.filter(cluster=self.cluster, month__in=run.months).count()
            on_time = dict(
                Submission.objects.filter(cluster=self.cluster, period__month__in=run.months, on_time=True)
                .values_list("enterprise_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
            self._cache[key] = {
                e: Measured(_share(on_time.get(e, 0), periods), periods, months) for e in self.enterprises()
            }
        return self._cache[key]

    def projects(self, months: int) -> dict[int, Measured]:
        run = self.run(months)
        active = Q(status__in=[ProjectStatus.ACTIVE, ProjectStatus.COMPLETED], started_on__lte=run.end) & (
            Q(completed_on__isnull=True) | Q(completed_on__gte=run.start)
        )
        counts = dict(
            Project.objects.filter(active, cluster=self.cluster)
            .values_list("enterprises")
            .annotate(n=Count("pk", distinct=True))
            .order_by()
        )
        return {e: Measured(Decimal(counts.get(e, 0)), months, months) for e in self.enterprises()}

    def attendance(self, months: int) -> dict[int, Measured]:
        """The share of the meetings held in the window, of the bodies where the enterprise had a seat, that the
        people holding its seats attended (a seat: a membership representing it on the meeting's date)."""
        run = self.run(months)
        seat = Q(
            person__body_memberships__body_id=F("meeting__body_id"),
            person__body_memberships__enterprise__isnull=False,
            person__body_memberships__start_date__lte=F("meeting__date"),
        ) & (
            Q(person__body_memberships__end_date__isnull=True)
            | Q(person__body_memberships__end_date__gte=F("meeting__date"))
        )
        rows = (
            Attendance.objects.filter(
                seat,  # one filter call: the conditions hold for the same membership row
                meeting__body__cluster=self.cluster,
                meeting__date__gte=run.start,
                meeting__date__lte=run.end,
            )
            .values_list("person__body_memberships__enterprise_id")
            .annotate(total=Count("pk", distinct=True), present=Count("pk", distinct=True, filter=Q(present=True)))
            .order_by()
        )
        found = {e: (total, present) for e, total, present in rows}
        return {
            e: Measured(_share(found[e][1], found[e][0]) if e in found else None, months if e in found else 0, months)
            for e in self.enterprises()
        }

    def seats(self, months: int) -> dict[int, Measured]:
        end = self.run(months).end
        counts = dict(
            Membership.objects.filter(
                body__cluster=self.cluster, body__kind=BodyKind.WORKING_GROUP, start_date__lte=end
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=end))
            .exclude(enterprise=None)
            .values_list("enterprise_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {e: Measured(Decimal(counts.get(e, 0)), months, months) for e in self.enterprises()}

    def contracts(self, months: int) -> dict[int, Measured]:
        end = self.run(months).end
        in_force = CooperationContract.objects.filter(cluster=self.cluster, start_date__lte=end).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=end)
        )
        counts: dict[int, int] = {}
        for supplier, buyer in in_force.values_list("supplier_id", "buyer_id"):
            counts[supplier] = counts.get(supplier, 0) + 1
            counts[buyer] = counts.get(buyer, 0) + 1
        return {e: Measured(Decimal(counts.get(e, 0)), months, months) for e in self.enterprises()}

    def services(self, months: int) -> dict[int, Measured]:
        run = self.run(months)
        counts = dict(
            ServiceRequest.objects.filter(
                service__cluster=self.cluster,
                status=RequestStatus.DONE,
                done_at__date__gte=run.start,
                done_at__date__lte=run.end,
            )
            .values_list("enterprise_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {e: Measured(Decimal(counts.get(e, 0)), months, months) for e in self.enterprises()}

    def enterprises(self) -> list[int]:
        if "enterprises" not in self._cache:
            self._cache["enterprises"] = list(
                Enterprise.objects.filter(cluster=self.cluster)
                .exclude(status=EnterpriseStatus.LEFT)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self._cache["enterprises"]

    def of(self, condition: Condition) -> dict[int, Measured]:
        months = condition.window_months
        if condition.measure == Measure.KPI:
            assert condition.kpi_id is not None  # a KPI condition names its KPI (a database constraint)
            return self.kpi(condition.kpi_id, months)
        return getattr(self, str(condition.measure))(months)


def verdict_of(measured: Decimal | None, comparison: str, threshold: Decimal) -> str:
    if measured is None:
        return Verdict.INSUFFICIENT
    met = measured >= threshold if comparison == Comparison.AT_LEAST else measured <= threshold
    return Verdict.MET if met else Verdict.NOT_MET


def combined(given: Iterable[str], combine: str) -> str:
    verdicts = [str(v) for v in given]
    if combine == Combine.ANY:
        if Verdict.MET in verdicts:
            return Verdict.MET
        return Verdict.INSUFFICIENT if Verdict.INSUFFICIENT in verdicts else Verdict.NOT_MET
    if Verdict.NOT_MET in verdicts:
        return Verdict.NOT_MET
    return Verdict.INSUFFICIENT if Verdict.INSUFFICIENT in verdicts or not verdicts else Verdict.MET


# --- The evaluation ----------------------------------------------------------------------------------------------


def rule_in_force(package: IncentivePackage, day: datetime.date) -> RuleVersion | None:
    """The package's approved rule version in force on `day` (the latest effective by then)."""
    return (
        package.rule_versions.filter(status=RuleStatus.APPROVED, effective_from__lte=day)
        .order_by("-effective_from", "-number")
        .first()
    )


def quarter_check(*, cluster: Cluster, quarter: str, now: datetime.datetime | None = None) -> Span:
    """The quarter, if it can be evaluated: its last month exists and is final (its deadline passed)."""
    try:
        span = Span.parse(quarter)
    except ValueError:
        raise ValidationError({"quarter": _("Give the quarter as YYYY-Qn.")}) from None
    if not span.is_quarter:
        raise ValidationError({"quarter": _("Give the quarter as YYYY-Qn.")})
    last = ReportingPeriod.objects.filter(cluster=cluster, month=span.months[-1]).select_related("cluster").first()
    if last is None or now_or(now) < last.deadline_at:
        raise ValidationError(
            {"quarter": _("%(quarter)s cannot be evaluated yet: its last month is not final.") % {"quarter": quarter}}
        )
    return span


def now_or(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def judged(rule: RuleVersion, measures: Measures) -> dict[int, tuple[str, list[tuple[Condition, dict]]]]:
    """Every enterprise under one rule version: its verdict, and each condition's fields (measured value, window,
    coverage, threshold, verdict)."""
    conditions = list(rule.conditions.select_related("kpi").order_by("position", "pk"))
    measured = {c.pk: measures.of(c) for c in conditions}
    judged = {}
    for enterprise_id in measures.enterprises():
        results = []
        for condition in conditions:
            m = measured[condition.pk].get(enterprise_id, Measured(None, 0, condition.window_months))
            run = measures.run(condition.window_months)
            verdict = verdict_of(m.value, condition.comparison, condition.threshold)
            results.append(
                (
                    condition,
                    {
                        "measured": m.value,
                        "window_start": run.start,
                        "window_end": run.end,
                        "months_counted": m.counted,
                        "months_expected": m.expected,
                        "comparison": condition.comparison,
                        "threshold": condition.threshold,
                        "verdict": verdict,
                    },
                )
            )
        judged[enterprise_id] = (combined((str(r["verdict"]) for _c, r in results), rule.combine), results)
    return judged


@dataclass
class Preview:
    """Who would gain and who would lose the package under a rule version, against the latest evaluation."""

    quarter: str | None
    gain: list[Enterprise]
    lose: list[Enterprise]
    unchanged: int


def rule_preview(*, rule: RuleVersion) -> Preview:
    """A draft judged on the latest evaluated quarter of its package's cluster, against the verdicts stored then:
    who would gain the package (not met or undecided before, met now) and who would lose it (met before, not now)."""
    cluster = rule.package.cluster
    quarter = (
        Participation.objects.filter(cluster=cluster).order_by("-quarter").values_list("quarter", flat=True).first()
    )
    if quarter is None:
        return Preview(None, [], [], 0)
    span = Span.parse(quarter)
    before = dict(
        Evaluation.objects.filter(package=rule.package, quarter=quarter).values_list("enterprise_id", "verdict")
    )
    now = {e: verdict for e, (verdict, _r) in judged(rule, Measures(cluster, span.months[-1])).items()}
    gain = [e for e, v in now.items() if v == Verdict.MET and before.get(e) != Verdict.MET]
    lose = [e for e, v in now.items() if v != Verdict.MET and before.get(e) == Verdict.MET]
    names = Enterprise.objects.in_bulk(gain + lose)
    return Preview(
        quarter,
        sorted((names[e] for e in gain), key=lambda e: e.name),
        sorted((names[e] for e in lose), key=lambda e: e.name),
        len(now) - len(gain) - len(lose),
    )


@transaction.atomic
def rule_draft_create(*, package: IncentivePackage, user) -> RuleVersion:
    """A new draft of the package's rule, with the conditions of its latest version, effective from the next
    quarter (the office changes it before the council approves)."""
    from governance.scoping import require_office

    require_office(user, package.cluster)
    package = IncentivePackage.objects.select_for_update().get(pk=package.pk)
    latest = package.rule_versions.order_by("-number").first()
    if latest is not None and latest.status == RuleStatus.DRAFT:
        return latest  # one draft at a time: the one under way
    next_quarter = Span.quarter_of(package.cluster.today()).months[-1]
    draft = RuleVersion.objects.create(
        package=package,
        number=(latest.number + 1) if latest else 1,
        combine=latest.combine if latest else Combine.ALL,
        effective_from=months_later(next_quarter, 1),
    )
    if latest is not None:
        Condition.objects.bulk_create(
            Condition(
                rule=draft,
                position=c.position,
                measure=c.measure,
                kpi_id=c.kpi_id,
                window=c.window,
                months=c.months,
                comparison=c.comparison,
                threshold=c.threshold,
            )
            for c in latest.conditions.all()
        )
    return draft


@transaction.atomic
def rule_save(*, rule: RuleVersion, conditions, user) -> RuleVersion:
    """Save a draft and its conditions (a bound, valid formset), all or nothing; an approved version is refused."""
    from governance.scoping import require_office

    require_office(user, rule.package.cluster)
    if RuleVersion.objects.filter(pk=rule.pk).exclude(status=RuleStatus.DRAFT).exists():
        raise ValidationError(_("An approved rule does not change: make a new draft."))
    rule.full_clean()
    rule.save()
    saved = conditions.save(commit=False)
    for removed in conditions.deleted_objects:
        removed.delete()
    for position, condition in enumerate(saved, start=1):
        condition.rule = rule
        if not condition.position:
            condition.position = position
        condition.full_clean()
        condition.save()
    return rule


def council_decision_check(decision, cluster_id: int, field: str) -> None:
    """An award, a rule or a review is decided by an adopted decision of the cluster's council."""
    from governance.choices import DecisionOutcome

    meeting = decision.meeting
    if meeting.body.kind != BodyKind.COUNCIL or meeting.body.cluster_id != cluster_id:
        raise ValidationError({field: _("This is decided by a decision of the cluster's council.")})
    if decision.outcome != DecisionOutcome.ADOPTED:
        raise ValidationError({field: _("The decision was not adopted.")})


@transaction.atomic
def rule_approve(*, rule: RuleVersion, decision, effective_from: datetime.date | None = None) -> RuleVersion:
    """The council approves a draft by an adopted decision of the council; it applies from `effective_from` (the
    date the office set on the draft by default). An approved version never changes again, and never reaches back
    over a quarter already evaluated: earlier evaluations keep the version they used."""
    rule = RuleVersion.objects.select_for_update().select_related("package").get(pk=rule.pk)
    if rule.status != RuleStatus.DRAFT:
        raise ValidationError(_("Only a draft can be approved."))
    council_decision_check(decision, rule.package.cluster_id, "approved_by")
    if not rule.conditions.exists():
        raise ValidationError(_("A rule without conditions cannot be approved."))
    rule.status, rule.approved_by = RuleStatus.APPROVED, decision
    if effective_from is not None:
        rule.effective_from = effective_from
    evaluated = (
        Participation.objects.filter(cluster_id=rule.package.cluster_id)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
        .first()
    )
    if evaluated is not None and rule.effective_from <= Span.parse(evaluated).end:
        raise ValidationError(
            {
                "effective_from": _(
                    "%(quarter)s is already evaluated: a rule takes effect after it, from %(day)s at the earliest."
                )
                % {"quarter": evaluated, "day": Span.parse(evaluated).end + datetime.timedelta(days=1)}
            }
        )
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def evaluate_quarter(*, cluster: Cluster, quarter: str, now: datetime.datetime | None = None) -> list[Evaluation]:
    """Evaluate every enterprise of the cluster for the quarter: participation levels, and each package in force
    with each of its conditions. Answers the evaluations written."""
    span = quarter_check(cluster=cluster, quarter=quarter, now=now)
    measures = Measures(cluster, span.months[-1])
    _participations(cluster, span, measures)
    evaluations: list[Evaluation] = []
    results: list[ConditionResult] = []
    for package in IncentivePackage.objects.filter(cluster=cluster, active=True).order_by("tier"):
        rule = rule_in_force(package, span.end)
        if rule is None:
            continue
        for enterprise_id, (verdict, rows) in judged(rule, measures).items():
            evaluation = Evaluation(
                cluster=cluster, enterprise_id=enterprise_id, package=package, rule=rule, quarter=span.key,
                verdict=verdict,
            )  # fmt: skip
            evaluations.append(evaluation)
            results.extend(ConditionResult(evaluation=evaluation, condition=c, **fields) for c, fields in rows)
    _upsert(
        Evaluation.objects.filter(cluster=cluster, quarter=span.key),
        evaluations,
        key=("enterprise_id", "package_id"),
        fields=("rule", "verdict"),
    )
    for result in results:
        result.evaluation_id = result.evaluation.pk  # the evaluation has its key now
    _upsert(
        ConditionResult.objects.filter(evaluation__cluster=cluster, evaluation__quarter=span.key),
        results,
        key=("evaluation_id", "condition_id"),
        fields=tuple(RESULT_FIELDS),
    )
    # Rows of conditions the rule used no longer has (its version changed): gone.
    ConditionResult.objects.filter(evaluation__cluster=cluster, evaluation__quarter=span.key).exclude(
        condition__rule=F("evaluation__rule")
    ).delete()
    _propose_awards(cluster, span, evaluations)
    _open_reviews(cluster, span, evaluations, now)
    _lift_suspensions(span, evaluations)
    return evaluations


RESULT_FIELDS = (
    "measured",
    "window_start",
    "window_end",
    "months_counted",
    "months_expected",
    "comparison",
    "threshold",
    "verdict",
)


def _upsert(existing, rows: list, *, key: tuple[str, ...], fields: tuple[str, ...]) -> None:
    """Write `rows` (unsaved instances) over `existing` (a queryset of their model): a row found by `key` keeps
    its primary key and is updated where one of `fields` differs; the others are created. A few queries whatever
    the number of rows; evaluating again writes nothing where nothing changed."""
    model = existing.model
    compared = [model._meta.get_field(f).attname for f in fields]  # a foreign key by its id
    found = {tuple(getattr(o, k) for k in key): o for o in existing}
    create, update = [], []
    for row in rows:
        old = found.get(tuple(getattr(row, k) for k in key))
        if old is None:
            create.append(row)
            continue
        row.pk = old.pk
        if any(getattr(old, name) != getattr(row, name) for name in compared):
            update.append(row)
    if create:
        model.objects.bulk_create(create, batch_size=1000)
    if update:
        model.objects.bulk_update(update, list(fields), batch_size=1000)


def _participations(cluster: Cluster, span: Span, measures: Measures) -> None:
    discipline, projects = measures.discipline(3), measures.projects(3)
    attendance, contracts = measures.attendance(3), measures.contracts(3)
    rows = []
    for enterprise_id in measures.enterprises():
        share, present = discipline[enterprise_id].value, attendance[enterprise_id].value
        active, held = int(projects[enterprise_id].value or 0), int(contracts[enterprise_id].value or 0)
        level, points = level_of(discipline=share, projects=active, attendance=present, contracts=held)
        rows.append(
            Participation(
                cluster=cluster,
                enterprise_id=enterprise_id,
                quarter=span.key,
                level=level,
                points=points,
                discipline=share,
                projects=active,
                attendance=present,
                contracts=held,
            )
        )
    _upsert(
        Participation.objects.filter(cluster=cluster, quarter=span.key),
        rows,
        key=("enterprise_id",),
        fields=("level", "points", "discipline", "projects", "attendance", "contracts"),
    )


def final_quarters(*, cluster: Cluster, now: datetime.datetime | None = None) -> list[str]:
    """The cluster's quarters whose last month is final (its deadline passed), oldest first."""
    now = now_or(now)
    ends = [
        p.month
        for p in ReportingPeriod.objects.filter(cluster=cluster, month__month__in=(3, 6, 9, 12)).select_related(
            "cluster"
        )
        if p.deadline_at <= now
    ]
    return [Span.quarter_of(month).key for month in sorted(ends)]


def latest_final_quarter(*, cluster: Cluster, now: datetime.datetime | None = None) -> str | None:
    """The latest quarter of the cluster whose last month is final (evaluated or not)."""
    quarters = final_quarters(cluster=cluster, now=now)
    return quarters[-1] if quarters else None


def quarter_due(*, cluster: Cluster, now: datetime.datetime | None = None) -> str | None:
    """The latest quarter of the cluster whose last month is final, if it was not evaluated yet."""
    quarter = latest_final_quarter(cluster=cluster, now=now)
    if quarter is None or Participation.objects.filter(cluster=cluster, quarter=quarter).exists():
        return None
    return quarter


def evaluate_due(*, now: datetime.datetime | None = None) -> list[str]:
    """Evaluate, for every cluster, the latest final quarter not evaluated yet (the daily job: a quarter is evaluated
        the day its last month's deadline has passed), and move the shared-services queue after the awards that ran
    out. Answers "cluster: quarter" for each evaluated."""
    done = []
    for cluster in Cluster.objects.order_by("pk"):
        quarter = quarter_due(cluster=cluster, now=now)
        if quarter is not None:
            evaluate_quarter(cluster=cluster, quarter=quarter, now=now)
            done.append(f"{cluster.pk}: {quarter}")
    _queue_follows(None)  # awards that ran out since yesterday no longer move their requests up
    return done


# --- Awards ------------------------------------------------------------------------------------------------------

AWARD_MONTHS = 6  # an award runs two quarters from its approval unless the council says otherwise


def _propose_awards(cluster: Cluster, span: Span, evaluations: list[Evaluation]) -> None:
    """Each enterprise's highest tier met in the quarter is proposed to the council (once; an award the council
    decided on stays as decided; a proposal no longer met is withdrawn)."""
    best: dict[int, Evaluation] = {}
    for evaluation in evaluations:
        if evaluation.verdict != Verdict.MET:
            continue
        held = best.get(evaluation.enterprise_id)
        if held is None or evaluation.package.tier > held.package.tier:
            best[evaluation.enterprise_id] = evaluation
    proposed = Award.objects.filter(cluster=cluster, quarter=span.key, status=AwardStatus.PROPOSED)
    proposed.exclude(enterprise_id__in=list(best)).delete()
    decided = set(
        Award.objects.filter(cluster=cluster, quarter=span.key)
        .exclude(status=AwardStatus.PROPOSED)
        .values_list("enterprise_id", flat=True)
    )
    _upsert(
        Award.objects.filter(cluster=cluster, quarter=span.key, status=AwardStatus.PROPOSED),
        [
            Award(
                cluster=cluster,
                enterprise_id=enterprise_id,
                quarter=span.key,
                package=evaluation.package,
                evaluation=evaluation,
            )
            for enterprise_id, evaluation in sorted(best.items())
            if enterprise_id not in decided
        ],
        key=("enterprise_id",),
        fields=("package", "evaluation"),
    )


@transaction.atomic
def award_decide(
    *,
    award: Award,
    decision,
    approve: bool = True,
    valid_from: datetime.date | None = None,
    months: int = AWARD_MONTHS,
) -> Award:
    """The council approves (or declines) a proposed award by an adopted decision of the council; an approved one
    runs `months` from `valid_from` (the decision's meeting date by default)."""
    award = Award.objects.select_for_update().select_related("package").get(pk=award.pk)
    if award.status != AwardStatus.PROPOSED:
        raise ValidationError(_("Only a proposed award can be decided."))
    council_decision_check(decision, award.cluster_id, "decision")
    meeting = decision.meeting
    award.decision = decision
    if approve:
        start = valid_from or meeting.date
        award.status = AwardStatus.APPROVED
        award.valid_from = start
        award.valid_until = months_later(start, months) - datetime.timedelta(days=1)
    else:
        award.status = AwardStatus.DECLINED
    award.full_clean()
    award.save()
    _queue_follows([award.enterprise_id])
    return award


def _queue_follows(enterprise_ids: Iterable[int] | None) -> None:
    """The enterprises' open service requests move to the priority their awards give now."""
    from portfolio.services import requests_reprioritise

    requests_reprioritise(enterprise_ids=enterprise_ids)


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day where it is shorter)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def benefits_of(package: IncentivePackage) -> dict[str, Decimal | None]:
    """What a package gives: its own benefits and those of every lower tier of its cluster (a percentage: the
    highest)."""
    given: dict[str, Decimal | None] = {}
    for kind, value in Benefit.objects.filter(
        package__cluster_id=package.cluster_id, package__tier__lte=package.tier
    ).values_list("kind", "value"):
        held = given.get(kind)
        if kind not in given or (value is not None and (held is None or value > held)):
            given[kind] = value
    return given


def awards_in_force(enterprise_ids: Iterable[int], day: datetime.date | None = None) -> dict[int, Award]:
    """Each enterprise's approved award valid on `day` (the highest tier, where two overlap)."""
    day = day or timezone.localdate()
    found: dict[int, Award] = {}
    for award in (
        Award.objects.filter(
            enterprise_id__in=list(enterprise_ids),
            status=AwardStatus.APPROVED,
            valid_from__lte=day,
            valid_until__gte=day,
        )
        .select_related("package")
        .order_by("package__tier")
    ):
        found[award.enterprise_id] = award
    return found


def fee_discount(enterprise_ids: list[int]) -> dict[int, Decimal]:
    """Each enterprise's discount on shared services (%): the fee discount its award in force gives, if any (the
    hook portfolio.services leaves for incentives)."""
    discounts = {}
    for enterprise_id, award in awards_in_force(enterprise_ids).items():
        value = benefits_of(award.package).get(BenefitKind.FEE_DISCOUNT)
        if value:
            discounts[enterprise_id] = value
    return discounts


def queue_priority(enterprise_ids: list[int]) -> dict[int, int]:
    """The shared-services queue's priority of each enterprise: the tier of its award in force, where the award's
    benefits include priority in the queue; 0 otherwise (the hook portfolio.services left for incentives)."""
    priority = {}
    for enterprise_id, award in awards_in_force(enterprise_ids).items():
        if BenefitKind.SERVICE_PRIORITY in benefits_of(award.package):
            priority[enterprise_id] = award.package.tier
    return priority


# --- Conditions reviews: a consequence ladder instead of a silent loss --------------------------------------------
#
# An enterprise holding an award (approved, begun, running past the quarter's end, given for an earlier quarter)
# whose evaluation of the award's package in the quarter has a KPI condition not met, and so the package not met,
# has breached a KPI minimum its package requires: a review opens with the package's grace period. A value exactly
# at the threshold meets it ("at least" and "at most" include it): only a value past it opens a review. One review
# per award and quarter, and one under way per award at a time; evaluating the quarter again opens none twice.


def breaches(evaluations: Iterable[Evaluation]) -> dict[int, ConditionResult]:
    """Each evaluation (of these) whose package was not met for a KPI condition not met: its first such condition."""
    found: dict[int, ConditionResult] = {}
    for result in (
        ConditionResult.objects.filter(
            evaluation__in=[e.pk for e in evaluations if e.verdict == Verdict.NOT_MET],
            verdict=Verdict.NOT_MET,
            condition__measure=Measure.KPI,
        )
        .select_related("condition__kpi")
        .order_by("evaluation_id", "condition__position", "condition_id")
    ):
        found.setdefault(result.evaluation_id, result)
    return found


def _open_reviews(cluster: Cluster, span: Span, evaluations: list[Evaluation], now: datetime.datetime | None) -> None:
    today = cluster.today(now_or(now))
    held = Award.objects.filter(
        cluster=cluster,
        status=AwardStatus.APPROVED,
        valid_from__lte=today,
        valid_until__gte=span.end,
        quarter__lt=span.key,
    ).select_related("package", "enterprise")
    by_key = {(e.enterprise_id, e.package_id): e for e in evaluations}
    breached = breaches(evaluations)
    reviewed = set(
        ConditionsReview.objects.filter(cluster=cluster, quarter=span.key).values_list("award_id", flat=True)
    )
    under_way = set(
        ConditionsReview.objects.filter(cluster=cluster, state__in=OPEN_REVIEW_STATES).values_list(
            "award_id", flat=True
        )
    )
    for award in held:
        evaluation = by_key.get((award.enterprise_id, award.package_id))
        if evaluation is None or evaluation.pk not in breached or award.pk in reviewed | under_way:
            continue
        review = ConditionsReview.objects.create(
            cluster=cluster,
            enterprise=award.enterprise,
            award=award,
            evaluation=evaluation,
            quarter=span.key,
            opened_on=today,
            respond_by=today + datetime.timedelta(days=award.package.grace_days),
        )
        _tell_review_opened(review, breached[evaluation.pk])


def _lift_suspensions(span: Span, evaluations: list[Evaluation]) -> None:
    """A suspended award whose package is met again in a later quarter, while it still runs, gives its benefits
    again; the review that suspended it says which quarter lifted it."""
    met = {(e.enterprise_id, e.package_id) for e in evaluations if e.verdict == Verdict.MET}
    for review in ConditionsReview.objects.filter(
        cluster_id__in={e.cluster_id for e in evaluations},
        outcome=ReviewOutcome.SUSPEND,
        lifted_in="",
        quarter__lt=span.key,
        award__status=AwardStatus.SUSPENDED,
        award__valid_until__gte=span.end,
    ).select_related("award"):
        if (review.award.enterprise_id, review.award.package_id) in met:
            Award.objects.filter(pk=review.award_id).update(status=AwardStatus.APPROVED)
            review.lifted_in = span.key
            review.save(update_fields=["lifted_in"])
            _queue_follows([review.award.enterprise_id])


def _review_facts(review: ConditionsReview) -> dict:
    from django.utils import formats

    from governance.notifications import in_each_language

    return {
        "enterprise": review.enterprise.name,
        "package": review.award.package.name,
        "quarter": review.quarter,
        "respond_by": in_each_language(lambda: formats.date_format(review.respond_by, "DATE_FORMAT")),
    }


def _tell_review_opened(review: ConditionsReview, breach: ConditionResult) -> None:
    """The enterprise's representatives are told, in the platform and by e-mail."""
    from django.core.mail import send_mail

    from governance.choices import NotificationKind
    from governance.notifications import notify
    from kpi.services.workflow import representative_emails, representative_users

    from .explain import explain

    facts = _review_facts(review) | {"kpi": breach.condition.kpi.code if breach.condition.kpi else ""}
    url = review.get_absolute_url()
    notify(
        cluster_id=review.cluster_id,
        recipients=representative_users(review.enterprise),
        kind=NotificationKind.REVIEW_OPENED,
        key=f"review:{review.pk}",
        facts=facts,
        url=url,
    )
    recipients = representative_emails(review.enterprise)
    if recipients:
        names = facts | {"respond_by": review.respond_by.isoformat()}
        subject = _("Conditions review of your award %(package)s") % names
        body = "\n\n".join(
            [
                _(
                    "%(enterprise)s holds the award %(package)s. In %(quarter)s, %(kpi)s breached the minimum the "
                    "package requires:"
                )
                % names,
                explain(breach),
                _(
                    "Before the council decides whether to keep, suspend or revoke the award, you can answer by "
                    "%(respond_by)s: explain the figures and what you are doing about them."
                )
                % names,
                _("Open the review: %(url)s") % {"url": absolute_url(url)},
            ]
        )
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


def absolute_url(path: str) -> str:
    from django.conf import settings

    return settings.SITE_URL + path


@transaction.atomic
def review_answer(*, review: ConditionsReview, user, answer: str, now: datetime.datetime | None = None):
    """The enterprise answers (and may change its answer) until the grace period ends or the council decides."""
    review = ConditionsReview.objects.select_for_update().select_related("cluster").get(pk=review.pk)
    if not review.under_way:
        raise ValidationError(_("The council has decided this review: it takes no more answers."))
    now = now_or(now)
    if review.cluster.today(now) > review.respond_by:
        raise ValidationError(
            _("The grace period ended on %(day)s: the council decides on what it has.") % {"day": review.respond_by}
        )
    answer = answer.strip()
    if not answer:
        raise ValidationError({"answer": _("Write your answer.")})
    review.answer, review.answered_by, review.answered_at = answer, user, now
    review.state = ReviewState.ANSWERED
    review.full_clean()
    review.save()
    return review


def review_ready(review: ConditionsReview, today: datetime.date) -> bool:
    """The council decides once the enterprise has answered or its grace period has ended."""
    return review.state == ReviewState.ANSWERED or (review.state == ReviewState.OPEN and today > review.respond_by)


@transaction.atomic
def review_decide(
    *, review: ConditionsReview, decision, outcome: str, now: datetime.datetime | None = None
) -> ConditionsReview:
    """The council decides, by an adopted decision of the council: keep the award, suspend it (no benefits until
    a later quarter meets the package again, while it runs) or revoke it. The review keeps the outcome."""
    review = ConditionsReview.objects.select_for_update().select_related("cluster").get(pk=review.pk)
    if not review.under_way:
        raise ValidationError(_("This review is already decided."))
    now = now_or(now)
    if not review_ready(review, review.cluster.today(now)):
        raise ValidationError(
            _(
                "The enterprise has until %(day)s to answer: the council decides once it has answered or the grace "
                "period has ended."
            )
            % {"day": review.respond_by}
        )
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": _("Choose keep, suspend or revoke.")})
    council_decision_check(decision, review.cluster_id, "decision")
    award = Award.objects.select_for_update().get(pk=review.award_id)
    if outcome == ReviewOutcome.SUSPEND:
        award.status = AwardStatus.SUSPENDED
    elif outcome == ReviewOutcome.REVOKE:
        award.status = AwardStatus.REVOKED
    award.full_clean()
    award.save()
    review.state, review.outcome, review.decision, review.decided_at = ReviewState.DECIDED, outcome, decision, now
    review.full_clean()
    review.save()
    _queue_follows([award.enterprise_id])
    _tell_review_decided(review)
    return review


def _tell_review_decided(review: ConditionsReview) -> None:
    from django.core.mail import send_mail

    from governance.choices import NotificationKind
    from governance.notifications import in_each_language, notify
    from kpi.services.workflow import representative_emails, representative_users

    outcome = ReviewOutcome(review.outcome)
    facts = _review_facts(review) | {"outcome": in_each_language(lambda: str(outcome.label))}
    notify(
        cluster_id=review.cluster_id,
        recipients=representative_users(review.enterprise),
        kind=NotificationKind.REVIEW_DECIDED,
        key=f"review:{review.pk}",
        facts=facts,
        url=review.get_absolute_url(),
    )
    recipients = representative_emails(review.enterprise)
    if recipients:
        names = _review_facts(review) | {"outcome": outcome.label}
        send_mail(
            subject=_("The council decided the conditions review of %(package)s") % names,
            message=_(
                "The council decided the conditions review of the award %(package)s of %(enterprise)s: %(outcome)s."
            )
            % names
            + "\n\n"
            + _("Open the review: %(url)s") % {"url": absolute_url(review.get_absolute_url())},
            from_email=None,
            recipient_list=recipients,
        )


# --- Corrected figures ---------------------------------------------------------------------------------------------
#
# Figures of a month changed after a quarter was evaluated (returned and corrected, a correction approved, a late
# approval): every evaluated quarter whose windows can reach that month is evaluated again. The evaluation follows
# the figures; where it changed, an EvidenceChange keeps what it said before and after, and the decided awards and
# the reviews resting on it are flagged, and the office told.

LONGEST_WINDOW = 36  # months: the longest window a condition can take (Condition.months)


def quarters_reaching(*, cluster_id: int, months: Iterable[datetime.date]) -> list[str]:
    """The cluster's evaluated quarters whose windows can include one of these months."""
    from kpi.models import add_months

    months = [m.replace(day=1) for m in months]
    if not months:
        return []
    quarters = Participation.objects.filter(cluster_id=cluster_id).values_list("quarter", flat=True).distinct()
    reaching = []
    for quarter in sorted(set(quarters)):
        last = Span.parse(quarter).months[-1]
        if any(m <= last and m > add_months(last, -LONGEST_WINDOW) for m in months):
            reaching.append(quarter)
    return reaching


def _evidence(cluster: Cluster, quarter: str) -> dict[int, dict]:
    """What each evaluation of the quarter says: its verdict and each condition's measured value, coverage and
    verdict (as text, to compare and to keep)."""
    said: dict[int, dict] = {}
    for evaluation_id, verdict, condition_id, measured, counted, result in ConditionResult.objects.filter(
        evaluation__cluster=cluster, evaluation__quarter=quarter
    ).values_list("evaluation_id", "evaluation__verdict", "condition_id", "measured", "months_counted", "verdict"):
        row = said.setdefault(evaluation_id, {"verdict": verdict, "conditions": {}})
        row["conditions"][str(condition_id)] = {
            "measured": None if measured is None else str(measured.normalize()),
            "months_counted": counted,
            "verdict": result,
        }
    return said


@transaction.atomic
def recheck_quarter(*, cluster: Cluster, quarter: str, now: datetime.datetime | None = None) -> list[EvidenceChange]:
    """Evaluate an evaluated quarter again after corrected figures; keep and flag what changed."""
    now = now_or(now)
    before = _evidence(cluster, quarter)
    evaluate_quarter(cluster=cluster, quarter=quarter, now=now)
    after = _evidence(cluster, quarter)
    changed = [e for e in sorted(before) if e in after and after[e] != before[e]]
    if not changed:
        return []
    rows = EvidenceChange.objects.bulk_create(
        EvidenceChange(cluster=cluster, evaluation_id=e, detected_at=now, before=before[e], after=after[e])
        for e in changed
    )
    awards = Award.objects.filter(evaluation_id__in=changed).exclude(status=AwardStatus.PROPOSED)
    reviews = ConditionsReview.objects.filter(evaluation_id__in=changed)
    resting = set(awards.values_list("evaluation_id", flat=True)) | set(reviews.values_list("evaluation_id", flat=True))
    awards.update(evidence_changed_at=now)
    reviews.update(evidence_changed_at=now)
    _tell_evidence_changed(cluster, sorted(resting))
    return rows


def _tell_evidence_changed(cluster: Cluster, evaluation_ids: list[int]) -> None:
    from governance.choices import NotificationKind
    from governance.notifications import notify

    office = _office_users(cluster)
    for evaluation in Evaluation.objects.filter(pk__in=evaluation_ids).select_related("enterprise", "package"):
        notify(
            cluster_id=cluster.pk,
            recipients=office,
            kind=NotificationKind.EVIDENCE_CHANGED,
            key=f"evidence:{evaluation.pk}:{evaluation.evidence_changes.count()}",
            facts={
                "enterprise": evaluation.enterprise.name,
                "package": evaluation.package.name,
                "quarter": evaluation.quarter,
            },
            url=evaluation.get_absolute_url(),
        )


def _office_users(cluster: Cluster) -> list[int]:
    from governance.notifications import office_people

    return office_people(cluster.pk)


def figures_changed(*, cluster_id: int, months: Iterable[datetime.date]) -> list[str]:
    """Figures of these months changed (kpi's `figures_changed` signal): once the change commits, the evaluated
    quarters they reach are checked again. Answers those quarters."""
    quarters = quarters_reaching(cluster_id=cluster_id, months=months)
    if quarters:
        from .tasks import incentives_recheck_task

        transaction.on_commit(lambda: incentives_recheck_task.delay(cluster_id, quarters))
    return quarters


def figures_changed_received(sender, *, cluster_id: int, months, **kwargs) -> None:
    figures_changed(cluster_id=cluster_id, months=months)


@transaction.atomic
def package_save(*, package: IncentivePackage, benefits, user) -> IncentivePackage:
    """Save a package and its benefits (a bound, valid formset), all or nothing; the office of its cluster only."""
    from governance.scoping import require_office

    require_office(user, package.cluster)
    package.full_clean()
    package.save()
    benefits.instance = package
    saved = benefits.save(commit=False)
    for removed in benefits.deleted_objects:
        removed.delete()
    for benefit in saved:
        benefit.package = package
        benefit.full_clean()
        benefit.save()
    return package
