"""Pages of the roadmap: where the cluster stands, the three phases with their tasks, example KPIs and gates, the
readiness over time, and the council's gate decisions with their frozen evidence. Everyone in the cluster reads
them; the office edits tasks and criteria and records the council's decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import apply_validation_error, get_scoped_or_404
from governance.scoping import CHANGE, VIEW, is_office, require_office, restrict
from governance.selectors import current_cluster_or_404
from kpi.choices import PeriodKind, Scope
from kpi.formatting import STATUS_CLASSES, display
from kpi.models import KpiComputation, KpiValue
from portfolio.models import Project

from . import charts, services
from .choices import Result
from .explain import criterion_text, frozen_text, measured_text
from .forms import ConditionFormSet, CriterionForm, GateDecisionForm, TaskForm
from .models import GateCondition, GateCriterion, GateDecision, GateEvaluation, Phase, RoadmapRevision, RoadmapTask


def _context(request, cluster, **extra) -> dict:
    return {"section": "roadmap", "cluster": cluster, "office": is_office(request.user, cluster), **extra}


def _latest_evaluations(cluster, user) -> dict[int, GateEvaluation]:
    latest: dict[int, GateEvaluation] = {}
    for evaluation in restrict(GateEvaluation.objects.filter(cluster=cluster), user, VIEW).order_by("month"):
        latest[evaluation.phase_id] = evaluation
    return latest


@login_required
def overview(request):
    """The council's overview: where the cluster stands, progress per phase, overdue tasks, each gate's readiness
    and the decisions taken, and the timeline."""
    cluster = current_cluster_or_404(request)
    today = cluster.today()
    stand = services.stand_at(cluster, today)
    tasks = list(restrict(RoadmapTask.objects.filter(cluster=cluster), request.user, VIEW).select_related("owner"))
    latest = _latest_evaluations(cluster, request.user)
    decisions = list(
        restrict(GateDecision.objects.filter(cluster=cluster), request.user, VIEW)
        .select_related("phase", "decision")
        .order_by("-decided_at")
    )
    history: dict[int, list[GateEvaluation]] = {}
    for evaluation in restrict(GateEvaluation.objects.filter(cluster=cluster), request.user, VIEW).order_by("month"):
        history.setdefault(evaluation.phase_id, []).append(evaluation)
    rows = []
    for phase in stand.phases:
        mine = [t for t in tasks if t.phase_id == phase.pk]
        rows.append(
            {
                "phase": phase,
                "done": sum(1 for t in mine if t.status == "done"),
                "total": sum(1 for t in mine if t.status != "cancelled"),
                "overdue": [t for t in mine if t.is_overdue(today)],
                "latest": latest.get(phase.pk),
                # Only the gate ahead is projected: a later one is judged when its phase comes.
                "projection": services.projection(phase, history.get(phase.pk, []))
                if stand.phase is not None and stand.phase.pk == phase.pk
                else None,
                "passed": services.gate_passed(phase),
                "current": stand.phase is not None and stand.phase.pk == phase.pk,
            }
        )
    projects = list(restrict(Project.objects.filter(cluster=cluster), request.user, VIEW).exclude(status="cancelled"))
    context = _context(
        request,
        cluster,
        page="overview",
        stand=stand,
        rows=rows,
        decisions=decisions,
        overdue=[t for t in tasks if t.is_overdue(today)],
        timeline=charts.timeline(
            phases=stand.phases,
            tasks=sorted(tasks, key=lambda t: t.due_on),
            projects=projects,
            readiness=latest,
            today=today,
        ),
    )
    return render(request, "roadmap/overview.html", context)


def _example_kpis(cluster, phase, user):
    """The phase's example KPIs with the latest final month's value and status (a provisional month is never
    shown here)."""
    computation = next(
        (
            c
            for c in restrict(
                KpiComputation.objects.filter(cluster=cluster, period_kind=PeriodKind.MONTH), user, VIEW
            ).order_by("-period_start")
            if not c.is_provisional()
        ),
        None,
    )
    kpis = list(phase.example_kpis.order_by("position"))
    values = {}
    if computation is not None:
        values = {
            v.kpi_id: v
            for v in restrict(
                KpiValue.objects.filter(cluster=cluster, period=computation.period, scope=Scope.CLUSTER, kpi__in=kpis),
                user,
                VIEW,
            )
        }
    return computation, [
        (
            kpi,
            display(values[kpi.pk].value, kpi.unit) if kpi.pk in values and values[kpi.pk].value is not None else "—",
            values[kpi.pk].get_status_display() if kpi.pk in values else "",
            STATUS_CLASSES.get(values[kpi.pk].status, "") if kpi.pk in values else "",
        )
        for kpi in kpis
    ]


@login_required
def phase_detail(request, number: int):
    cluster = current_cluster_or_404(request)
    phase = restrict(Phase.objects.filter(cluster=cluster, number=number), request.user, VIEW).first()
    if phase is None:
        raise Http404
    today = cluster.today()
    history = list(restrict(GateEvaluation.objects.filter(phase=phase), request.user, VIEW).order_by("month"))
    latest = history[-1] if history else None
    results = list(latest.results.select_related("criterion__kpi")) if latest else []
    computation, example_kpis = _example_kpis(cluster, phase, request.user)
    context = _context(
        request,
        cluster,
        page="phases",
        stand=services.stand_at(cluster, today),
        phase=phase,
        tasks=list(phase.tasks.select_related("owner")),
        today=today,
        criteria=list(phase.criteria.select_related("kpi").order_by("position", "pk")),
        latest=latest,
        results=[(r, criterion_text(r.criterion), measured_text(r)) for r in results],
        projection=services.projection(phase, history),
        history_chart=charts.readiness_history(phase, history),
        decisions=list(phase.decisions.select_related("decision").order_by("-decided_at")),
        example_kpis=example_kpis,
        kpi_period=computation,
    )
    return render(request, "roadmap/phase_detail.html", context)


@login_required
@require_POST
def gate_evaluate_now(request, number: int):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    phase = Phase.objects.filter(cluster=cluster, number=number).select_related("cluster").first()
    if phase is None:
        raise Http404
    evaluation = services.gate_evaluate(phase=phase, month=services.latest_ended_month(cluster))
    messages.success(
        request,
        _("The gate is read as of the end of %(month)s: readiness %(share)s %%.")
        % {"month": evaluation.month.strftime("%Y-%m"), "share": round(evaluation.readiness * 100)},
    )
    return redirect("roadmap:phase_detail", number=number)


@login_required
def task_edit(request, pk: int | None = None):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    task = (
        get_scoped_or_404(RoadmapTask, request.user, pk, CHANGE, base=RoadmapTask.objects.filter(cluster=cluster))
        if pk is not None
        else RoadmapTask(cluster=cluster)
    )
    initial = {}
    if pk is None and request.GET.get("phase"):
        initial["phase"] = Phase.objects.filter(cluster=cluster, number=request.GET.get("phase")).first()
    form = TaskForm(request.POST or None, instance=task, cluster=cluster, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_save(task=form.save(commit=False), user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The task is saved; the roadmap keeps a version."))
            return redirect("roadmap:phase_detail", number=task.phase.number)
    return render(request, "roadmap/task_form.html", _context(request, cluster, page="phases", form=form, task=task))


@login_required
def criterion_edit(request, pk: int | None = None):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    criterion = (
        get_scoped_or_404(GateCriterion, request.user, pk, CHANGE, base=GateCriterion.objects.filter(cluster=cluster))
        if pk is not None
        else GateCriterion(cluster=cluster)
    )
    initial = {}
    if pk is None and request.GET.get("phase"):
        initial["phase"] = Phase.objects.filter(cluster=cluster, number=request.GET.get("phase")).first()
    form = CriterionForm(request.POST or None, instance=criterion, cluster=cluster, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            criterion = services.criterion_save(criterion=form.save(commit=False), user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The gate criterion is saved; the roadmap keeps a version."))
            return redirect("roadmap:phase_detail", number=criterion.phase.number)
    context = _context(request, cluster, page="phases", form=form, criterion=criterion)
    return render(request, "roadmap/criterion_form.html", context)


@login_required
def gate_decide(request, number: int):
    """The office records the council's decision on the gate: the evidence as it stands now, the reasons for each
    criterion not met it waives, conditions and a review date."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    phase = Phase.objects.filter(cluster=cluster, number=number).select_related("cluster").first()
    if phase is None:
        raise Http404
    today = cluster.today()
    judged = services.judge(phase, today, timezone.now())
    state = services.readiness_of(((c, result) for c, _r, result in judged), phase.readiness_threshold)
    unmet = [(c, criterion_text(c)) for c, _read, result in judged if result != Result.MET]
    form = GateDecisionForm(request.POST or None, cluster=cluster, unmet=unmet)
    conditions = ConditionFormSet(
        request.POST or None, prefix="conditions", form_kwargs={"cluster": cluster, "phase": phase}
    )
    if request.method == "POST" and form.is_valid() and conditions.is_valid():
        rows = [
            {k: f.cleaned_data[k] for k in ("text", "owner", "due_on", "criterion")}
            for f in conditions
            if f.cleaned_data.get("text")
        ]
        try:
            gate = services.gate_decide(
                phase=phase,
                decision=form.cleaned_data["decision"],
                outcome=form.cleaned_data["outcome"],
                waivers=form.waivers(),
                conditions=rows,
                review_on=form.cleaned_data["review_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The council's decision on the gate is recorded, with its evidence."))
            return redirect(gate)
    context = _context(
        request,
        cluster,
        page="phases",
        phase=phase,
        form=form,
        conditions=conditions,
        today=today,
        state=state,
        judged=[(c, criterion_text(c), read, result) for c, read, result in judged],
    )
    return render(request, "roadmap/gate_decide.html", context)


