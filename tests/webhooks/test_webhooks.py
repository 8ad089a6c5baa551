"""Webhooks: events become signed deliveries of the cluster's endpoints, tried again with growing pauses, logged
with their answers, sent again by hand; an endpoint that keeps failing is switched off and the office is told."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.server
import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.events import Event, emit
from governance.choices import NotificationKind, Role
from governance.models import Notification
from tests.governance.factories import ClusterRoleFactory, UserFactory, user_with_role
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryState, Endpoint


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers with the statuses it is given."""

    def __init__(self, statuses=(200,)):
        self.received: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(f"answer {status}".encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local(settings):
    settings.WEBHOOKS_ALLOW_LOCAL = True
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_DISABLE_AFTER = 2


@pytest.fixture
def receiver(local):
    receiver = Receiver()
    yield receiver
    receiver.close()


def endpoint_for(cluster, url, events=(Event.FIGURES_SUBMITTED, Event.DECISION_TAKEN), **fields):
    return services.endpoint_save(endpoint=Endpoint(cluster=cluster, url=url, events=list(events), **fields))


# --- Addresses --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.uz/hook",  # not HTTPS
        "https://127.0.0.1/hook",  # this machine
        "https://10.0.0.5/hook",  # the internal network
        "https://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "https://localhost/hook",
        "https://user:secret@erp.example.uz/hook",  # credentials in the address
        "ftp://erp.example.uz/hook",
    ],
)
def test_an_endpoint_must_be_public_https(cluster, url):
    with pytest.raises(ValidationError):
        endpoint_for(cluster, url)
    assert not Endpoint.objects.exists()


def test_an_endpoint_needs_known_events_and_gets_its_own_secret(cluster):
    with pytest.raises(ValidationError):
        endpoint_for(cluster, "https://erp.example.uz/hook", events=[])
    with pytest.raises(ValidationError):
        endpoint_for(cluster, "https://erp.example.uz/hook", events=["figures.deleted"])
    first = endpoint_for(cluster, "https://erp.example.uz/hook")
    second = endpoint_for(cluster, "https://erp.example.uz/other")
    assert len(first.secret) == 64 and first.secret != second.secret


# --- Recording --------------------------------------------------------------------------------------------------


def test_an_event_is_recorded_for_each_active_endpoint_of_its_cluster_that_follows_it(cluster, other_cluster):
    follows = endpoint_for(cluster, "https://erp.example.uz/a")
    endpoint_for(cluster, "https://erp.example.uz/b", events=[Event.ALERT_OPENED])  # another event
    endpoint_for(cluster, "https://erp.example.uz/c", active=False)  # switched off
    endpoint_for(other_cluster, "https://erp.example.uz/d")  # another cluster
    emit(cluster_id=cluster.pk, event=Event.FIGURES_SUBMITTED, data={"submission": 7, "period": "2026-03"})
    delivery = Delivery.objects.get()
    assert delivery.endpoint == follows and delivery.state == DeliveryState.PENDING
    body = json.loads(delivery.body)
    assert body["event"] == "figures.submitted" and body["cluster"] == cluster.pk and body["id"] == delivery.event_id
    assert body["data"] == {"submission": 7, "period": "2026-03"}


def test_a_change_rolled_back_sends_nothing(cluster, django_capture_on_commit_callbacks):
    from django.db import transaction

    endpoint_for(cluster, "https://erp.example.uz/a")
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            emit(cluster_id=cluster.pk, event=Event.FIGURES_SUBMITTED, data={})
            raise RuntimeError
    assert not Delivery.objects.exists() and callbacks == []


def test_a_decision_taken_is_announced_with_its_number_not_its_text(cluster, django_capture_on_commit_callbacks):
    from governance import services as governance
    from governance.models import Decision
    from tests.governance.factories import body_with_members, meeting_with_attendance

    endpoint_for(cluster, "https://erp.example.uz/a")
    council, members = body_with_members(cluster, members=3)
    meeting = meeting_with_attendance(council, members, present=3)
    decision = governance.decision_save(
        decision=Decision(meeting=meeting, title="Yangi navlarni sinash", votes_for=3, kind="operational")
    )
    body = json.loads(Delivery.objects.get(event=Event.DECISION_TAKEN).body)
    assert body["data"]["decision"] == decision.pk and body["data"]["number"] == decision.number
    assert "Yangi navlarni" not in json.dumps(body)
    governance.decision_save(decision=decision)  # changed later: not taken again
    assert Delivery.objects.filter(event=Event.DECISION_TAKEN).count() == 1


