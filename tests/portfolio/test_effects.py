"""What a project should move (KPIs, trend before and after its start) and the effect it had, against the expected."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from governance.choices import Role
from kpi import services as kpi_services
from kpi.models import Kpi
from portfolio import selectors, services
from portfolio.models import ProjectEffect, ProjectKpi
from tests.governance.factories import EnterpriseFactory, user_with_role
from tests.kpi.test_alerts import report
from tests.portfolio.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_office_names_kpis_and_records_effects_once_a_year(cluster):
    office = user_with_role(cluster, Role.OFFICE)
    project = ProjectFactory(cluster=cluster, expected_effect=Decimal("100"))
    defect = Kpi.objects.get(code="DEFECT")
    services.project_kpi_save(
        target=ProjectKpi(project=project, kpi=defect, expected_change=Decimal("-0.01")), user=office
    )
    with pytest.raises(ValidationError):
        services.project_kpi_save(target=ProjectKpi(project=project, kpi=defect, expected_change=1), user=office)
    with pytest.raises(PermissionDenied):
        services.project_kpi_save(
            target=ProjectKpi(project=project, kpi=Kpi.objects.get(code="OTD"), expected_change=1),
            user=user_with_role(cluster, Role.COUNCIL),
        )
    services.project_effect_save(
        effect=ProjectEffect(project=project, year=2025, actual_effect=Decimal("60")), user=office
    )
    services.project_effect_save(
        effect=ProjectEffect(project=project, year=2025, actual_effect=Decimal("80")), user=office
    )
    assert list(project.effects.values_list("year", "actual_effect")) == [(2025, Decimal("80.00"))]
    with pytest.raises(ValidationError):
        services.project_effect_save(effect=ProjectEffect(project=project, year=25, actual_effect=1), user=office)


def test_expected_against_actual_per_year(cluster):
    first = ProjectFactory(cluster=cluster, expected_effect=Decimal("100"))
    second = ProjectFactory(cluster=cluster, expected_effect=Decimal("50"))
    ProjectEffect.objects.create(project=first, year=2025, actual_effect=Decimal("70"))
    ProjectEffect.objects.create(project=first, year=2026, actual_effect=Decimal("120"))
    ProjectEffect.objects.create(project=second, year=2026, actual_effect=Decimal("10"))
    office = user_with_role(cluster, Role.OFFICE)
    rows = [
        (r.year, r.projects, r.expected, r.actual)
        for r in selectors.expected_against_actual(user=office, cluster=cluster)
    ]
    assert rows == [(2025, 1, Decimal("100"), Decimal("70")), (2026, 2, Decimal("150"), Decimal("130"))]


def test_the_project_page_shows_its_kpis_trend_around_its_start(client, cluster):
    kpi_services.cluster_kpis_ensure(cluster=cluster)
    mills = [EnterpriseFactory(cluster=cluster, value_chain_link="processing") for _ in range(3)]
    for month, defects in ((datetime.date(2025, 3, 1), 50), (datetime.date(2025, 6, 1), 20)):
        report(cluster, month, {m: (1000, defects) for m in mills})
        kpi_services.kpi_values_compute(cluster=cluster, span=month.strftime("%Y-%m"))
    project = ProjectFactory(cluster=cluster, status="proposed", started_on=datetime.date(2025, 5, 1))
    ProjectKpi.objects.create(project=project, kpi=Kpi.objects.get(code="DEFECT"), expected_change=Decimal("-0.02"))
    ProjectEffect.objects.create(project=project, year=2025, actual_effect=Decimal("123456"))
    viewer = user_with_role(cluster, Role.VIEWER)
    (trend,) = selectors.project_kpi_trends(user=viewer, project=project)
    assert [v.period for v in trend.series] == ["2025-03", "2025-06"] and trend.start == datetime.date(2025, 5, 1)
    client.force_login(viewer)
    page = client.get(reverse("portfolio:project_detail", args=[project.pk])).content.decode()
    assert '"type":"line"' in page  # the start marked on the trend
    assert "123,456" in page or "123 456" in page
    assert 'id="new-kpi"' not in page
    overview = client.get(reverse("portfolio:overview")).context
    assert [(e.year, e.actual) for e in overview["effects"]] == [(2025, Decimal("123456"))]
