"""Base pieces of every app's REST API: scoped viewsets and serializers that validate as the model does.

A later app's API is written with them like this::

    class ProjectSerializer(ScopedModelSerializer):
        class Meta:
            model = Project
            fields = ["id", "cluster", "title", ...]

        def save_instance(self, instance):
            return services.project_save(project=instance)  # every write goes through its service

    class ProjectViewSet(ScopedModelViewSet):
        queryset = Project.objects.select_related(...)
        serializer_class = ProjectSerializer
        filterset_class = filters.ProjectFilterSet
        ordering_fields = ["title", "start_date"]

The model needs a `scope_rule` (core.scoping). The viewset then serves only the rows the user
may see; a write to a row the user cannot see answers 404, to one they see but may not change 403;
a new row needs `may_create_in` for its cluster (403 otherwise). The serializer offers in its
foreign keys only the rows the user may see (another cluster's id is "object does not exist"),
validates the instance it describes with `Model.full_clean()`, constraints included, and answers
Django's validation errors as DRF's, one message list per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import Manager, Model, ProtectedError, Q, QuerySet, RestrictedError
from django.db.models.constraints import BaseConstraint, UniqueConstraint
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.permissions import SAFE_METHODS
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ..scoping import CHANGE, VIEW, editable_clusters, may_create_in, restrict, rule_for, scoped_choices
from ..versioning import StaleVersion, Versioned, version_claim
from .types import JSONTypesMixin

__all__ = [
    "Conflict",
    "ModelCleanMixin",
    "ScopedModelSerializer",
    "ScopedModelViewSet",
    "ScopedRelatedFieldsMixin",
    "cluster_id_of",
    "drf_validation_error",
    "service_errors",
]

NON_FIELD_ERRORS = "__all__"  # Django's key for errors that belong to no field


# --- Errors ---------------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    """The request is valid but clashes with the stored data (a row others still refer to, a concurrent write)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The change conflicts with the stored data.")
    default_code = "conflict"


def drf_validation_error(
    error: DjangoValidationError, *, field: str | None = None, rename: Mapping[str, str] | None = None
) -> serializers.ValidationError:
    """Django's ValidationError as DRF's: a list of messages per field, the rest under "non_field_errors".

    field: where errors that name no field go (default "non_field_errors").
    rename: model field names as the request names them (e.g. {"approved_by": "decision"}).
    """
    default = field or api_settings.NON_FIELD_ERRORS_KEY
    rename = rename or {}
    detail = get_error_detail(error)
    if not isinstance(detail, dict):
        return serializers.ValidationError({default: detail})
    errors: dict[str, list] = {}
    for key, messages in detail.items():
        key = default if key == NON_FIELD_ERRORS else rename.get(key, key)
        errors.setdefault(key, []).extend(messages)
    return serializers.ValidationError(errors)


