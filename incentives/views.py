"""Pages of the incentives element: packages in tiers with their rules; evaluation results that explain
themselves. Every queryset goes through the scoping helper: an enterprise reads only its own evaluations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import ScopedListView, apply_validation_error, get_scoped_or_404
from governance.models import Enterprise
from governance.scoping import CHANGE, VIEW, is_office, represented, require_office, restrict
from governance.selectors import current_cluster_or_404

from . import services
from .choices import Measure, RuleStatus, Verdict
from .explain import asks, explain, figure, subject, window
from .filters import EvaluationFilterSet, ReviewFilterSet
from .forms import (
    BenefitFormSet,
    ConditionFormSet,
    PackageForm,
    ReviewAnswerForm,
    ReviewDecideForm,
    RuleApproveForm,
    RuleForm,
)
from .models import (
    Award,
    Condition,
    ConditionsReview,
    Evaluation,
    IncentivePackage,
    Participation,
    RuleVersion,
    benefit_text,
)
from .services import rule_in_force


@login_required
def overview(request):
    """The packages in tiers: each one's benefits and the rule in force, condition by condition."""
    cluster = current_cluster_or_404(request)
    packages = list(
        restrict(IncentivePackage.objects.filter(cluster=cluster), request.user, VIEW)
        .prefetch_related("benefits", "rule_versions")
        .order_by("tier")
    )
    today = cluster.today()
    drafts = dict(
        RuleVersion.objects.filter(package__in=packages, status=RuleStatus.DRAFT).values_list("package_id", "pk")
    )
    rows = []
    for package in packages:
        package.draft_id = drafts.get(package.pk)
        package.versions = sorted(package.rule_versions.all(), key=lambda v: v.number)
        rule = rule_in_force(package, today)
        conditions = list(rule.conditions.select_related("kpi")) if rule else []
        rows.append(
            (
                package,
                rule,
                [(c, subject(c), asks(c, c.threshold, c.comparison), window(c)) for c in conditions],
            )
        )
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "packages",
        "cluster": cluster,
        "rows": rows,
        "office": is_office(request.user, cluster),
    }
    return render(request, "incentives/overview.html", context)


class EvaluationList(ScopedListView):
    model = Evaluation
    section = "incentives"
    filterset_class = EvaluationFilterSet
    template_name = "incentives/evaluation_list.html"
    sortable = {
        "quarter": ("quarter",),
        "enterprise": ("enterprise__name",),
        "package": ("package__tier",),
        "verdict": ("verdict",),
    }

    def base_queryset(self):
        return Evaluation.objects.select_related("enterprise", "package", "rule")

    def get_queryset(self):
        return super().get_queryset().order_by("-quarter", "enterprise__name", "package__tier")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["object_list"]
        levels = restrict(
            Participation.objects.filter(
                enterprise__in={e.enterprise_id for e in rows}, quarter__in={e.quarter for e in rows}
            ),
            self.request.user,
            VIEW,
        )
        found = {(p.enterprise_id, p.quarter): p for p in levels}
        context["levels"] = {e.pk: found.get((e.enterprise_id, e.quarter)) for e in rows}
        context["page"] = "evaluations"
        if self.cluster is not None and is_office(self.request.user, self.cluster):
            context["due_quarter"] = services.quarter_due(cluster=self.cluster) or services.latest_final_quarter(
                cluster=self.cluster
            )
        context["own_enterprise_view"] = bool(self.cluster and represented(self.request.user, self.cluster.pk))
        return context


@login_required
def evaluation_detail(request, pk: int):
    """One enterprise, one package, one quarter: each condition with its measured value against the threshold and,
    where not met, the distance to it; the rule version used; the participation level with its parts."""
    cluster = current_cluster_or_404(request)
    evaluation = get_scoped_or_404(
        Evaluation,
        request.user,
        pk,
        base=Evaluation.objects.filter(cluster=cluster).select_related("enterprise", "package", "rule"),
    )
    results = [(r, explain(r)) for r in evaluation.results.select_related("condition__kpi")]
    participation = restrict(
        Participation.objects.filter(enterprise=evaluation.enterprise, quarter=evaluation.quarter), request.user, VIEW
    ).first()
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "evaluations",
        "cluster": cluster,
        "evaluation": evaluation,
        "results": results,
        "participation": participation,
        "office": is_office(request.user, cluster),
        "changes": changes_of(evaluation),
        "reviews": restrict(ConditionsReview.objects.filter(evaluation=evaluation), request.user, VIEW),
    }
    return render(request, "incentives/evaluation_detail.html", context)


