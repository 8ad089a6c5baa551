"""Pages of the portfolio: the table with its charts, the ranking, a project with its milestones.

Every queryset goes through the scoping helper (selectors and get_scoped_or_404); writes go through
the services, which check that the user is the cluster office.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import ScopedCreateView, ScopedUpdateView, apply_validation_error, get_scoped_or_404
from core.versioning import StaleVersion
from governance.choices import ValueChainLink
from governance.models import Enterprise
from governance.scoping import CHANGE, VIEW, acts_for, is_office, represented, restrict
from governance.selectors import current_cluster_or_404

from . import charts, filters, selectors, services
from .choices import ProjectStatus
from .forms import (
    CooperationContractForm,
    MilestoneForm,
    MilestoneProgressForm,
    PortfolioRulesForm,
    ProjectEffectForm,
    ProjectForm,
    ProjectKpiForm,
    ProjectTransitionForm,
    ServiceForm,
    ServiceRequestForm,
)
from .models import (
    CooperationContract,
    Milestone,
    PortfolioRules,
    Project,
    ProjectEffect,
    ProjectKpi,
    Service,
    ServiceRequest,
)


def _scored(request, cluster, queryset=None):
    projects = list(
        selectors.projects_with_progress(
            user=request.user, queryset=queryset if queryset is not None else Project.objects.filter(cluster=cluster)
        )
        .select_related("lead_group", "selection_decision__meeting")
        .order_by("title", "pk")
    )
    limit = services.quick_win_max_budget(cluster)
    scores = {p.pk: services.project_score(project=p, quick_win_max_budget=limit) for p in projects}
    return projects, scores


def _timeline_span(project) -> None:
    """Where the project's bar starts and how long it runs: from its start (or selection, or proposal) to
    its completion or its first result."""
    start = project.started_on or (
        project.selection_decision.meeting.date if project.selection_decision_id else project.created_at.date()
    )
    end = project.completed_on or start + datetime.timedelta(days=30 * max(project.months_to_first_result, 1))
    project.timeline_start, project.timeline_days = start, max((end - start).days, 1)


@login_required
def overview(request):
    """The portfolio: a filterable table, progress by budget, the phase-1 quick wins, effect against cost and a
    timeline."""
    cluster = current_cluster_or_404(request)
    base = Project.objects.filter(cluster=cluster)
    filterset = filters.ProjectFilterSet(request.GET or None, queryset=base, request=request, cluster=cluster)
    filterset.form.fields.pop("cluster", None)
    shown = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    projects, scores = _scored(request, cluster, shown)
    for project in projects:
        project.score = scores[project.pk]
        _timeline_span(project)
    carried, carried_scores = _scored(request, cluster)
    milestones = list(selectors.milestones_of(user=request.user, projects=projects))
    context = {
        "section": "portfolio",
        "cluster": cluster,
        "office": is_office(request.user, cluster),
        "effects": selectors.expected_against_actual(user=request.user, cluster=cluster),
        "filter": filterset,
        "projects": projects,
        "progress": selectors.portfolio_progress(user=request.user, cluster=cluster),
        "quick_wins": selectors.quick_win_check(projects=carried, scores=carried_scores),
        "overdue": list(selectors.overdue_milestones(user=request.user, cluster=cluster).order_by("due_on")),
        "bubble_chart": charts.effect_against_cost(projects),
        "timeline_chart": charts.timeline(projects, milestones),
    }
    return render(request, "portfolio/overview.html", context)


@login_required
def ranking(request):
    """Projects by priority score, with its parts: what the council selects from. The office sets the
    quick-win budget threshold here."""
    cluster = current_cluster_or_404(request)
    office = is_office(request.user, cluster)
    rules = PortfolioRules.objects.filter(cluster=cluster).first() or PortfolioRules(cluster=cluster)
    form = PortfolioRulesForm(request.POST or None, instance=rules) if office else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.portfolio_rules_save(rules=form.save(commit=False), user=request.user)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The quick-win threshold is saved."))
                return redirect("portfolio:ranking")
    projects, scores = _scored(
        request, cluster, Project.objects.filter(cluster=cluster).exclude(status=ProjectStatus.CANCELLED)
    )
    rows = sorted(((p, scores[p.pk]) for p in projects), key=lambda row: (-row[1].total, row[0].title))
    return render(
        request,
        "portfolio/ranking.html",
        {
            "section": "portfolio",
            "cluster": cluster,
            "rows": rows,
            "limit": services.quick_win_max_budget(cluster),
            "form": form,
        },
    )


class ProjectUpdateView(ScopedUpdateView):
    """The office edits a project's description, budget, expected effect and participants (not its state, which
    moves by transitions); an edit over someone else's newer one is refused and shows what changed."""

    model = Project
    form_class = ProjectForm
    section = "portfolio"

    def save(self, form):
        return services.project_save(
            project=form.save(commit=False), user=self.request.user, enterprises=form.cleaned_data["enterprises"]
        )

    def get_success_url(self):
        return reverse("portfolio:project_detail", args=[self.object.pk])


