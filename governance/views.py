"""Pages of the governance element: thin views over selectors, services and the scoping helper."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.generic import (
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    apply_validation_error,
    get_scoped_or_404,
)
from core.versioning import StaleVersion

from . import charts, filters, forms, selectors, services
from .choices import Role
from .models import (
    ActionItem,
    Body,
    Cluster,
    ClusterRole,
    Decision,
    Enterprise,
    Meeting,
    Membership,
    Regulation,
    ResponsibilityAssignment,
)
from .notifications import mark_read, notifications_of
from .scoping import CHANGE, VIEW, is_platform_admin, may_create_in, restrict, roles_in, sees_contacts
from .selectors import SESSION_CLUSTER_KEY, current_cluster, user_clusters

if TYPE_CHECKING:
    from django.db.models import Model
    from django.forms import ModelForm


@login_required
@require_POST
def cluster_switch(request):
    """Remember the cluster chosen in the switcher (only one the user belongs to)."""
    raw = request.POST.get("cluster", "")
    chosen = user_clusters(request.user).filter(pk=raw).first() if raw.isdigit() else None
    if chosen is not None:
        request.session[SESSION_CLUSTER_KEY] = chosen.pk
    return redirect("governance:overview")


# --- Overview -------------------------------------------------------------------------------------

PERIODS = {
    "month": (gettext_lazy("Last 30 days"), 30),
    "quarter": (gettext_lazy("Last 90 days"), 90),
    "year": (gettext_lazy("Last 12 months"), 365),
}


@login_required
def overview(request):
    cluster = current_cluster(request)
    if cluster is None and is_platform_admin(request.user) and not Cluster.objects.exists():
        # A fresh installation: the platform administrator's first step is the first cluster.
        return redirect("governance:cluster_create")
    if cluster is None:
        return render(request, "governance/overview.html", {"cluster": None, "section": "overview"})
    today = timezone.localdate()
    period = request.GET.get("period", "quarter")
    if period not in PERIODS:
        period = "quarter"
    start = today - datetime.timedelta(days=PERIODS[period][1])
    total, per_body = selectors.execution_discipline(cluster=cluster, start=start, end=today, today=today)
    overdue = selectors.action_items_overdue_first(
        restrict(ActionItem.objects.overdue(today), request.user, VIEW).filter(cluster=cluster), today
    )[:10]
    context = {
        "section": "overview",
        "cluster": cluster,
        "counts": selectors.governance_counts(cluster=cluster, today=today),
        "discipline": total,
        "discipline_per_body": per_body,
        "discipline_chart": charts.discipline_by_body(per_body),
        "periods": [(key, label) for key, (label, _days) in PERIODS.items()],
        "period": period,
        "period_start": start,
        "overdue_items": overdue,
        "upcoming": selectors.upcoming_meetings(cluster=cluster, today=today),
        "role_labels": [Role(r).label for r in Role.values if r in roles_in(request.user, cluster.pk)],
    }
    return render(request, "governance/overview.html", context)


# --- Clusters -------------------------------------------------------------------------------------


class ClusterDetail(ScopedDetailView):
    model = Cluster
    section = "cluster"
    template_name = "governance/cluster_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.governance_counts(cluster=self.object)
        context["cluster"] = self.object
        return context


class ClusterUpdate(ScopedUpdateView):
    model = Cluster
    section = "cluster"
    form_class = forms.ClusterForm

    def object_cluster(self, obj):
        return obj

    def save(self, form):
        return services.cluster_save(cluster=form.instance)


class ClusterCreate(ScopedCreateView):
    """A platform administrator creates a cluster; on a fresh installation this is the first day's first step,
    followed by the data-collection rules and the invitation of the office."""

    model = Cluster
    section = "cluster"
    form_class = forms.ClusterForm
    template_name = "governance/cluster_create.html"
    success_message = gettext_lazy("The cluster is created. Next: its data-collection rules.")

    def can_create(self) -> bool:
        return is_platform_admin(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["first_cluster"] = not Cluster.objects.exists()
        return context

    def save(self, form):
        return services.cluster_save(cluster=form.instance)

    def get_success_url(self):
        # The new cluster becomes the one the administrator works in; its rules next, then its people.
        self.request.session[SESSION_CLUSTER_KEY] = self.object.pk
        return reverse("kpi:collection_rules") + "?next=" + reverse("governance:person_add")


# --- Enterprises ----------------------------------------------------------------------------------


class EnterpriseList(ScopedListView):
    model = Enterprise
    section = "enterprises"
    filterset_class = filters.EnterpriseFilterSet
    create_url_name = "governance:enterprise_create"
    columns = [
        ("name", gettext_lazy("Legal name")),
        ("taxpayer_id", gettext_lazy("Taxpayer id (STIR)")),
        ("kind", gettext_lazy("Type")),
        ("value_chain_link", gettext_lazy("Value-chain link")),
        ("status", gettext_lazy("Status")),
        ("joined_on", gettext_lazy("Join date")),
    ]


class EnterpriseDetail(ScopedDetailView):
    model = Enterprise
    section = "enterprises"
    template_name = "governance/enterprise_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = self.object.body_memberships.select_related("body", "person")
        context["sees_contacts"] = sees_contacts(self.request.user, self.object)
        return context


class EnterpriseCreate(ScopedCreateView):
    model = Enterprise
    section = "enterprises"
    form_class = forms.EnterpriseForm
    success_message = gettext_lazy("The enterprise was added.")

    def save(self, form):
        return services.enterprise_save(enterprise=form.save(commit=False))


class EnterpriseUpdate(ScopedUpdateView):
    model = Enterprise
    section = "enterprises"

    def save(self, form):
        return services.enterprise_save(enterprise=form.save(commit=False))

    def get_form_class(self):
        # Office staff edit everything; an enterprise representative only their contact details.
        if may_create_in(self.request.user, Enterprise, self.object.cluster_id):
            return forms.EnterpriseForm
        return forms.EnterpriseContactForm


# --- Bodies and memberships -----------------------------------------------------------------------


class BodyList(ScopedListView):
    model = Body
    section = "bodies"
    template_name = "governance/body_list.html"
    filterset_class = filters.BodyFilterSet
    create_url_name = "governance:body_create"

    def get_queryset(self):
        return selectors.bodies_with_counts(super().get_queryset()).order_by("kind", "name")


class BodyDetail(ScopedDetailView):
    model = Body
    section = "bodies"
    template_name = "governance/body_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        body = self.object
        today = timezone.localdate()
        context.update(
            members=selectors.body_members(body=body, on=today),
            past_members=body.memberships.filter(end_date__lt=today).select_related("person", "enterprise"),
            meetings=body.meetings.annotate(decision_count=Count("decisions"))[:12],
            regulations=body.regulations.all(),
            action_items=selectors.action_items_overdue_first(body.followed_action_items.all(), today)[:20],
            can_add_member=may_create_in(self.request.user, Membership, body.cluster_id),
        )
        return context


class BodyFormMixin:
    # Typed as the bases they are mixed into (ScopedMixin, FormMixin) declare them.
    model: type[Model] = Body
    section = "bodies"
    form_class: type[ModelForm] | None = forms.BodyForm

    def save(self, form):
        return services.body_save(body=form.instance)


class BodyCreate(BodyFormMixin, ScopedCreateView):
    pass


class BodyUpdate(BodyFormMixin, ScopedUpdateView):
    pass


class MembershipList(ScopedListView):
    model = Membership
    section = "bodies"
    cluster_field = "body__cluster"
    filterset_class = filters.MembershipFilterSet
    create_url_name = "governance:membership_create"
    columns = [
        ("person_name", gettext_lazy("Person")),
        ("body", gettext_lazy("Body")),
        ("role", gettext_lazy("Role")),
        ("enterprise", gettext_lazy("Enterprise represented")),
        ("start_date", gettext_lazy("From")),
        ("end_date", gettext_lazy("To")),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("person", "body", "enterprise")


class MembershipFormMixin:
    # Typed as the bases they are mixed into (ScopedMixin, FormMixin) declare them.
    model: type[Model] = Membership
    section = "bodies"
    form_class: type[ModelForm] | None = forms.MembershipForm

    def get_initial(self):
        initial = super().get_initial()
        if "body" in self.request.GET:
            initial["body"] = self.request.GET["body"]
        initial.setdefault("start_date", timezone.localdate())
        return initial

    def object_cluster(self, obj):
        return obj.body.cluster

    def save(self, form):
        return services.membership_save(membership=form.instance)

    def get_success_url(self):
        return self.object.body.get_absolute_url()


class MembershipCreate(MembershipFormMixin, ScopedCreateView):
    pass


class MembershipUpdate(MembershipFormMixin, ScopedUpdateView):
    pass


# --- Regulations ----------------------------------------------------------------------------------


class RegulationList(ScopedListView):
    model = Regulation
    section = "regulations"
    filterset_class = filters.RegulationFilterSet
    create_url_name = "governance:regulation_create"
    columns = [
        ("title", gettext_lazy("Title")),
        ("kind", gettext_lazy("Kind")),
        ("body", gettext_lazy("Body")),
        ("version", gettext_lazy("Version")),
        ("status", gettext_lazy("Status")),
        ("effective_from", gettext_lazy("Effective from")),
        ("approved_by", gettext_lazy("Approved by decision")),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("body", "approved_by")


class RegulationDetail(ScopedDetailView):
    model = Regulation
    section = "regulations"
    template_name = "governance/regulation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reg = self.object
        context["versions"] = Regulation.objects.filter(cluster=reg.cluster, kind=reg.kind, body=reg.body).order_by(
            "-version"
        )
        if context["can_change"] and reg.is_draft:
            context["approve_form"] = forms.RegulationApproveForm(cluster=reg.cluster)
        return context


class RegulationFormMixin:
    # Typed as the bases they are mixed into (ScopedMixin, FormMixin) declare them.
    model: type[Model] = Regulation
    section = "regulations"
    form_class: type[ModelForm] | None = forms.RegulationForm

    def save(self, form):
        return services.regulation_save(regulation=form.instance)


class RegulationCreate(RegulationFormMixin, ScopedCreateView):
    def get_initial(self):
        initial = super().get_initial()
        source = self.request.GET.get("from", "")
        if source.isdigit():
            base = restrict(Regulation.objects.all(), self.request.user, VIEW).filter(pk=source).first()
            if base is not None:
                initial.update(
                    kind=base.kind,
                    body=base.body_id,
                    title=base.title,
                    text=base.text,
                    version=services.regulation_next_version(cluster=base.cluster, kind=base.kind, body=base.body),
                )
        return initial


class RegulationUpdate(RegulationFormMixin, ScopedUpdateView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not obj.is_draft:
            messages.error(self.request, _("Only a draft can be edited; make a new version instead."))
            raise PermissionDenied
        return obj


@login_required
def regulation_approve(request, pk):
    regulation = get_scoped_or_404(Regulation, request.user, pk, CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.RegulationApproveForm(request.POST, cluster=regulation.cluster)
    if form.is_valid():
        try:
            services.regulation_approve(
                regulation=regulation,
                decision=form.cleaned_data["decision"],
                effective_from=form.cleaned_data["effective_from"],
            )
            messages.success(request, _("The regulation was approved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose the decision that approved the regulation."))
    return redirect(regulation.get_absolute_url())


# --- Meetings -------------------------------------------------------------------------------------


class MeetingList(ScopedListView):
    model = Meeting
    section = "meetings"
    cluster_field = "body__cluster"
    template_name = "governance/meeting_list.html"
    filterset_class = filters.MeetingFilterSet
    create_url_name = "governance:meeting_create"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("body")
            .annotate(
                present_count=Count("attendances", filter=Q(attendances__present=True), distinct=True),
                decision_count=Count("decisions", distinct=True),
            )
            .order_by("-date", "-time", "-pk")
        )


class MeetingDetail(ScopedDetailView):
    model = Meeting
    section = "meetings"
    template_name = "governance/meeting_detail.html"

    def get_queryset(self):
        return selectors.meeting_detail(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting = self.object
        context["quorum"] = meeting.quorum()
        context["can_decide"] = context["can_change"] and may_create_in(
            self.request.user, Decision, meeting.body.cluster_id
        )
        context["today"] = timezone.localdate()
        if context["can_change"]:
            context["agenda_form"] = forms.AgendaItemForm()
        return context


class MeetingFormMixin:
    # Typed as the bases they are mixed into (ScopedMixin, FormMixin) declare them.
    model: type[Model] = Meeting
    section = "meetings"
    form_class: type[ModelForm] | None = forms.MeetingForm

    def object_cluster(self, obj):
        return obj.body.cluster

    def get_initial(self):
        initial = super().get_initial()
        if "body" in self.request.GET:
            initial["body"] = self.request.GET["body"]
        return initial

    def save(self, form):
        agenda = form.agenda_lines() if "agenda" in form.fields else []
        return services.meeting_save(meeting=form.instance, agenda=agenda)


class MeetingCreate(MeetingFormMixin, ScopedCreateView):
    pass


class MeetingUpdate(MeetingFormMixin, ScopedUpdateView):
    pass


@login_required
def meeting_agenda_add(request, pk):
    meeting = get_scoped_or_404(Meeting, request.user, pk, CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.AgendaItemForm(request.POST)
    if form.is_valid():
        services.agenda_item_add(meeting=meeting, title=form.cleaned_data["title"], notes=form.cleaned_data["notes"])
        messages.success(request, _("The item was added to the agenda."))
    else:
        messages.error(request, _("Give the agenda item a title."))
    return redirect(meeting.get_absolute_url())


@login_required
def meeting_attendance(request, pk):
    meeting = get_scoped_or_404(Meeting, request.user, pk, CHANGE)
    members = list(selectors.body_members(body=meeting.body, on=meeting.date))
    initial = {"present": [str(a.person_id) for a in meeting.attendances.filter(present=True)]}
    form = forms.AttendanceForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_attendance(meeting=meeting, present_ids=form.cleaned_data["present"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            quorum = meeting.quorum()
            if quorum.met:
                messages.success(request, _("Attendance recorded: the meeting has a quorum."))
            else:
                messages.warning(
                    request,
                    _("Attendance recorded: no quorum (%(present)s of %(eligible)s, %(required)s needed).")
                    % {"present": quorum.present, "eligible": quorum.eligible, "required": quorum.required},
                )
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "governance/meeting_attendance.html",
        {"meeting": meeting, "form": form, "section": "meetings", "members": members},
    )


# --- Decisions ------------------------------------------------------------------------------------


class DecisionList(ScopedListView):
    model = Decision
    section = "decisions"
    cluster_field = "meeting__body__cluster"
    filterset_class = filters.DecisionFilterSet
    create_url_name = "governance:decision_create"
    columns = [
        ("number", gettext_lazy("Number")),
        ("title", gettext_lazy("Title")),
        ("meeting", gettext_lazy("Meeting")),
        ("kind", gettext_lazy("Kind")),
        ("outcome", gettext_lazy("Outcome")),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("meeting", "meeting__body")


class DecisionDetail(ScopedDetailView):
    model = Decision
    section = "decisions"
    template_name = "governance/decision_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("meeting__body")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_items"] = selectors.action_items_overdue_first(self.object.action_items.all())
        context["regulations"] = self.object.approved_regulations.all()
        return context


@login_required
def decision_create(request):
    """A decision with the action items it spawns, saved together or not at all."""
    cluster = current_cluster(request)
    if cluster is None or not may_create_in(request.user, Decision, cluster.pk):
        raise PermissionDenied
    initial = {}
    if "meeting" in request.GET:
        initial["meeting"] = request.GET["meeting"]
    form = forms.DecisionForm(request.POST or None, cluster=cluster, user=request.user, initial=initial)
    formset = forms.DecisionActionItemFormSet(request.POST or None, prefix="items")
    formset.form_extra = {"cluster": cluster, "user": request.user}
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        items = [f.instance for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE", False)]
        try:
            with transaction.atomic():
                decision = services.decision_save(decision=form.instance, action_items=items)
        except ValidationError as error:
            apply_validation_error(form, _item_errors_on_form(error, items))
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect(decision.get_absolute_url())
    return render(
        request,
        "governance/decision_form.html",
        {"form": form, "formset": formset, "section": "decisions", "title": _("New decision")},
    )


def _item_errors_on_form(error: ValidationError, items) -> ValidationError:
    """An action item's error (e.g. a deadline before the meeting) is shown under the item's title."""
    if not hasattr(error, "error_dict"):
        return error
    known = {"meeting", "number", "title", "text", "kind", "votes_for", "votes_against", "votes_abstain"}
    if set(error.error_dict) <= known:
        return error
    messages_ = [
        f"{_('Action item')}: {message}"
        for field, errs in error.error_dict.items()
        if field not in known
        for message in ValidationError(errs).messages
    ]
    kept = {k: v for k, v in error.error_dict.items() if k in known}
    kept.setdefault("__all__", []).extend(ValidationError(m) for m in messages_)
    return ValidationError(kept)


class DecisionUpdate(ScopedUpdateView):
    model = Decision
    section = "decisions"
    form_class = forms.DecisionForm

    def object_cluster(self, obj):
        return obj.meeting.body.cluster

    def save(self, form):
        return services.decision_save(decision=form.instance)


# --- Action items ---------------------------------------------------------------------------------


class ActionItemList(ScopedListView):
    model = ActionItem
    section = "action_items"
    template_name = "governance/actionitem_list.html"
    filterset_class = filters.ActionItemFilterSet
    create_url_name = "governance:actionitem_create"
    sortable = {
        "title": ("title",),
        "owner": ("owner_group__name", "owner_person__last_name", "owner_person__first_name"),
        "deadline": ("deadline",),
        "status": ("status",),
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("mine"):
            user = self.request.user
            queryset = queryset.filter(
                Q(owner_person=user) | Q(owner_group__memberships__person=user, owner_group__memberships__end_date=None)
            ).distinct()
        return selectors.action_items_overdue_first(queryset)


class ActionItemDetail(ScopedDetailView):
    model = ActionItem
    section = "action_items"
    template_name = "governance/actionitem_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("decision__meeting", "body", "owner_person", "owner_group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["can_change"]:
            context["status_form"] = forms.ActionItemStatusForm(
                initial={
                    "status": self.object.status,
                    "done_on": self.object.done_on or timezone.localdate(),
                    "lock_version": self.object.lock_version,
                }
            )
        context["agenda_items"] = self.object.agenda_items.select_related("meeting")
        context["sources"] = selectors.action_item_sources(self.object, self.request.user)
        return context


class ActionItemFormMixin:
    # Typed as the bases they are mixed into (ScopedMixin, FormMixin) declare them.
    model: type[Model] = ActionItem
    section = "action_items"
    form_class: type[ModelForm] | None = forms.ActionItemForm

    def get_initial(self):
        initial = super().get_initial()
        for key in ("decision", "body", "owner_group"):
            if key in self.request.GET:
                initial[key] = self.request.GET[key]
        return initial

    def save(self, form):
        return services.action_item_save(item=form.instance)


class ActionItemCreate(ActionItemFormMixin, ScopedCreateView):
    pass


class ActionItemUpdate(ActionItemFormMixin, ScopedUpdateView):
    def get_form_class(self):
        if may_create_in(self.request.user, ActionItem, self.object.cluster_id):
            return forms.ActionItemForm
        raise PermissionDenied  # owners change the status on the item's page


@login_required
def action_item_status(request, pk):
    item = get_scoped_or_404(ActionItem, request.user, pk, CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ActionItemStatusForm(request.POST)
    if form.is_valid():
        try:
            services.action_item_set_status(
                item=item,
                status=form.cleaned_data["status"],
                done_on=form.cleaned_data["done_on"],
                expected_version=form.cleaned_data["lock_version"],
            )
            messages.success(request, _("The status was updated."))
        except StaleVersion as stale:
            messages.error(
                request,
                _(
                    "Someone else changed this item after you opened it (its status is now “%(status)s”): "
                    "nothing was saved."
                )
                % {"status": stale.current.get_status_display()},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose a status."))
    return redirect(item.get_absolute_url())


# --- Responsibility matrix ------------------------------------------------------------------------


@login_required
def responsibility_matrix(request):
    cluster = current_cluster(request)
    if cluster is None:
        return redirect("governance:overview")
    bodies, rows = selectors.responsibility_matrix(cluster=cluster)
    return render(
        request,
        "governance/matrix.html",
        {
            "section": "matrix",
            "cluster": cluster,
            "bodies": bodies,
            "rows": rows,
            "can_change": may_create_in(request.user, ResponsibilityAssignment, cluster.pk),
        },
    )


@login_required
def responsibility_matrix_edit(request):
    cluster = current_cluster(request)
    if cluster is None or not may_create_in(request.user, ResponsibilityAssignment, cluster.pk):
        raise PermissionDenied
    bodies, _rows = selectors.responsibility_matrix(cluster=cluster)
    cells = {(a.area, a.body_id): a.responsibility for a in ResponsibilityAssignment.objects.filter(cluster=cluster)}
    form = forms.ResponsibilityMatrixForm(request.POST or None, bodies=bodies, cells=cells)
    if request.method == "POST" and form.is_valid():
        try:
            services.responsibility_matrix_save(cluster=cluster, cells=form.cells())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The responsibility matrix was saved."))
            return redirect("governance:matrix")
    return render(
        request,
        "governance/matrix_form.html",
        {"section": "matrix", "cluster": cluster, "form": form, "bodies": bodies},
    )


# --- People ---------------------------------------------------------------------------------------


class PeopleList(ScopedListView):
    model = ClusterRole
    section = "people"
    template_name = "governance/people_list.html"
    create_url_name = "governance:person_add"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.cluster is not None:
            context["login_locks"] = selectors.login_locks(user=self.request.user, cluster=self.cluster)
        return context

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("user")
            .prefetch_related("enterprises")
            .order_by("user__last_name", "user__username", "role")
        )


@login_required
def person_add(request):
    cluster = current_cluster(request)
    if cluster is None or not may_create_in(request.user, ClusterRole, cluster.pk):
        raise PermissionDenied
    form = forms.ClusterRoleForm(request.POST or None, cluster=cluster)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = data["existing"] or services.person_invite(
                    cluster=cluster,
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    role=data["role"],
                    request=request,
                )
                services.cluster_role_grant(
                    user=user, cluster=cluster, role=data["role"], enterprises=data["enterprises"]
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The role was given."))
            return redirect("governance:people")
    return render(
        request, "governance/person_form.html", {"form": form, "section": "people", "title": _("Add a person")}
    )


@login_required
def person_role_withdraw(request, pk):
    grant = get_scoped_or_404(ClusterRole, request.user, pk, CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.cluster_role_withdraw(grant=grant)
    messages.success(request, _("The role was withdrawn."))
    return redirect(reverse("governance:people"))


@login_required
@require_POST
def person_lock_lift(request, pk):
    """The office lifts a log-in lock on one of its people."""
    cluster = current_cluster(request)
    if cluster is None:
        raise Http404
    services.login_lock_lift(user=request.user, cluster=cluster, attempt_id=pk)
    messages.success(request, _("The lock is lifted: the person can log in again."))
    return redirect(reverse("governance:people"))


# --- Notifications ----------------------------------------------------------------------------------


@login_required
def notification_list(request):
    """The person's notifications, unread first in the tab they open on; all of them one click away."""
    mine = notifications_of(request.user).select_related("cluster")
    show = request.GET.get("show", "unread")
    shown = mine.filter(read_at__isnull=True) if show == "unread" else mine
    page = Paginator(shown, 50).get_page(request.GET.get("page"))
    context = {
        "section": "notifications",
        "page_obj": page,
        "notifications": page.object_list,
        "show": show,
        "unread": mine.filter(read_at__isnull=True).count(),
    }
    return render(request, "governance/notification_list.html", context)