# --- The office's rules ------------------------------------------------------------------------------------------


@login_required
@require_POST
def rule_draft_create(request, pk: int):
    cluster = current_cluster_or_404(request)
    package = get_scoped_or_404(
        IncentivePackage, request.user, pk, CHANGE, base=IncentivePackage.objects.filter(cluster=cluster)
    )
    draft = services.rule_draft_create(package=package, user=request.user)
    return redirect("incentives:rule_edit", pk=draft.pk)


@login_required
def rule_edit(request, pk: int):
    """A rule version: a draft the office edits, with who would gain and lose under it, and its approval by a
    council decision; an approved version, read only."""
    cluster = current_cluster_or_404(request)
    rule = get_scoped_or_404(
        RuleVersion,
        request.user,
        pk,
        base=RuleVersion.objects.filter(package__cluster=cluster).select_related("package"),
    )
    office = is_office(request.user, cluster)
    draft = rule.status == RuleStatus.DRAFT and office
    form = RuleForm(request.POST or None, instance=rule) if draft else None
    conditions = (
        ConditionFormSet(request.POST or None, instance=rule, cluster=cluster, prefix="conditions") if draft else None
    )
    if request.method == "POST":
        if not draft:
            raise PermissionDenied
        assert form is not None and conditions is not None
        if form.is_valid() and conditions.is_valid():
            try:
                services.rule_save(rule=form.save(commit=False), conditions=conditions, user=request.user)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The draft is saved. See who would gain and lose under it below."))
                return redirect("incentives:rule_edit", pk=rule.pk)
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "packages",
        "cluster": cluster,
        "rule": rule,
        "form": form,
        "conditions": conditions,
        "listed": [
            (c, subject(c), asks(c, c.threshold, c.comparison), window(c))
            for c in rule.conditions.select_related("kpi")
        ],
        "preview": services.rule_preview(rule=rule) if draft and request.method == "GET" else None,
        "approve_form": RuleApproveForm(cluster=cluster) if draft else None,
    }
    return render(request, "incentives/rule_edit.html", context)