class ProjectCreateView(ScopedCreateView):
    model = Project
    form_class = ProjectForm
    section = "portfolio"
    success_message = ""

    def save(self, form):
        project = form.save(commit=False)
        project.cluster = self.cluster
        return services.project_save(
            project=project, user=self.request.user, enterprises=form.cleaned_data["enterprises"]
        )

    def get_success_url(self):
        return reverse("portfolio:project_detail", args=[self.object.pk])


@login_required
def project_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    project = get_scoped_or_404(
        Project,
        request.user,
        pk,
        base=selectors.projects_with_progress(user=request.user, queryset=Project.objects.filter(cluster=cluster))
        .select_related("lead_group", "selection_decision__meeting__body")
        .prefetch_related("enterprises"),
    )
    office = is_office(request.user, cluster)
    context = {
        "section": "portfolio",
        "cluster": cluster,
        "project": project,
        "office": office,
        "score": services.project_score(project=project, quick_win_max_budget=services.quick_win_max_budget(cluster)),
        "milestones": selectors.milestones_of(user=request.user, projects=[project]),
        "today": timezone.localdate(),
        "kpi_charts": [
            (trend, charts.kpi_before_after(trend))
            for trend in selectors.project_kpi_trends(user=request.user, project=project)
        ],
        "effects": list(restrict(project.effects.all(), request.user, VIEW)),
    }
    if office:
        context["transition_form"] = ProjectTransitionForm(project=project, user=request.user)
        context["milestone_form"] = MilestoneForm()
        context["kpi_form"] = ProjectKpiForm(cluster=cluster)
        context["effect_form"] = ProjectEffectForm()
    return render(request, "portfolio/project_detail.html", context)


@login_required
@require_POST
def project_transition(request, pk: int):
    cluster = current_cluster_or_404(request)
    project = get_scoped_or_404(Project, request.user, pk, CHANGE, base=Project.objects.filter(cluster=cluster))
    form = ProjectTransitionForm(request.POST, project=project, user=request.user)
    if form.is_valid():
        try:
            services.project_transition(
                project=project, to=form.cleaned_data["to"], user=request.user, decision=form.cleaned_data["decision"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            project.refresh_from_db()
            messages.success(request, _("The project is now %(status)s.") % {"status": project.get_status_display()})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("portfolio:project_detail", pk=project.pk)


def _report(request, form) -> None:
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))


def _project_form_post(request, pk: int, make_form, save):
    """A form posted from a project's page: validated, written by `save` (a service), errors as a message."""
    cluster = current_cluster_or_404(request)
    project = get_scoped_or_404(Project, request.user, pk, CHANGE, base=Project.objects.filter(cluster=cluster))
    form = make_form(project)
    if form.is_valid():
        try:
            save(form.save(commit=False))
        except ValidationError as error:
            apply_validation_error(form, error)
    _report(request, form)
    return redirect("portfolio:project_detail", pk=project.pk)


@login_required
@require_POST
def milestone_create(request, pk: int):
    return _project_form_post(
        request,
        pk,
        lambda project: MilestoneForm(request.POST, instance=Milestone(project=project)),
        lambda milestone: services.milestone_save(milestone=milestone, user=request.user),
    )