# --- Sending ----------------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_logged_with_the_answer(cluster, receiver, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(cluster, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        emit(cluster_id=cluster.pk, event=Event.FIGURES_SUBMITTED, data={"submission": 1})
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1 and delivery.delivered_at
    (sent,) = receiver.received
    assert sent["body"] == delivery.body
    assert sent["headers"]["X-Cluster-Event"] == "figures.submitted"
    assert sent["headers"]["X-Cluster-Event-Id"] == delivery.event_id
    # The receiver's check, written from the documentation: HMAC-SHA256 of "<time>.<body>" with the secret.
    parts = dict(part.split("=", 1) for part in sent["headers"]["X-Cluster-Signature"].split(","))
    expected = hmac.new(endpoint.secret.encode(), f"{parts['t']}.{sent['body']}".encode(), hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())
    assert abs(int(parts["t"]) - timezone.now().timestamp()) < 60
    attempt = Attempt.objects.get()
    assert attempt.status_code == 200 and attempt.answer == "answer 200" and attempt.succeeded


def test_a_failing_endpoint_is_tried_again_with_growing_pauses_then_switched_off(
    cluster, local, django_capture_on_commit_callbacks
):
    office = user_with_role(cluster, Role.OFFICE)
    receiver = Receiver(statuses=[500])
    try:
        endpoint = endpoint_for(cluster, receiver.url)
        start = timezone.now()
        for _ in range(2):  # two deliveries, each tried WEBHOOK_MAX_ATTEMPTS (3) times
            with django_capture_on_commit_callbacks(execute=True):
                emit(cluster_id=cluster.pk, event=Event.FIGURES_SUBMITTED, data={})
        deliveries = list(Delivery.objects.order_by("pk"))
        assert [d.state for d in deliveries] == [DeliveryState.RETRYING] * 2
        first = deliveries[0]
        assert datetime.timedelta(seconds=50) < first.next_attempt_at - start < datetime.timedelta(seconds=70)

        # Not yet due: nothing is sent.
        assert services.delivery_attempt(delivery_id=first.pk, now=start + datetime.timedelta(seconds=10)) is None
        moments = [start + datetime.timedelta(minutes=2), start + datetime.timedelta(minutes=10)]
        for now in moments:
            for delivery in deliveries:
                services.delivery_attempt(delivery_id=delivery.pk, now=now)
        first.refresh_from_db()
        assert first.state == DeliveryState.FAILED and first.attempts == 3
        gaps = list(Attempt.objects.filter(delivery=first).order_by("at").values_list("status_code", flat=True))
        assert gaps == [500, 500, 500]
        endpoint.refresh_from_db()
        assert not endpoint.active and endpoint.failures_in_a_row == 2 and endpoint.disabled_at
        told = Notification.objects.get(kind=NotificationKind.WEBHOOK_SWITCHED_OFF)
        assert told.recipient == office and receiver.url in told.text
        # Switched off: a new event is not recorded for it.
        with django_capture_on_commit_callbacks(execute=True):
            emit(cluster_id=cluster.pk, event=Event.FIGURES_SUBMITTED, data={})
        assert Delivery.objects.count() == 2
    finally:
        receiver.close()


def test_the_pause_doubles_up_to_six_hours(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.backoff(30) == datetime.timedelta(hours=6)


def test_a_delivery_is_sent_once_even_if_two_workers_take_it(cluster, local):
    endpoint = endpoint_for(cluster, "http://127.0.0.1:9/never")
    delivery = Delivery.objects.create(endpoint=endpoint, cluster=cluster, event=Event.PING, event_id="x", body="{}")
    now = timezone.now()
    first = services.delivery_attempt(delivery_id=delivery.pk, now=now)
    assert first is not None and first.attempts == 1
    # The second worker, a moment later, finds it no longer due.
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now + datetime.timedelta(seconds=1)) is None