@login_required
@require_POST
def rule_approve(request, pk: int):
    cluster = current_cluster_or_404(request)
    rule = get_scoped_or_404(
        RuleVersion, request.user, pk, CHANGE, base=RuleVersion.objects.filter(package__cluster=cluster)
    )
    require_office(request.user, cluster)
    form = RuleApproveForm(request.POST, cluster=cluster)
    if not form.is_valid():
        messages.error(request, _("Choose the adopted council decision that approved the rule."))
        return redirect("incentives:rule_edit", pk=rule.pk)
    try:
        services.rule_approve(rule=rule, decision=form.cleaned_data["decision"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The rule is approved: it applies from its date; earlier evaluations keep theirs."))
    return redirect("incentives:rule_edit", pk=rule.pk)


# --- An enterprise's own incentives; the council's awards ---------------------------------------------------------


@login_required
def mine(request):
    """What each enterprise the person represents receives (its award in force and the benefits), what it qualified
    for in the latest evaluated quarter, and what is missing for the next tier, condition by condition."""
    cluster = current_cluster_or_404(request)
    own = sorted(represented(request.user, cluster.pk))
    enterprises = list(restrict(Enterprise.objects.filter(cluster=cluster, pk__in=own), request.user, VIEW))
    in_force = services.awards_in_force([e.pk for e in enterprises], cluster.today())
    cards = []
    for enterprise in enterprises:
        evaluations = list(
            restrict(Evaluation.objects.filter(enterprise=enterprise), request.user, VIEW)
            .select_related("package")
            .order_by("-quarter", "package__tier")
        )
        latest = [e for e in evaluations if evaluations and e.quarter == evaluations[0].quarter]
        met = [e for e in latest if e.verdict == Verdict.MET]
        top = max((e.package.tier for e in met), default=0)
        following = next((e for e in latest if e.package.tier > top), None)
        missing = (
            [explain(r) for r in following.results.select_related("condition__kpi") if r.verdict != Verdict.MET]
            if following
            else []
        )
        award = in_force.get(enterprise.pk)
        cards.append(
            {
                "enterprise": enterprise,
                "award": award,
                "benefits": [
                    benefit_text(kind, value)
                    for kind, value in (services.benefits_of(award.package).items() if award else [])
                ],
                "latest": latest,
                "reviews": list(
                    restrict(ConditionsReview.objects.filter(enterprise=enterprise), request.user, VIEW)
                    .select_related("award__package")
                    .order_by("-opened_on")[:5]
                ),
                "next": following,
                "missing": missing,
            }
        )
    context = {"section": "incentives", "page": "mine", "cluster": cluster, "cards": cards, "own_enterprise_view": True}
    return render(request, "incentives/mine.html", context)


@login_required
def awards(request):
    """The awards the evaluations proposed and the council decided: the council's approval list; the office records
    each decision."""
    cluster = current_cluster_or_404(request)
    listed = (
        restrict(Award.objects.filter(cluster=cluster), request.user, VIEW)
        .select_related("enterprise", "package", "decision", "evaluation")
        .order_by("status", "-quarter", "enterprise__name")
    )
    office = is_office(request.user, cluster)
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "awards",
        "cluster": cluster,
        "awards": listed,
        "office": office,
        "decisions": list(RuleApproveForm(cluster=cluster).fields["decision"].queryset) if office else [],
    }
    return render(request, "incentives/awards.html", context)


@login_required
@require_POST
def award_decide(request, pk: int):
    cluster = current_cluster_or_404(request)
    award = get_scoped_or_404(Award, request.user, pk, base=Award.objects.filter(cluster=cluster))
    require_office(request.user, cluster)
    form = RuleApproveForm(request.POST, cluster=cluster)
    if not form.is_valid():
        messages.error(request, _("Choose the adopted council decision."))
        return redirect("incentives:awards")
    try:
        services.award_decide(
            award=award, decision=form.cleaned_data["decision"], approve=request.POST.get("approve") != "no"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The council's decision is recorded."))
    return redirect("incentives:awards")


@login_required
@require_POST
def evaluate_now(request):
    """The office evaluates a quarter on demand (the daily job does it once the quarter is final)."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    quarter = request.POST.get("quarter", "").strip()
    try:
        evaluations = services.evaluate_quarter(cluster=cluster, quarter=quarter)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(quarter)s evaluated: %(count)s package evaluations.")
            % {"quarter": quarter, "count": len(evaluations)},
        )
    return redirect(reverse("incentives:evaluation_list") + "?quarter=" + quarter)


# --- Conditions reviews -------------------------------------------------------------------------------------------


class ReviewList(ScopedListView):
    model = ConditionsReview
    section = "incentives"
    filterset_class = ReviewFilterSet
    template_name = "incentives/review_list.html"
    sortable = {
        "enterprise": ("enterprise__name",),
        "quarter": ("quarter",),
        "respond_by": ("respond_by",),
        "state": ("state",),
    }

    def base_queryset(self):
        return ConditionsReview.objects.select_related("enterprise", "award__package", "decision")

    def get_queryset(self):
        return super().get_queryset().order_by("state", "respond_by", "enterprise__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = "reviews"
        context["today"] = self.cluster.today() if self.cluster else None
        context["own_enterprise_view"] = bool(self.cluster and represented(self.request.user, self.cluster.pk))
        return context


@login_required
def review_detail(request, pk: int):
    """A conditions review: the breach that opened it, explained; the award at stake; the enterprise's answer (its
    form, for the enterprise, until the grace period ends); the council's decision (recorded by the office once the
    enterprise has answered or the grace period has ended); corrected figures that changed its evidence."""
    cluster = current_cluster_or_404(request)
    review = get_scoped_or_404(
        ConditionsReview,
        request.user,
        pk,
        base=ConditionsReview.objects.filter(cluster=cluster).select_related(
            "enterprise", "award__package", "award__decision", "evaluation", "decision", "answered_by"
        ),
    )
    today = cluster.today()
    own = review.enterprise_id in represented(request.user, cluster.pk)
    office = is_office(request.user, cluster)
    answer_form = decide_form = None
    if own and review.under_way and today <= review.respond_by:
        answer_form = ReviewAnswerForm(request.POST or None, instance=review)
    if office and review.under_way and services.review_ready(review, today):
        decide_form = ReviewDecideForm(request.POST or None, cluster=cluster)
    if request.method == "POST":
        action = request.POST.get("action")
        form = answer_form if action == "answer" else decide_form if action == "decide" else None
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                if form is answer_form:
                    services.review_answer(review=review, user=request.user, answer=form.cleaned_data["answer"])
                    messages.success(request, _("Your answer is recorded; the council reads it before it decides."))
                else:
                    services.review_decide(
                        review=review, decision=form.cleaned_data["decision"], outcome=form.cleaned_data["outcome"]
                    )
                    messages.success(request, _("The council's decision is recorded; the enterprise is told."))
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect(review)
    results = [(r, explain(r)) for r in review.evaluation.results.select_related("condition__kpi")]
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "reviews",
        "cluster": cluster,
        "review": review,
        "results": results,
        "breach": [text for r, text in results if r.verdict == Verdict.NOT_MET and r.condition.measure == Measure.KPI],
        "answer_form": answer_form,
        "decide_form": decide_form,
        "ready": services.review_ready(review, today),
        "overdue": review.under_way and today > review.respond_by,
        "changes": changes_of(review.evaluation),
        "history": restrict(ConditionsReview.objects.filter(award=review.award), request.user, VIEW)
        .exclude(pk=review.pk)
        .order_by("-opened_on"),
    }
    return render(request, "incentives/review_detail.html", context)


def changes_of(evaluation: Evaluation) -> list[dict]:
    """The evaluation's evidence changes, each condition's before and after as people read them."""
    conditions = {str(c.pk): c for c in Condition.objects.filter(rule=evaluation.rule_id).select_related("kpi")}
    listed = []
    for change in evaluation.evidence_changes.all():
        rows = []
        for key, after in change.after.get("conditions", {}).items():
            before = change.before.get("conditions", {}).get(key, {})
            condition = conditions.get(key)
            if condition is None or before == after:
                continue
            rows.append(
                {
                    "subject": subject(condition),
                    "before": figure(_decimal(before.get("measured")), condition),
                    "after": figure(_decimal(after.get("measured")), condition),
                    "before_verdict": Verdict(before["verdict"]).label if before.get("verdict") else "—",
                    "after_verdict": Verdict(after["verdict"]).label,
                }
            )
        listed.append(
            {
                "at": change.detected_at,
                "before": Verdict(change.before["verdict"]).label,
                "after": Verdict(change.after["verdict"]).label,
                "rows": rows,
            }
        )
    return listed


def _decimal(text):
    from decimal import Decimal

    return None if text is None else Decimal(text)


# --- The office's packages ----------------------------------------------------------------------------------------


@login_required
def package_edit(request, pk: int | None = None):
    """A package (new or existing) and its benefits: the office sets the tier, the benefits and the grace period
    of its reviews."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    package = (
        get_scoped_or_404(
            IncentivePackage, request.user, pk, CHANGE, base=IncentivePackage.objects.filter(cluster=cluster)
        )
        if pk is not None
        else IncentivePackage(cluster=cluster)
    )
    form = PackageForm(request.POST or None, instance=package, cluster=cluster)
    benefits = BenefitFormSet(request.POST or None, instance=package, prefix="benefits")
    if request.method == "POST" and form.is_valid() and benefits.is_valid():
        try:
            package = services.package_save(package=form.save(commit=False), benefits=benefits, user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The package is saved."))
            return redirect(package)
    context = {
        "section": "incentives",
        "own_enterprise_view": bool(represented(request.user, cluster.pk)),
        "page": "packages",
        "cluster": cluster,
        "package": package,
        "form": form,
        "benefits": benefits,
    }
    return render(request, "incentives/package_form.html", context)