@login_required
def gate_decision_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    gate = get_scoped_or_404(
        GateDecision,
        request.user,
        pk,
        base=GateDecision.objects.filter(cluster=cluster).select_related("phase", "decision"),
    )
    criteria = {c.pk: c for c in GateCriterion.objects.filter(cluster=cluster).select_related("kpi")}
    frozen = [
        (
            row,
            criterion_text(criteria[row["id"]]) if row["id"] in criteria else row["measure"],
            frozen_text(row, criteria[row["id"]]) if row["id"] in criteria else "",
        )
        for row in gate.snapshot.get("criteria", [])
    ]
    context = _context(
        request,
        cluster,
        page="phases",
        gate=gate,
        frozen=frozen,
        waivers=list(gate.waivers.select_related("criterion__kpi")),
        conditions=list(gate.conditions.select_related("owner", "criterion__kpi")),
        today=cluster.today(),
    )
    return render(request, "roadmap/gate_decision.html", context)


@login_required
def versions(request):
    cluster = current_cluster_or_404(request)
    listed = restrict(RoadmapRevision.objects.filter(cluster=cluster), request.user, VIEW).select_related("created_by")[
        :100
    ]
    return render(request, "roadmap/versions.html", _context(request, cluster, page="versions", versions=listed))


@login_required
@require_POST
def condition_close(request, pk: int):
    """The office records that a condition without a criterion to read (or met otherwise) is met."""
    cluster = current_cluster_or_404(request)
    condition = get_scoped_or_404(
        GateCondition, request.user, pk, CHANGE, base=GateCondition.objects.filter(gate_decision__cluster=cluster)
    )
    services.condition_close(condition=condition, user=request.user)
    messages.success(request, _("The condition is recorded as met."))
    return redirect(condition.gate_decision)