@contextmanager
def service_errors(*, field: str | None = None, rename: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn a service's Django ValidationError into a 400 answer, and a lost race on a constraint into a 409."""
    try:
        yield
    except StaleVersion as stale:
        raise Conflict(stale.messages[0]) from stale
    except DjangoValidationError as error:
        raise drf_validation_error(error, field=field, rename=rename) from error
    except IntegrityError as error:
        # Validation checked the constraints, so this is a concurrent write that got there first.
        raise Conflict() from error


def cluster_id_of(instance: Model) -> int | None:
    """The id of the cluster an (unsaved) instance belongs to, by its model's scope rule; None if not set yet."""
    path = rule_for(type(instance)).cluster
    if path == "pk":
        return instance.pk
    *hops, last = path.split("__")
    obj = instance
    for hop in hops:
        if getattr(obj, f"{hop}_id", None) is None:
            return None
        obj = getattr(obj, hop)
    return getattr(obj, f"{last}_id", None)


# --- Serializers ----------------------------------------------------------------------------------


class ScopedRelatedFieldsMixin:
    """Related-object fields offer (and accept) only the rows the requesting user may see.

    Models with a `scope_rule` go through `restrict(..., VIEW)`, people through the user's clusters;
    for any other model the serializer must say how in `related_scopes` (field name -> function of
    (queryset, user) returning the allowed rows), or it refuses to start: an unscoped choice would
    confirm other clusters' ids.
    """

    related_scopes: dict[str, Callable[[QuerySet, object], QuerySet]] = {}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for name, field in fields.items():
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if field.read_only or not isinstance(relation, RelatedField) or relation.queryset is None:
                continue
            queryset = relation.queryset
            if isinstance(queryset, Manager):
                queryset = queryset.all()
            if name in self.related_scopes:
                relation.queryset = self.related_scopes[name](queryset, user)
            else:
                try:
                    relation.queryset = scoped_choices(queryset, user)
                except ImproperlyConfigured as error:
                    raise ImproperlyConfigured(f"{type(self).__name__}.{name}: {error}") from error
        return fields


class ModelCleanMixin:
    """Validates the instance a request describes with `Model.full_clean()`, as a ModelForm does.

    DRF's ModelSerializer calls neither `Model.clean()` nor the database constraints' validation, so
    rules written there would surface as 500s or not at all. This mixin builds the instance (a new
    one, or a fresh copy of the stored one with the changes applied), runs the field validation,
    `clean()` and the uniqueness checks, then each constraint, and answers their errors per field:
    a constraint's error goes to the field named in `constraint_error_fields`, else to the last
    field of a unique constraint (the one that repeats within the others: the taxpayer id within
    the cluster), else to the only field a check constraint reads, else to "non_field_errors".

    The instance is saved by `save_instance()`, which a serializer overrides to call its service;
    a service's own ValidationError is answered the same way.
    """

    clean_exclude: tuple[str, ...] = ()  # model fields a service fills in (e.g. a decision's outcome)
    constraint_error_fields: dict[str, str] = {}  # constraint name -> field its error belongs to
    create_only_fields: tuple[str, ...] = ()  # fields set when a row is created and never changed after

    # From the ModelSerializer this is mixed into.
    Meta: Any
    instance: Any

    def get_validators(self):
        # Only the declared ones: the model's constraints are checked by the model itself below,
        # with the messages it gives them, instead of DRF's generic "must make a unique set".
        return list(getattr(getattr(self, "Meta", None), "validators", None) or [])

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            for name in self.create_only_fields:
                if name in fields:
                    fields[name].read_only = True
        if issubclass(self.Meta.model, Versioned):
            # Optimistic concurrency: read the record's edit version, send it back with a change; a change based
            # on an older version is refused with 409 and the record as it is now (no version sent: no check).
            fields["lock_version"] = serializers.IntegerField(
                min_value=0,
                required=False,
                help_text=_(
                    "The edit version you read. Send it with a change: if someone saved since, the change is "
                    "refused (409) and nothing is written."
                ),
            )
        return fields

    # Building and cleaning

    def model_attrs(self, attrs: Mapping) -> tuple[dict, dict]:
        """Split validated data into the model's own fields and its many-to-many ones (set after saving)."""
        opts = self.Meta.model._meta
        concrete = {f.name for f in opts.concrete_fields}
        many = {f.name for f in opts.many_to_many}
        own = {k: v for k, v in attrs.items() if k in concrete}
        m2m = {k: v for k, v in attrs.items() if k in many}
        return own, m2m

    def build_instance(self, attrs: Mapping) -> Model:
        """The instance the request describes, not saved; the stored row is not touched."""
        model = self.Meta.model
        own, _m2m = self.model_attrs(attrs)
        if self.instance is None:
            return model(**own)
        fields = model._meta.concrete_fields
        instance = model.from_db(
            self.instance._state.db, [f.attname for f in fields], [getattr(self.instance, f.attname) for f in fields]
        )
        for name, value in own.items():
            setattr(instance, name, value)
        return instance

    def get_clean_exclude(self, instance: Model) -> set[str]:
        return set(self.clean_exclude)

    def constraint_error_field(self, constraint: BaseConstraint) -> str:
        if constraint.name in self.constraint_error_fields:
            return self.constraint_error_fields[constraint.name]
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            return constraint.fields[-1]
        condition = getattr(constraint, "condition", None)
        referenced = condition.referenced_base_fields if isinstance(condition, Q) else set()
        if len(referenced) == 1:
            return next(iter(referenced))
        return NON_FIELD_ERRORS

    def clean_instance(self, instance: Model) -> None:
        """Run the model's validation on `instance`; raise DRF's ValidationError with every problem found."""
        exclude = self.get_clean_exclude(instance)
        errors: dict[str, list] = {}
        try:
            instance.full_clean(exclude=exclude, validate_constraints=False)
        except DjangoValidationError as error:
            errors = error.update_error_dict(errors)
        # As Django does: a field that already failed is not checked again by the constraints.
        exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
        using = router.db_for_write(type(instance), instance=instance)
        for model_class, constraints in instance.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, instance, exclude=exclude, using=using)
                except DjangoValidationError as error:
                    errors.setdefault(self.constraint_error_field(constraint), []).extend(error.error_list)
        if errors:
            raise drf_validation_error(DjangoValidationError(errors))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.expected_version = attrs.pop("lock_version", None)
        instance = self.build_instance(attrs)
        self.clean_instance(instance)
        self.built_instance = instance
        return attrs

    # Saving

    def save_instance(self, instance: Model) -> Model:
        """Write the validated instance: every serializer that writes calls its model's service here."""
        raise NotImplementedError(f"{type(self).__name__} writes {type(instance).__name__}: call its service")

    def _write(self, validated_data) -> Model:
        instance = getattr(self, "built_instance", None) or self.build_instance(validated_data)
        _own, m2m = self.model_attrs(validated_data)
        with service_errors(), transaction.atomic():
            if isinstance(instance, Versioned):
                version_claim(instance, expected=getattr(self, "expected_version", None))
            instance = self.save_instance(instance)
            for name, value in m2m.items():
                getattr(instance, name).set(value)
        return instance

    def create(self, validated_data):
        return self._write(validated_data)

    def update(self, instance, validated_data):
        return self._write(validated_data)


