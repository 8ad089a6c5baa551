"""Pages of the cooperation contracts and the shared-services centre: who sees and does what."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.choices import Role
from portfolio.models import CooperationContract, Service, ServiceRequest
from tests.governance.factories import EnterpriseFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(cluster):
    farm = EnterpriseFactory(cluster=cluster, name="Farm", value_chain_link="supply")
    gin = EnterpriseFactory(cluster=cluster, name="Gin", value_chain_link="processing")
    mill = EnterpriseFactory(cluster=cluster, name="Mill", value_chain_link="processing")
    for supplier, buyer, value in ((farm, gin, "900"), (gin, mill, "400")):
        CooperationContract.objects.create(
            cluster=cluster,
            supplier=supplier,
            buyer=buyer,
            subject="Cotton",
            annual_value=Decimal(value),
            start_date=datetime.date(2024, 1, 1),
        )
    return farm, gin, mill


def test_the_council_sees_the_network_and_a_party_only_its_contracts(client, cluster, chain):
    farm, gin, mill = chain
    client.force_login(user_with_role(cluster, Role.COUNCIL))
    page = client.get(reverse("portfolio:contracts"))
    assert len(page.context["contracts"]) == 2 and page.context["total"] == Decimal("1300")
    assert '"type":"scatter"' in page.content.decode()
    partners = client.get(reverse("portfolio:enterprise_partners", args=[gin.pk])).context
    assert [s["supplier__name"] for s in partners["suppliers"]] == ["Farm"]
    assert [b["buyer__name"] for b in partners["buyers"]] == ["Mill"]
    client.force_login(user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm]))
    assert [c.buyer for c in client.get(reverse("portfolio:contracts")).context["contracts"]] == [gin]


def test_the_office_registers_a_contract_and_a_bad_one_is_refused_at_its_field(client, cluster, chain):
    farm, gin, mill = chain
    client.force_login(user_with_role(cluster, Role.COUNCIL))
    assert client.get(reverse("portfolio:contract_create")).status_code == 403
    client.force_login(user_with_role(cluster, Role.OFFICE))
    form = {"supplier": farm.pk, "buyer": mill.pk, "subject": "Yarn", "annual_value": "-3", "start_date": "2025-01-01"}
    refused = client.post(reverse("portfolio:contract_create"), form)
    assert refused.status_code == 200 and "annual_value" in refused.context["form"].errors
    assert client.post(reverse("portfolio:contract_create"), {**form, "annual_value": "3"}).status_code == 302
    assert CooperationContract.objects.count() == 3


def test_an_enterprise_requests_a_service_and_the_provider_works_the_queue(client, cluster, other_cluster, chain):
    farm, gin, mill = chain
    lab = Service.objects.create(cluster=cluster, name="Fibre test", provider=mill, price=2, turnaround_days=5)
    client.force_login(user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm]))
    form = client.get(reverse("portfolio:services")).context["form"]
    assert list(form.fields["enterprise"].queryset) == [farm]
    client.post(reverse("portfolio:services"), {"service": lab.pk, "enterprise": gin.pk})  # not theirs
    assert not ServiceRequest.objects.exists()
    response = client.post(reverse("portfolio:services"), {"service": lab.pk, "enterprise": farm.pk, "note": "Lot 7"})
    assert response.status_code == 302
    item = ServiceRequest.objects.get()
    client.force_login(user_with_role(cluster, Role.ENTERPRISE, enterprises=[mill]))  # the provider
    queue = client.get(reverse("portfolio:services")).context["queue"]
    assert [(q.pk, q.may_move) for q in queue] == [(item.pk, True)]
    client.post(reverse("portfolio:service_request_move", args=[item.pk]), {"to": "in_progress"})
    assert ServiceRequest.objects.get().status == "in_progress"
    client.force_login(user_with_role(other_cluster, Role.OFFICE))
    assert client.post(reverse("portfolio:service_request_move", args=[item.pk]), {"to": "done"}).status_code == 404
    assert ServiceRequest.objects.get().status == "in_progress"


def test_the_office_adds_a_service_to_the_catalogue(client, cluster):
    client.force_login(user_with_role(cluster, Role.OFFICE))
    response = client.post(
        reverse("portfolio:service_create"),
        {"name": "Certification support", "price": "15", "turnaround_days": "0", "is_active": "on"},
    )
    assert response.status_code == 200 and "turnaround_days" in response.context["form"].errors
    response = client.post(
        reverse("portfolio:service_create"),
        {"name": "Certification support", "price": "15", "turnaround_days": "10", "is_active": "on"},
    )
    assert response.status_code == 302 and Service.objects.get().provider is None


def test_a_request_moved_to_no_state_is_refused_with_a_message(client, cluster, chain):
    farm, _gin, _mill = chain
    lab = Service.objects.create(cluster=cluster, name="Fibre test", price=2, turnaround_days=5)
    office = user_with_role(cluster, Role.OFFICE)
    item = ServiceRequest.objects.create(
        service=lab,
        enterprise=farm,
        requested_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        due_at=datetime.datetime(2025, 1, 6, tzinfo=datetime.UTC),
    )
    client.force_login(office)
    for bad in ("", "sideways"):
        response = client.post(reverse("portfolio:service_request_move", args=[item.pk]), {"to": bad}, follow=True)
        assert response.status_code == 200
    assert ServiceRequest.objects.get().status == "requested"
