"""Every write goes through a service (ARCHITECTURE.md): generic pages and API serializers name theirs, and what
a service adds to a write (the KPI rows of a new cluster, the draft-only rule of a regulation) happens whichever
way the write comes in."""

import datetime
import inspect

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.api.base import ModelCleanMixin, ScopedModelViewSet
from core.generic import ScopedFormMixin
from governance import services
from governance.choices import RegulationKind, RegulationStatus
from governance.models import Cluster, Regulation
from kpi.models import ClusterKpi, Kpi
from tests.governance.factories import DecisionFactory, UserFactory
from tests.governance.test_api import API, token_client


def subclasses(base: type) -> set[type]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub, *subclasses(sub)}
    return found


def test_every_generic_page_that_writes_names_its_service():
    silent = sorted(
        view.__qualname__
        for view in subclasses(ScopedFormMixin)
        if view.__module__.split(".")[0] != "core" and view.save is ScopedFormMixin.save
    )
    assert silent == []


def test_every_writable_api_serializer_names_its_service():
    import cluster_platform.api_urls  # noqa: F401  (loads every app's viewsets)

    silent = []
    for viewset in subclasses(ScopedModelViewSet):
        if not {"post", "put", "patch"} & set(viewset.http_method_names):
            continue
        serializer = viewset.serializer_class
        if inspect.getattr_static(serializer, "save_instance") is ModelCleanMixin.__dict__["save_instance"]:
            silent.append(viewset.__qualname__)
    assert silent == []


START = {"name": "Navoiy klasteri", "sector": "Paxta", "region": "Navoiy", "start_date": "2026-01-01"}


@pytest.mark.django_db
def test_a_cluster_added_on_the_page_gets_its_kpi_rows(client, kpi_catalogue):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("governance:cluster_create"), {**START, "currency": "UZS", "time_zone": "Asia/Tashkent"}
    )
    assert response.status_code == 302, response.content
    cluster = Cluster.objects.get(name=START["name"])
    assert ClusterKpi.objects.filter(cluster=cluster).count() == Kpi.objects.count() > 0


@pytest.mark.django_db
def test_a_cluster_added_through_the_api_gets_its_kpi_rows(kpi_catalogue):
    admin = token_client(UserFactory(is_superuser=True, is_staff=True))
    response = admin.post(f"{API}/clusters/", START, format="json")
    assert response.status_code == 201, response.content
    assert ClusterKpi.objects.filter(cluster_id=response.json()["id"]).count() == Kpi.objects.count() > 0


@pytest.mark.django_db
def test_the_regulation_service_saves_a_draft_and_refuses_to_change_an_approved_one(cluster):
    draft = services.regulation_save(
        regulation=Regulation(cluster=cluster, kind=RegulationKind.COUNCIL, title="Nizom", version=1)
    )
    assert Regulation.objects.get(pk=draft.pk).title == "Nizom"
    decision = DecisionFactory(meeting__body__cluster=cluster)
    Regulation.objects.filter(pk=draft.pk).update(
        status=RegulationStatus.APPROVED, approved_by=decision, effective_from=datetime.date(2026, 1, 1)
    )
    stale = Regulation.objects.get(pk=draft.pk)
    stale.title = "Nizom (yangi tahrir)"
    with pytest.raises(ValidationError):
        services.regulation_save(regulation=stale)
    assert Regulation.objects.get(pk=draft.pk).title == "Nizom"