class ScopedModelSerializer(JSONTypesMixin, ScopedRelatedFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    """The ModelSerializer of every scoped model: JSON types as the schema says, scoped foreign keys, validated by
    the model."""


# --- Viewsets -------------------------------------------------------------------------------------


class ScopedQuerysetMixin:
    """Every row a viewset serves goes through `restrict(queryset, user, VIEW)`, then the viewset's `rows()` (its
    annotations) and its `order` (a stable order for pages): no viewset rewrites `get_queryset` to scope."""

    order: tuple[str, ...] = ()

    def rows(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self):
        queryset = self.rows(restrict(super().get_queryset(), self.request.user, VIEW))
        return queryset.order_by(*self.order) if self.order else queryset


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """List and read the user's rows; extra actions go through services."""


class ScopedListViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """List the user's rows (bulk endpoints add their own `create`)."""


class ScopedModelViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """A ModelViewSet that serves a user only their clusters' rows (NetBox's `restrict` in its base viewset).

    Reads: every queryset goes through `restrict(queryset, user, VIEW)`: rows of other clusters do
    not exist for the user (404, absent from lists). Writes: a row the user may see but not change
    (`restrict(..., CHANGE)` leaves it out) answers 403. New rows need `may_create_in(user, model,
    cluster)`; so does moving a row to another cluster. Users who may change a row only as its
    owner (the scope rule's `own`, e.g. an enterprise's representative) may change only
    `owner_fields` with PUT/PATCH, may not delete it, and use the row's extra actions.
    After a write the row is read back through `get_queryset()`, so the answer carries the same
    annotations as a read.
    """

    queryset: QuerySet  # every viewset names its rows (a QuerySet, not a Manager)
    owner_fields: frozenset[str] = frozenset()  # what an owner may change with PUT/PATCH
    owner_refusal = _("You may change only these fields of this record: %(fields)s.")

    @property
    def model(self) -> type[Model]:
        return self.queryset.model

    # Who may do what

    def is_cluster_editor(self, obj: Model) -> bool:
        """Whether the user changes `obj` as an editor of its cluster, not only as its owner."""
        return may_create_in(self.request.user, self.model, cluster_id_of(obj))

    def may_create_somewhere(self) -> bool:
        editable = editable_clusters(self.request.user, self.model)
        return editable is None or bool(editable)

    def may_create(self, cluster_id: int | None) -> bool:
        return may_create_in(self.request.user, self.model, cluster_id)

    def may_destroy(self, obj: Model) -> bool:
        return self.is_cluster_editor(obj)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method in SAFE_METHODS:
            return
        if not restrict(self.model._default_manager.filter(pk=obj.pk), request.user, CHANGE).exists():
            self.permission_denied(request, message=_("You may read this record but not change it."))
        if request.method == "DELETE":
            if not self.may_destroy(obj):
                self.permission_denied(request, message=_("You may not delete this record."))
            return
        if request.method in ("PUT", "PATCH") and not self.is_cluster_editor(obj):
            # A body that is not an object changes nothing: the serializer answers it with a 400.
            if isinstance(request.data, Mapping) and set(request.data) - self.owner_fields:
                self.permission_denied(
                    request, message=str(self.owner_refusal) % {"fields": ", ".join(sorted(self.owner_fields))}
                )

    # Writes

    def planned_instance(self, serializer) -> Model:
        """The instance a validated serializer is about to save."""
        built = getattr(serializer, "built_instance", None)
        if built is not None:
            return built
        own = {k: v for k, v in serializer.validated_data.items() if k in {f.name for f in self.model._meta.fields}}
        if serializer.instance is None:
            return self.model(**own)
        instance = self.model._default_manager.get(pk=serializer.instance.pk)
        for name, value in own.items():
            setattr(instance, name, value)
        return instance

    def create(self, request, *args, **kwargs):
        # Refused before validation: a user who may add rows nowhere learns nothing from the answer.
        if not self.may_create_somewhere():
            self.permission_denied(request, message=_("You may not add records of this kind."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        if not self.may_create(cluster_id_of(self.planned_instance(serializer))):
            self.permission_denied(self.request, message=_("You may not add records of this kind in this cluster."))
        serializer.instance = self.reload(serializer.save())  # save_instance() calls the service

    def perform_update(self, serializer):
        target = cluster_id_of(self.planned_instance(serializer))
        if target != cluster_id_of(serializer.instance) and not self.may_create(target):
            self.permission_denied(self.request, message=_("You may not move this record to that cluster."))
        serializer.instance = self.reload(serializer.save())  # save_instance() calls the service

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as error:
            raise Conflict(_("Other records still refer to this one: it cannot be deleted.")) from error

    def respond(self, instance: Model) -> Response:
        """The answer of an extra action: the row, read back after the service changed it."""
        return Response(self.get_serializer(self.reload(instance)).data)

    def reload(self, instance: Model) -> Model:
        """The row as reads show it (annotations, prefetched relations), after a write."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance
