"""Base views every app's pages use: each queryset goes through the scoping helper.

Lists show the current cluster's rows; details answer 404 for rows the user may not see; edits
answer 404 for rows the user may not see and 403 for rows they may see but not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.views import generic

from .scoping import CHANGE, VIEW, current_cluster, may_create_in, restrict
from .versioning import StaleVersion, Versioned, VersionedFormMixin, version_claim

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest
    from django_filters import FilterSet

    from .typing import AnyUser, StrOrPromise


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ScopedMixin(LoginRequiredMixin):
    if TYPE_CHECKING:
        model: type[Model]  # every view names its model: None on these bases only, as on Django's generic views
    else:
        model = None
    request: HttpRequest
    section = ""  # which navigation entry is current

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        return restrict(self.base_queryset(), self.request.user, VIEW)

    @property
    def cluster(self):
        return current_cluster(self.request)

    def can_create(self) -> bool:
        cluster = self.cluster
        return cluster is not None and may_create_in(self.request.user, self.model, cluster.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("section", self.section)
        context.setdefault("cluster", self.cluster)
        context.setdefault("can_create", self.can_create())
        context.setdefault("model_name", self.model._meta.verbose_name)
        context.setdefault("model_name_plural", self.model._meta.verbose_name_plural)
        return context


def sort_queryset(request, queryset, sortable: Mapping[str, Sequence[str]]):
    """The rows in the order the person asked for by a column's header (`?sort=name`, `?sort=-name` descending),
    and the key as given ("" where it names no sortable column: the view's own order stands)."""
    key = request.GET.get("sort", "")
    name = key.removeprefix("-")
    if name not in sortable:
        return queryset, ""
    descending = key.startswith("-")
    fields = [f"-{field}" if descending else field for field in sortable[name]]
    return queryset.order_by(*fields, "-pk" if descending else "pk"), key


class ScopedListView(ScopedMixin, generic.ListView):
    """A list of the current cluster's rows, filtered by an optional django-filter FilterSet."""

    model: type[Model]  # as in ScopedMixin (Django's MultipleObjectMixin allows None)

    paginate_by = 50
    cluster_field = "cluster"
    filterset_class: type[FilterSet] | None = None
    template_name = "generic/object_list.html"
    columns: list[tuple[str, StrOrPromise]] = []
    create_url_name = ""
    # Columns people sort by their headers: name -> the fields ordered by. None: each of `columns` that is a field
    # of the model.
    sortable: dict[str, tuple[str, ...]] | None = None
    sort = ""

    def sort_fields(self) -> dict[str, tuple[str, ...]]:
        if self.sortable is not None:
            return self.sortable
        fields = {field.name for field in self.model._meta.get_fields() if field.concrete}
        return {name: (name,) for name, _label in self.columns if name in fields}

    def paginate_queryset(self, queryset, page_size):
        # After every subclass's own get_queryset, whose order stands unless a header asks for another.
        queryset, self.sort = sort_queryset(self.request, queryset, self.sort_fields())
        return super().paginate_queryset(queryset, page_size)

    def get_queryset(self):
        cluster = self.cluster
        if cluster is None:
            return self.model._default_manager.none()
        queryset = super().get_queryset().filter(**{self.cluster_field: cluster})
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(
                self.request.GET or None, queryset=queryset, request=self.request, cluster=cluster
            )
            self.filterset.form.fields.pop("cluster", None)  # the list is the current cluster's already
            if self.filterset.is_bound and self.filterset.is_valid():
                queryset = self.filterset.qs
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = getattr(self, "filterset", None)
        context["columns"] = self.columns
        context["create_url_name"] = self.create_url_name
        context["sortable"] = self.sort_fields()
        context["sort"] = self.sort
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class ScopedDetailView(ScopedMixin, generic.DetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = restrict(
            self.model._default_manager.filter(pk=self.object.pk), self.request.user, CHANGE
        ).exists()
        return context


class ScopedFormMixin(ScopedMixin):
    """Create and update pages: the form gets the cluster and user, the save goes through `save()`."""

    template_name: str | None = "generic/object_form.html"
    success_message: StrOrPromise = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["cluster"] = self.form_cluster()
        kwargs["user"] = self.request.user
        return kwargs

    def form_cluster(self):
        return self.cluster

    def save(self, form):
        """Write the form's object: every page that writes calls its model's service here."""
        raise NotImplementedError(f"{type(self).__name__} writes {self.model.__name__}: call its service")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                if isinstance(form, VersionedFormMixin) and isinstance(form.instance, Versioned):
                    # Nothing is saved over a version the person did not see (the row stays locked till commit).
                    version_claim(form.instance, expected=form.cleaned_data["lock_version"])
                self.object = self.save(form)
        except StaleVersion as stale:
            form.show_changes(stale.current)
            form.add_error(None, stale)
            return self.form_invalid(form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message or _("Saved."))
        return self.redirect_after_save()

    def redirect_after_save(self):
        from django.shortcuts import redirect

        return redirect(self.get_success_url())

    def get_success_url(self):
        return self.object.get_absolute_url()


class ScopedCreateView(ScopedFormMixin, generic.CreateView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.can_create():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("New %(model)s") % {"model": self.model._meta.verbose_name}
        return context


class ScopedUpdateView(ScopedFormMixin, generic.UpdateView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)  # 404 when the user may not see it
        if not restrict(self.model._default_manager.filter(pk=obj.pk), self.request.user, CHANGE).exists():
            raise PermissionDenied
        return obj

    def form_cluster(self):
        return self.object_cluster(self.object)

    def object_cluster(self, obj):
        return getattr(obj, "cluster", None) or self.cluster

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Edit %(model)s") % {"model": self.model._meta.verbose_name}
        return context


def get_scoped_or_404(model, user: AnyUser, pk, action=VIEW, base=None):
    """The row `pk` of `base` (default: every row of `model`) if `user` may see it (VIEW) or change it (CHANGE):
    404 for a row they may not see, 403 for one they see but may not change."""
    rows = base if base is not None else model._default_manager.all()
    obj = restrict(rows, user, action).filter(pk=pk).first()
    if obj is None:
        if action == CHANGE and restrict(rows.filter(pk=pk), user, VIEW).exists():
            raise PermissionDenied
        raise Http404
    return obj