@login_required
@require_POST
def milestone_progress(request, pk: int):
    cluster = current_cluster_or_404(request)
    milestone = get_scoped_or_404(
        Milestone,
        request.user,
        pk,
        CHANGE,
        base=Milestone.objects.filter(project__cluster=cluster).select_related("project"),
    )
    form = MilestoneProgressForm(request.POST, instance=milestone)
    if form.is_valid():
        try:
            services.milestone_save(
                milestone=form.save(commit=False), user=request.user, expected_version=form.cleaned_data["lock_version"]
            )
        except StaleVersion as stale:
            current = cast(Milestone, stale.current)  # the milestone, as it is now
            messages.error(
                request,
                _(
                    "Someone else changed “%(title)s” after you opened the page (it is now at %(progress)s %%): "
                    "nothing was saved."
                )
                % {"title": current.title, "progress": current.progress},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    _report(request, form)
    return redirect("portfolio:project_detail", pk=milestone.project_id)


@login_required
@require_POST
def project_kpi_create(request, pk: int):
    return _project_form_post(
        request,
        pk,
        lambda project: ProjectKpiForm(request.POST, instance=ProjectKpi(project=project), cluster=project.cluster),
        lambda target: services.project_kpi_save(target=target, user=request.user),
    )


def _effect_form(request, project) -> ProjectEffectForm:
    form = ProjectEffectForm(request.POST, instance=ProjectEffect(project=project))
    # A year already recorded is corrected by the service, not refused: this form's own validate_unique, on purpose
    # (mypy refuses assigning to a method).
    form.validate_unique = lambda: None  # type: ignore[method-assign]
    return form


@login_required
@require_POST
def project_effect_create(request, pk: int):
    return _project_form_post(
        request,
        pk,
        lambda project: _effect_form(request, project),
        lambda effect: services.project_effect_save(effect=effect, user=request.user),
    )


# --- Cooperation contracts ----------------------------------------------------------------------------


@login_required
def contracts(request):
    """The contracts in force the user may read, and the value chain drawn from them."""
    cluster = current_cluster_or_404(request)
    rows = list(selectors.contracts_in_force(user=request.user, cluster=cluster).order_by("supplier__name", "pk"))
    edges = selectors.value_chain_network(user=request.user, cluster=cluster)
    enterprises = list(restrict(Enterprise.objects.filter(cluster=cluster), request.user, VIEW))
    context = {
        "section": "portfolio",
        "page": "contracts",
        "cluster": cluster,
        "office": is_office(request.user, cluster),
        "contracts": rows,
        "total": sum((c.annual_value for c in rows), Decimal(0)),
        "network_chart": charts.network(enterprises, edges, dict(ValueChainLink.choices)),
    }
    return render(request, "portfolio/contracts.html", context)


@login_required
def enterprise_partners(request, pk: int):
    """An enterprise's in-cluster suppliers and buyers under the contracts in force."""
    cluster = current_cluster_or_404(request)
    enterprise = get_scoped_or_404(Enterprise, request.user, pk, base=Enterprise.objects.filter(cluster=cluster))
    suppliers, buyers = selectors.enterprise_partners(user=request.user, enterprise=enterprise)
    context = {
        "section": "portfolio",
        "page": "contracts",
        "cluster": cluster,
        "enterprise": enterprise,
        "suppliers": suppliers,
        "buyers": buyers,
    }
    return render(request, "portfolio/enterprise_partners.html", context)


class ContractCreateView(ScopedCreateView):
    model = CooperationContract
    form_class = CooperationContractForm
    section = "portfolio"

    def save(self, form):
        contract = form.save(commit=False)
        contract.cluster = self.cluster
        return services.contract_save(contract=contract, user=self.request.user)

    def get_success_url(self):
        return reverse("portfolio:contracts")


# --- Shared-services centre ---------------------------------------------------------------------------


@login_required
def services_centre(request):
    """The catalogue with each service's record, the request form, and the queue the user may see."""
    cluster = current_cluster_or_404(request)
    catalogue = restrict(Service.objects.filter(cluster=cluster), request.user, VIEW).select_related("provider")
    enterprises = acts_for(request.user, cluster)
    if request.method == "POST" and not enterprises.exists():
        raise PermissionDenied  # only the office and enterprises' representatives request services
    form = ServiceRequestForm(request.POST or None, services=catalogue.filter(is_active=True), enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_request_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The request is in the queue."))
            return redirect("portfolio:services")
    record = selectors.service_record(user=request.user, cluster=cluster)
    provided = represented(request.user, cluster)
    queue = list(selectors.service_queue(user=request.user, cluster=cluster))
    office = is_office(request.user, cluster)
    for item in queue:
        item.may_move = office or item.service.provider_id in provided
    context = {
        "section": "portfolio",
        "page": "services",
        "cluster": cluster,
        "office": office,
        "catalogue": [(s, record.get(s.pk)) for s in catalogue.order_by("name")],
        "form": form if enterprises.exists() else None,
        "queue": queue,
        "now": timezone.now(),
    }
    return render(request, "portfolio/services.html", context)


@login_required
@require_POST
def service_request_move(request, pk: int):
    cluster = current_cluster_or_404(request)
    item = get_scoped_or_404(
        ServiceRequest, request.user, pk, base=ServiceRequest.objects.filter(service__cluster=cluster)
    )
    try:
        services.service_request_move(request=item, to=request.POST.get("to", ""), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portfolio:services")


class ServiceCreateView(ScopedCreateView):
    model = Service
    form_class = ServiceForm
    section = "portfolio"

    def save(self, form):
        service = form.save(commit=False)
        service.cluster = self.cluster
        return services.service_save(service=service, user=self.request.user)

    def get_success_url(self):
        return reverse("portfolio:services")
