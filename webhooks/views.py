"""The office's webhook pages: its endpoints, their deliveries with every attempt's answer, and the buttons to
send again, test, switch on again and change the secret."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import apply_validation_error, get_scoped_or_404
from governance.scoping import CHANGE, require_office, restrict
from governance.selectors import current_cluster_or_404

from . import services
from .forms import EndpointForm
from .models import Attempt, Delivery, DeliveryState, Endpoint

DELIVERIES_SHOWN = 50


def _context(cluster, **extra) -> dict:
    return {"section": "webhooks", "cluster": cluster, **extra}


@login_required
def endpoint_list(request):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    endpoints = (
        restrict(Endpoint.objects.filter(cluster=cluster), request.user)
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DELIVERED)),
            failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
            waiting=Count(
                "deliveries", filter=Q(deliveries__state__in=[DeliveryState.PENDING, DeliveryState.RETRYING])
            ),
        )
        .order_by("url")
    )
    return render(request, "webhooks/endpoint_list.html", _context(cluster, endpoints=endpoints))


@login_required
def endpoint_edit(request, pk: int | None = None):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    endpoint = (
        get_scoped_or_404(Endpoint, request.user, pk, CHANGE, base=Endpoint.objects.filter(cluster=cluster))
        if pk is not None
        else Endpoint(cluster=cluster)
    )
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_save(endpoint=form.save(commit=False), user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect(endpoint)
    return render(request, "webhooks/endpoint_form.html", _context(cluster, endpoint=endpoint, form=form))


@login_required
def endpoint_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    endpoint = get_scoped_or_404(Endpoint, request.user, pk, base=Endpoint.objects.filter(cluster=cluster))
    deliveries = list(
        endpoint.deliveries.select_related("sent_again_by").prefetch_related(
            Prefetch("attempt_set", queryset=Attempt.objects.order_by("-at", "-pk"))
        )[:DELIVERIES_SHOWN]
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        _context(cluster, endpoint=endpoint, deliveries=deliveries, shown=DELIVERIES_SHOWN),
    )


@login_required
def delivery_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    delivery = get_scoped_or_404(
        Delivery, request.user, pk, base=Delivery.objects.filter(cluster=cluster).select_related("endpoint")
    )
    attempts = delivery.attempt_set.order_by("-at", "-pk")
    return render(request, "webhooks/delivery_detail.html", _context(cluster, delivery=delivery, attempts=attempts))


def _tell(request, delivery: Delivery, text: str) -> None:
    """What came of a delivery sent by hand: a success if the endpoint took it, a warning otherwise."""
    delivery.refresh_from_db()
    said = messages.success if delivery.state == DeliveryState.DELIVERED else messages.warning
    said(request, text % {"state": delivery.get_state_display()})


def _endpoint_to_change(request, pk: int) -> Endpoint:
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    return get_scoped_or_404(Endpoint, request.user, pk, CHANGE, base=Endpoint.objects.filter(cluster=cluster))


@login_required
@require_POST
def delivery_send_again(request, pk: int):
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    delivery = get_scoped_or_404(Delivery, request.user, pk, CHANGE, base=Delivery.objects.filter(cluster=cluster))
    if not delivery.endpoint.active:
        messages.error(request, _("The endpoint is switched off: switch it on again first."))
        return redirect(delivery.endpoint)
    _tell(request, services.delivery_send_again(delivery=delivery, user=request.user), _("Sent again: %(state)s."))
    return redirect(delivery.endpoint)


@login_required
@require_POST
def endpoint_ping(request, pk: int):
    endpoint = _endpoint_to_change(request, pk)
    if not endpoint.active:
        messages.error(request, _("The endpoint is switched off: switch it on again first."))
        return redirect(endpoint)
    _tell(request, services.endpoint_ping(endpoint=endpoint, user=request.user), _("Test event sent: %(state)s."))
    return redirect(endpoint)


@login_required
@require_POST
def endpoint_switch_on(request, pk: int):
    endpoint = services.endpoint_switch_on(endpoint=_endpoint_to_change(request, pk))
    messages.success(request, _("The endpoint is switched on; new events go to it again."))
    return redirect(endpoint)


@login_required
@require_POST
def endpoint_new_secret(request, pk: int):
    endpoint = services.endpoint_new_secret(endpoint=_endpoint_to_change(request, pk))
    messages.success(request, _("A new signing secret is set: give it to the receiving system."))
    return redirect(endpoint)


@login_required
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = _endpoint_to_change(request, pk)
    endpoint.delete()
    messages.success(request, _("The endpoint and its deliveries are deleted."))
    return redirect("webhooks:endpoint_list")
