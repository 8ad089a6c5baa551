"""Cooperation contracts (the value chain as a graph) and the shared-services centre (a queue with promises)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from governance.choices import Role
from portfolio import selectors, services
from portfolio.models import CooperationContract, Service, ServiceRequest
from tests.governance.factories import EnterpriseFactory, user_with_role

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 2)


@pytest.fixture
def office(cluster):
    return user_with_role(cluster, Role.OFFICE)


@pytest.fixture
def chain(cluster):
    farm, gin, mill = (EnterpriseFactory(cluster=cluster, name=n) for n in ("Farm", "Gin", "Mill"))
    return farm, gin, mill


def contract(cluster, supplier, buyer, value="100", start=datetime.date(2025, 1, 1), end=None):
    return CooperationContract.objects.create(
        cluster=cluster,
        supplier=supplier,
        buyer=buyer,
        subject="Raw cotton",
        annual_value=Decimal(value),
        start_date=start,
        end_date=end,
    )


def test_a_contract_binds_two_participants_of_the_cluster(cluster, other_cluster, office, chain):
    farm, gin, _mill = chain
    ok = CooperationContract(
        cluster=cluster, supplier=farm, buyer=gin, subject="Cotton", annual_value=1, start_date=TODAY
    )
    assert services.contract_save(contract=ok, user=office).pk
    for supplier, buyer, end in (
        (farm, farm, None),
        (farm, EnterpriseFactory(cluster=other_cluster), None),
        (farm, gin, TODAY - datetime.timedelta(days=1)),
    ):
        bad = CooperationContract(
            cluster=cluster, supplier=supplier, buyer=buyer, subject="x", annual_value=1, start_date=TODAY, end_date=end
        )
        with pytest.raises(ValidationError):
            services.contract_save(contract=bad, user=office)
    with pytest.raises(PermissionDenied):
        services.contract_save(contract=ok, user=user_with_role(cluster, Role.COUNCIL))
    with pytest.raises(IntegrityError), transaction.atomic():
        CooperationContract.objects.filter(pk=ok.pk).update(buyer=farm)


def test_the_network_sums_contracts_in_force_between_each_pair(cluster, office, chain):
    farm, gin, mill = chain
    contract(cluster, farm, gin, "100")
    contract(cluster, farm, gin, "50")
    contract(cluster, gin, mill, "70")
    contract(cluster, gin, mill, "999", end=datetime.date(2025, 3, 1))  # ended
    edges = selectors.value_chain_network(user=office, cluster=cluster, on=TODAY)
    assert [(e.supplier_id, e.buyer_id, e.value, e.contracts) for e in edges] == [
        (farm.pk, gin.pk, Decimal("150"), 2),
        (gin.pk, mill.pk, Decimal("70"), 1),
    ]
    suppliers, buyers = selectors.enterprise_partners(user=office, enterprise=gin, on=TODAY)
    assert [(s["supplier__name"], s["value"]) for s in suppliers] == [("Farm", Decimal("150"))]
    assert [(b["buyer__name"], b["value"]) for b in buyers] == [("Mill", Decimal("70"))]


def test_a_party_reads_its_own_contracts_and_the_council_all(cluster, other_cluster, chain):
    farm, gin, mill = chain
    own = contract(cluster, farm, gin)
    contract(cluster, gin, mill)
    farmer = user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm])
    assert list(selectors.contracts_in_force(user=farmer, cluster=cluster, on=TODAY)) == [own]
    council = user_with_role(cluster, Role.COUNCIL)
    assert selectors.contracts_in_force(user=council, cluster=cluster, on=TODAY).count() == 2
    outsider = user_with_role(other_cluster, Role.OFFICE)
    assert not selectors.contracts_in_force(user=outsider, cluster=cluster, on=TODAY).exists()


@pytest.fixture
def lab(cluster, chain):
    return Service.objects.create(cluster=cluster, name="Fibre test", price=Decimal("2"), turnaround_days=5)


def test_an_enterprise_requests_a_service_with_a_promised_date(cluster, office, chain, lab):
    farm, gin, _mill = chain
    farmer = user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm])
    request = services.service_request_create(service=lab, enterprise=farm, user=farmer, now=NOW)
    assert request.due_at == NOW + datetime.timedelta(days=5)
    with pytest.raises(PermissionDenied):
        services.service_request_create(service=lab, enterprise=gin, user=farmer, now=NOW)
    assert services.service_request_create(service=lab, enterprise=gin, user=office, now=NOW).pk
    lab.is_active = False
    lab.save()
    with pytest.raises(ValidationError):
        services.service_request_create(service=lab, enterprise=farm, user=farmer, now=NOW)


def test_the_queue_serves_priority_first_then_arrival(cluster, office, chain, lab, monkeypatch):
    farm, gin, mill = chain
    tiers = {mill.pk: 2}
    monkeypatch.setattr(services, "_PRIORITY", [lambda ids: {i: tiers.get(i, 0) for i in ids}])
    first = services.service_request_create(service=lab, enterprise=farm, user=office, now=NOW)
    second = services.service_request_create(
        service=lab, enterprise=gin, user=office, now=NOW + datetime.timedelta(hours=1)
    )
    third = services.service_request_create(
        service=lab, enterprise=mill, user=office, now=NOW + datetime.timedelta(hours=2)
    )
    assert list(selectors.service_queue(user=office, cluster=cluster)) == [third, first, second]


def test_requests_move_along_their_states_and_missed_promises_are_counted(cluster, office, chain, lab):
    farm, gin, _mill = chain
    on_time = services.service_request_create(service=lab, enterprise=farm, user=office, now=NOW)
    late = services.service_request_create(service=lab, enterprise=gin, user=office, now=NOW)
    open_late = services.service_request_create(service=lab, enterprise=gin, user=office, now=NOW)
    with pytest.raises(ValidationError):
        services.service_request_move(request=on_time, to="done", user=office)
    for request, days in ((on_time, 2), (late, 9)):
        services.service_request_move(request=request, to="in_progress", user=office)
        services.service_request_move(request=request, to="done", user=office, now=NOW + datetime.timedelta(days=days))
    record = selectors.service_record(user=office, cluster=cluster, now=NOW + datetime.timedelta(days=10))[lab.pk]
    assert (record.requests, record.done, record.missed) == (3, 2, 2)
    assert record.mean_turnaround_days == pytest.approx(5.5)
    assert open_late.status == "requested"
    farmer = user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm])
    with pytest.raises(PermissionDenied):
        services.service_request_move(request=open_late, to="cancelled", user=farmer)


def test_the_provider_enterprise_works_its_requests_and_each_firm_sees_only_its_own(cluster, chain):
    farm, gin, mill = chain
    spinning = Service.objects.create(
        cluster=cluster, name="Spinning trial", provider=mill, price=Decimal("5"), turnaround_days=3
    )
    office = user_with_role(cluster, Role.OFFICE)
    request = services.service_request_create(service=spinning, enterprise=farm, user=office, now=NOW)
    services.service_request_create(service=spinning, enterprise=gin, user=office, now=NOW)
    provider = user_with_role(cluster, Role.ENTERPRISE, enterprises=[mill])
    assert services.service_request_move(request=request, to="in_progress", user=provider).status == "in_progress"
    farmer = user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm])
    assert list(selectors.service_queue(user=farmer, cluster=cluster)) == [request]


def test_service_use_per_enterprise_counts_requests_in_the_period(cluster, office, chain, lab):
    farm, gin, _mill = chain
    services.service_request_create(service=lab, enterprise=farm, user=office, now=NOW)
    services.service_request_create(service=lab, enterprise=farm, user=office, now=NOW)
    cancelled = services.service_request_create(service=lab, enterprise=gin, user=office, now=NOW)
    services.service_request_move(request=cancelled, to="cancelled", user=office)
    services.service_request_create(service=lab, enterprise=gin, user=office, now=NOW - datetime.timedelta(days=90))
    use = selectors.service_use(
        clusters=[cluster], start=NOW - datetime.timedelta(days=30), end=NOW + datetime.timedelta(days=1)
    )
    assert use == {farm.pk: 2}
    assert ServiceRequest.objects.count() == 4