def test_the_sweep_finds_retries_due_and_lost_deliveries(cluster, local):
    endpoint = endpoint_for(cluster, "http://127.0.0.1:9/never")
    now = timezone.now()

    def make(**fields):
        fields = {"event": Event.PING, "event_id": "x", "body": "{}", **fields}
        return Delivery.objects.create(endpoint=endpoint, cluster=cluster, **fields)

    due = make(state=DeliveryState.RETRYING, next_attempt_at=now - datetime.timedelta(seconds=1))
    lost = make(created_at=now - datetime.timedelta(minutes=6))  # its task never ran
    make(state=DeliveryState.RETRYING, next_attempt_at=now + datetime.timedelta(minutes=1))  # not yet
    make(created_at=now)  # its task is on its way
    make(state=DeliveryState.DELIVERED)
    make(state=DeliveryState.FAILED)
    assert sorted(services.deliveries_due(now=now)) == sorted([due.pk, lost.pk])


# --- The office's pages -----------------------------------------------------------------------------------------


def test_the_office_registers_an_endpoint_tests_it_and_sends_a_delivery_again(
    client, cluster, receiver, django_capture_on_commit_callbacks
):
    office = user_with_role(cluster, Role.OFFICE)
    client.force_login(office)
    answer = client.post(
        reverse("webhooks:endpoint_create"),
        {"url": receiver.url, "description": "ERP", "events": ["figures.submitted", "alert.opened"]},
    )
    endpoint = Endpoint.objects.get()
    assert answer.status_code == 302 and answer.url == endpoint.get_absolute_url()
    assert endpoint.events == ["figures.submitted", "alert.opened"] and endpoint.created_by == office
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:endpoint_ping", args=[endpoint.pk]))
    ping = Delivery.objects.get()
    assert ping.event == Event.PING and ping.state == DeliveryState.DELIVERED and len(receiver.received) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:delivery_send_again", args=[ping.pk]))
    again = Delivery.objects.exclude(pk=ping.pk).get()
    assert again.event_id == ping.event_id and again.body == ping.body and again.sent_again_by == office
    assert len(receiver.received) == 2
    page = client.get(endpoint.get_absolute_url())
    assert page.status_code == 200 and page.content.decode().count("answer 200") == 0  # the status, not the text
    assert b'id="deliveries"' in page.content and page.content.count(b"delivery-") >= 2
    detail = client.get(ping.get_absolute_url())
    assert detail.status_code == 200 and b"answer 200" in detail.content


def test_a_wrong_address_is_refused_with_a_message_and_nothing_saved(client, cluster):
    client.force_login(user_with_role(cluster, Role.OFFICE))
    answer = client.post(
        reverse("webhooks:endpoint_create"), {"url": "http://erp.example.uz/hook", "events": ["figures.submitted"]}
    )
    assert answer.status_code == 200 and b"HTTPS" in answer.content and not Endpoint.objects.exists()


def test_only_the_clusters_office_sees_its_webhooks(client, cluster, other_cluster):
    endpoint = endpoint_for(cluster, "https://erp.example.uz/a")
    for role in (Role.COUNCIL, Role.WORKING_GROUP, Role.ENTERPRISE, Role.VIEWER):
        client.force_login(user_with_role(cluster, role))
        assert client.get(reverse("webhooks:endpoint_list")).status_code == 403
        assert client.get(endpoint.get_absolute_url()).status_code == 403
    stranger = UserFactory()
    ClusterRoleFactory(cluster=other_cluster, user=stranger, role=Role.OFFICE)
    client.force_login(stranger)
    assert client.get(endpoint.get_absolute_url()).status_code == 404
    assert client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk])).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_each_mistake_in_the_form_is_said_once(client, cluster):
    client.force_login(user_with_role(cluster, Role.OFFICE))
    answer = client.post(reverse("webhooks:endpoint_create"), {"url": "", "events": []})
    form = answer.context["form"]
    assert len(form.errors["url"]) == 1 and len(form.errors["events"]) == 1
    endpoint_for(cluster, "https://erp.example.uz/a")
    again = client.post(reverse("webhooks:endpoint_create"), {"url": "https://erp.example.uz/a", "events": ["ping"]})
    assert again.status_code == 200 and Endpoint.objects.count() == 1  # "ping" is no event to follow
    twice = client.post(
        reverse("webhooks:endpoint_create"), {"url": "https://erp.example.uz/a", "events": ["figures.submitted"]}
    )
    assert "registered already" in " ".join(twice.context["form"].non_field_errors())
