"""Viewsets of the kpi API. Reads go through the scoping helper; writes through the kpi services.

Raw figures and submissions are private to their enterprise: the office reads every enterprise's,
a representative their own, other roles none (they see the KPI values, which are aggregates).
"""

from __future__ import annotations

import heapq
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.api.base import ScopedListViewSet, ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors
from core.api.pagination import PageNumberPagination as StrictPageNumberPagination
from governance.choices import Role
from governance.models import Cluster
from governance.scoping import VIEW, has_role, is_office, may_change, restrict

from .. import selectors, services
from ..choices import Channel, Scope, Trigger
from ..filters import (
    AlertFilterSet,
    ClusterKpiFilterSet,
    DataValueFilterSet,
    KpiValueFilterSet,
    PeriodFilterSet,
    SubmissionFilterSet,
)
from ..models import Alert, AlertContributor, ClusterKpi, DataElement, DataValue, KpiValue, ReportingPeriod, Submission
from ..services.enterprise_values import ORDER_SQL as ENTERPRISE_ORDER
from ..services.enterprise_values import EnterpriseValues
from . import serializers


class RowsPagination(StrictPageNumberPagination):
    """Integrations read figures in large pages: `?page_size=` up to 1 000."""

    page_size_query_param = "page_size"
    max_page_size = 1000


class DataElementViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue of monthly data elements (the same for every cluster)."""

    queryset = DataElement.objects.all()
    serializer_class = serializers.DataElementSerializer
    lookup_field = "code"
    pagination_class = None
    filterset_fields = ["group", "aggregation"]
    ordering_fields = ["position", "code"]


class ClusterKpiViewSet(ScopedModelViewSet):
    """The KPIs of a cluster (`?cluster=`): active or not, target and minimum. The office changes them with PATCH."""

    queryset = ClusterKpi.objects.select_related("kpi")
    serializer_class = serializers.ClusterKpiSerializer
    filterset_class = ClusterKpiFilterSet
    ordering_fields = ["kpi__position", "kpi__code"]
    http_method_names = ["get", "patch", "head", "options"]

    order = ("cluster_id", "kpi__position")


class PeriodViewSet(ScopedReadOnlyViewSet):
    """Reporting periods (months) with their deadline, lock date and status: open, closed or locked."""

    queryset = ReportingPeriod.objects.select_related("cluster")
    serializer_class = serializers.PeriodSerializer
    filterset_class = PeriodFilterSet
    ordering_fields = ["month", "deadline"]

    order = ("cluster_id", "-month")


class SubmissionViewSet(ScopedReadOnlyViewSet):
    """Each enterprise's monthly submission, with the submit, approve and return actions."""

    queryset = Submission.objects.select_related("enterprise", "period__cluster")
    serializer_class = serializers.SubmissionSerializer
    filterset_class = SubmissionFilterSet
    ordering_fields = ["period__month", "submitted_at", "status"]

    order = ("-period__month", "enterprise__name")

    def _respond(self, submission):
        return Response(self.get_serializer(self.get_queryset().get(pk=submission.pk)).data)

    @extend_schema(request=None, responses=serializers.SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Hand the month's figures to the office (every active figure filled, unusual values explained)."""
        with service_errors():
            submission = services.submission_submit(submission=self.get_object(), user=request.user)
        return self._respond(submission)

    @extend_schema(request=serializers.DecideSerializer, responses=serializers.SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve submitted figures (office staff); with `lock_version`, only the figures you read."""
        submission = self.get_object()
        data = serializers.DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors():
            submission = services.submission_approve(
                submission=submission, user=request.user, expected_version=data.validated_data.get("lock_version")
            )
        return self._respond(submission)

    @extend_schema(request=serializers.ReturnSerializer, responses=serializers.SubmissionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """Send the figures back to the enterprise with a reason (office staff); its representatives are told."""
        submission = self.get_object()
        data = serializers.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors():
            submission = services.submission_return(
                submission=submission,
                user=request.user,
                reason=data.validated_data["reason"],
                expected_version=data.validated_data.get("lock_version"),
            )
        return self._respond(submission)


class DataValueViewSet(ScopedListViewSet):
    """Monthly figures: `GET` lists rows; `POST` upserts a batch of rows (see the data-values contract)."""

    queryset = DataValue.objects.select_related("enterprise", "period", "data_element")
    serializer_class = serializers.DataValueSerializer
    filterset_class = DataValueFilterSet
    pagination_class = RowsPagination
    ordering_fields = ["period__month", "enterprise__taxpayer_id", "data_element__position"]

    order = ("-period__month", "enterprise__taxpayer_id", "data_element__position", "pk")

    def get_serializer_class(self):
        return serializers.DataValuesWriteSerializer if self.action == "create" else super().get_serializer_class()

    @extend_schema(
        request=serializers.DataValuesWriteSerializer,
        responses={
            200: serializers.DataValuesResultSerializer,
            400: OpenApiResponse(
                serializers.DataValuesResultSerializer,
                description=_("An atomic batch with a rejected row: nothing was written."),
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """Upsert figures on (enterprise, period, data element); `dry_run` checks only, `atomic` is all or nothing."""
        envelope = serializers.DataValuesWriteSerializer(data=request.data, context={"request": request})
        envelope.is_valid(raise_exception=True)
        malformed = serializers.rows_shape_problems(envelope.validated_data["rows"])
        if malformed:
            # Rows of the wrong kind (a list where a value belongs, a row that is no object) make the body
            # malformed: 400 naming each row and field, nothing written, however `atomic` is set.
            return Response({"rows": malformed}, status=status.HTTP_400_BAD_REQUEST)
        cluster = envelope.validated_data["cluster"]
        if not has_role(request.user, cluster, Role.OFFICE, Role.ENTERPRISE):
            self.permission_denied(request, message=_("You may not report figures in this cluster."))
        result = services.data_values_write(
            cluster=cluster,
            user=request.user,
            rows=envelope.validated_data["rows"],
            channel=Channel.API,
            dry_run=envelope.validated_data["dry_run"],
            atomic=envelope.validated_data["atomic"],
        )
        rejected_batch = envelope.validated_data["atomic"] and bool(result.conflicts)
        return Response(result.as_dict(), status=status.HTTP_400_BAD_REQUEST if rejected_batch else status.HTTP_200_OK)


class _Descending:
    """A sort key's part in reverse."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value


def _sort_value(row: KpiValue, field: str):
    if field == "kpi__position":
        return row.kpi.position
    if field == "enterprise__taxpayer_id":
        return row.enterprise.taxpayer_id if row.enterprise else ""
    return getattr(row, field) or ""


class MergedRows:
    """Stored KPI values and enterprises' values computed on read, as one list in one order that a paginator pages:
    a page [a, b) reads the first b rows of each and merges them; where nothing stored is asked for (scope
    enterprise), the computed page alone, with SQL's OFFSET."""

    def __init__(
        self, stored, computed: EnterpriseValues | None, order: tuple[str, ...], page: tuple[int, int] | None = None
    ) -> None:
        """page: the [start, stop) the request asks for, so that the computed rows are read once, with their
        count, when the paginator first counts."""
        self.stored, self.computed, self.order, self.page = stored, computed, order, page
        self._count: int | None = None
        self._stored: int | None = None
        self._read: tuple[int, int, list[KpiValue]] | None = None  # a slice of the computed rows, read already

    def key(self, row: KpiValue) -> tuple:
        return tuple(
            _Descending(_sort_value(row, o[1:])) if o.startswith("-") else _sort_value(row, o) for o in self.order
        )

    def count(self) -> int:
        if self._count is None:
            self._stored = self.stored.count()
            computed = 0
            if self.computed is not None and self.page is not None:
                start, stop = (self.page[0], self.page[1]) if self._stored == 0 else (0, self.page[1])
                rows, computed = self.computed.head(stop - start, offset=start)
                self._read = (start, stop, rows)
            elif self.computed is not None:
                computed = self.computed.count()
            self._count = self._stored + computed
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _computed(self, start: int, stop: int) -> list[KpiValue]:
        if self.computed is None:
            return []
        if self._read is not None and self._read[0] == start and stop <= self._read[1]:
            return self._read[2][: stop - start]
        return self.computed.head(stop - start, offset=start)[0]

    def __getitem__(self, index: slice) -> list[KpiValue]:
        if not isinstance(index, slice) or index.stop is None:
            raise TypeError("KPI values are read a page at a time")
        start = index.start or 0
        if self._stored == 0:
            return self._computed(start, index.stop)
        stored = list(self.stored[: index.stop])
        return list(heapq.merge(stored, self._computed(0, index.stop), key=self.key))[index]


class KpiValueViewSet(ScopedListViewSet):
    """KPI values per cluster, period, scope, link and enterprise (read only; computed by the platform).

    An enterprise reads its own rows and the cluster and link rows over at least three enterprises;
    the office reads every row. `POST recompute/` queues a period's recomputation (office staff).
    """

    queryset = KpiValue.objects.select_related("kpi", "enterprise")
    serializer_class = serializers.KpiValueSerializer
    filterset_class = KpiValueFilterSet
    pagination_class = RowsPagination
    ordering_fields = ["period_start", "kpi__position", "scope", "link"]

    order = ("period_start", "period_kind", "kpi__position", "scope", "link", "enterprise__taxpayer_id")

    def rows(self, queryset):
        return selectors.with_coverage(queryset)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    @cached_property
    def now(self):
        return timezone.now()

    def _page_asked(self, request) -> tuple[int, int] | None:
        """The [start, stop) of the page asked for (None: not a page number)."""
        size = self.paginator.get_page_size(request) if isinstance(self.paginator, PageNumberPagination) else None
        number = request.query_params.get("page", "1")
        if not size or not number.isdigit() or int(number) < 1:
            return None
        return (int(number) - 1) * size, int(number) * size

    def list(self, request, *args, **kwargs):
        """Cluster and link values are stored; enterprises' own values are computed for the page asked for, and
        merged with the stored rows in the same order."""
        stored = self.filter_queryset(self.get_queryset())
        filters = DjangoFilterBackend().get_filterset(request, self.get_queryset(), self)
        # The backend let an invalid filter through only where it names a row the caller cannot see: nothing matches.
        matches_nothing = filters is not None and not filters.is_valid()
        asked = {} if filters is None or matches_nothing else filters.form.cleaned_data
        order = tuple(stored.query.order_by) or self.order
        computed = None
        if not matches_nothing and asked.get("scope") in (None, "", Scope.ENTERPRISE):
            computed = selectors.enterprise_kpi_values(
                request.user,
                cluster=asked.get("cluster"),
                kpi_code=asked.get("kpi") or None,
                period=asked.get("period") or None,
                period_kind=asked.get("period_kind") or None,
                link=asked.get("link") or None,
                taxpayer_id=asked.get("enterprise") or None,
                status=asked.get("status") or None,
                provisional=asked.get("provisional"),
                order=tuple(o for o in order if o.lstrip("-") in ENTERPRISE_ORDER),
                now=self.now,
            )
        page = self.paginate_queryset(MergedRows(stored, computed, order, page=self._page_asked(request)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=serializers.RecomputeSerializer, responses={202: serializers.RecomputedSerializer})
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        """Queue the recomputation of a cluster's month or quarter (runs at once where tasks run in-process)."""
        data = serializers.RecomputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cluster = restrict(Cluster.objects.filter(pk=data.validated_data["cluster"]), request.user, VIEW).first()
        if cluster is None:
            raise ValidationError({"cluster": [_("There is no such cluster.")]})
        if not is_office(request.user, cluster):
            self.permission_denied(request, message=_("Only the cluster office recomputes KPIs."))
        with service_errors():
            key = services.kpi_values_recompute(
                cluster=cluster, span=data.validated_data["period"], trigger=Trigger.API
            )
        body = {"cluster": cluster.pk, "period": key, "queued": True}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class AlertViewSet(ScopedReadOnlyViewSet):
    """Alerts of KPIs below their minimum (`?cluster=&status=&kpi=&link=`); `POST {id}/action-item/` makes one
    an action item of its working group (office staff and the group's members)."""

    queryset = Alert.objects.select_related("kpi")
    serializer_class = serializers.AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["period_start", "opened_at"]

    order = ("status", "-period_start", "pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["visible_contributors"] = getattr(self, "_contributors", {})
        return context

    def _load_contributors(self, alerts) -> None:
        rows = restrict(
            AlertContributor.objects.filter(alert__in=[a.pk for a in alerts]), self.request.user, VIEW
        ).select_related("enterprise", "alert")
        self._contributors: dict[int, list[AlertContributor]] = {}
        for row in rows.order_by("alert_id", "rank"):
            self._contributors.setdefault(row.alert_id, []).append(row)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._load_contributors(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        alert = self.get_object()
        self._load_contributors([alert])
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=None, responses={201: OpenApiResponse(description=_("The new action item's id."))})
    @action(detail=True, methods=["post"], url_path="action-item")
    def action_item(self, request, pk=None):
        alert = self.get_object()
        if not may_change(request.user, alert):
            self.permission_denied(
                request, message=_("Only the office and the working group's members act on an alert.")
            )
        with service_errors():
            item = services.alert_to_action_item(alert=alert, user=request.user)
        return Response({"action_item": item.pk}, status=status.HTTP_201_CREATED)