@login_required
def notification_open(request, pk: int):
    """Open what a notification is about; it is read from then on."""
    notification = notifications_of(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    mark_read(request.user, pks=[notification.pk])
    return redirect(notification.url)


@login_required
@require_POST
def notifications_mark_read(request):
    picked = [int(pk) for pk in request.POST.getlist("pk") if pk.isdigit()]
    done = mark_read(request.user, pks=picked or None)
    messages.success(request, _("Marked as read: %(n)s.") % {"n": done})
    return redirect(reverse("notifications") + "?show=" + request.POST.get("show", "unread"))


# --- Background tasks that failed -------------------------------------------------------------------------------

FAILED_TASKS_SHOWN = 100


@login_required
def failed_tasks(request):
    """Tasks that gave up after their retries, for the office of the cluster they worked for."""
    from .models import FailedTask
    from .scoping import require_office
    from .selectors import current_cluster_or_404

    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    rows = restrict(FailedTask.objects.filter(cluster=cluster), request.user)[:FAILED_TASKS_SHOWN]
    return render(
        request,
        "governance/failed_tasks.html",
        {"section": "failed_tasks", "cluster": cluster, "rows": rows, "shown": FAILED_TASKS_SHOWN},
    )


@login_required
@require_POST
def failed_task_seen(request, pk: int):
    from .models import FailedTask
    from .scoping import require_office
    from .selectors import current_cluster_or_404

    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    row = get_scoped_or_404(FailedTask, request.user, pk, CHANGE, base=FailedTask.objects.filter(cluster=cluster))
    FailedTask.objects.filter(pk=row.pk, seen_at__isnull=True).update(seen_at=timezone.now())
    messages.success(request, _("Marked as seen."))
    return redirect("governance:failed_tasks")
