import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.choices import Channel, SubmissionStatus
from kpi.models import ClusterKpi, DataValue, Submission, add_months
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory
from tests.kpi.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def form_url(enterprise, period):
    return reverse("kpi:report_form", args=[enterprise.pk, period.key])


def post_form(client, enterprise, period, data):
    """Post the monthly form as a browser does: with the hidden edit version and figures it was loaded with."""
    form = client.get(form_url(enterprise, period)).context["form"]
    return client.post(
        form_url(enterprise, period),
        {"lock_version": form["lock_version"].value(), "loaded": form["loaded"].value(), **data},
    )


def decide(client, submission, action, data=None):
    """Approve or return from the submission's page, with the version the page showed."""
    version = client.get(submission.get_absolute_url()).context["submission"].lock_version
    return client.post(
        reverse(f"kpi:submission_{action}", args=[submission.pk]), {"lock_version": version, **(data or {})}
    )


def filled(cluster, **overrides):
    data = {f"v_{e.code}": "10" for e in services.active_data_elements(cluster=cluster)}
    data.update({f"v_{k}": v for k, v in overrides.items()})
    return data


def test_the_form_groups_the_active_figures_with_units_and_last_months_value(
    client, cluster, period, enterprise, representative
):
    previous = ReportingPeriodFactory(cluster=cluster, month=add_months(period.month, -1))
    services.data_values_write(
        cluster=cluster,
        user=None,
        channel=Channel.SYSTEM,
        rows=[{"enterprise": enterprise.taxpayer_id, "period": previous.key, "data_element": "employees", "value": 37}],
    )
    page = login(client, representative).get(form_url(enterprise, period))
    assert page.status_code == 200
    html = page.content.decode()
    for group in ("Production", "Quality", "Logistics", "Cooperation", "People", "Export"):
        assert f"<strong>{group}</strong>" in html
    assert "thousand UZS" in html and 'id="row-employees"' in html
    assert ">37<" in html  # last month's value beside the field


def test_save_draft_then_submit(client, cluster, period, enterprise, representative):
    login(client, representative)
    response = post_form(client, enterprise, period, {**filled(cluster, employees=""), "action": "save"})
    assert response.status_code == 302
    assert DataValue.objects.get(enterprise=enterprise, data_element__code="employees").value is None
    assert Submission.objects.get(enterprise=enterprise).status == SubmissionStatus.DRAFT
    refused = post_form(client, enterprise, period, {**filled(cluster, employees=""), "action": "submit"})
    assert refused.status_code == 200 and "Enter this figure" in refused.content.decode()
    done = post_form(client, enterprise, period, {**filled(cluster), "action": "submit"})
    assert done.status_code == 302
    assert Submission.objects.get(enterprise=enterprise).status == SubmissionStatus.SUBMITTED
    after = client.get(form_url(enterprise, period)).content.decode()
    assert "The figures are with the office" in after and "Submit to the office" not in after


def test_a_rejected_value_shows_its_message_at_the_field_and_nothing_is_saved(
    client, cluster, period, enterprise, representative
):
    login(client, representative)
    data = {**filled(cluster, produced_units="100", defective_units="150"), "action": "save"}
    response = post_form(client, enterprise, period, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_v_defective_units_errors"' in html and "Defective units cannot exceed units produced." in html
    assert not DataValue.objects.exists()


def test_another_enterprises_form_is_refused_and_another_clusters_is_404(
    client, cluster, other_cluster, period, neighbour, representative
):
    login(client, representative)
    assert client.get(form_url(neighbour, period)).status_code == 403
    assert client.post(form_url(neighbour, period), {**filled(cluster), "action": "save"}).status_code == 403
    foreign = EnterpriseFactory(cluster=other_cluster)
    assert client.get(form_url(foreign, period)).status_code == 404
    assert not DataValue.objects.exists()


def test_the_office_approves_and_returns_from_the_submission_page(
    client, cluster, period, enterprise, representative, office_user
):
    post_form(login(client, representative), enterprise, period, {**filled(cluster), "action": "submit"})
    submission = Submission.objects.get(enterprise=enterprise)
    page = login(client, office_user).get(submission.get_absolute_url()).content.decode()
    assert 'id="approve"' in page and 'id="history"' in page and "Form" in page
    decide(client, submission, "return", {"reason": "Exports look doubled."})
    submission.refresh_from_db()
    assert (submission.status, submission.returned_reason) == (SubmissionStatus.RETURNED, "Exports look doubled.")
    login(client, representative)
    assert "Exports look doubled." in client.get(form_url(enterprise, period)).content.decode()
    post_form(client, enterprise, period, {**filled(cluster), "action": "submit"})
    decide(login(client, office_user), submission, "approve")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPROVED


def test_a_representative_cannot_approve(client, cluster, period, enterprise, representative):
    post_form(login(client, representative), enterprise, period, {**filled(cluster), "action": "submit"})
    submission = Submission.objects.get(enterprise=enterprise)
    client.post(reverse("kpi:submission_approve", args=[submission.pk]))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


def test_submissions_of_other_clusters_and_enterprises_are_not_shown(
    client, cluster, other_cluster, period, enterprise, neighbour, representative
):
    services.data_values_write(
        cluster=cluster,
        user=None,
        channel=Channel.SYSTEM,
        rows=[
            {"enterprise": e.taxpayer_id, "period": period.key, "data_element": "employees", "value": 1}
            for e in (enterprise, neighbour)
        ],
    )
    login(client, representative)
    listed = client.get(reverse("kpi:submission_list")).content.decode()
    assert enterprise.name in listed and neighbour.name not in listed
    theirs = Submission.objects.get(enterprise=neighbour)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    stranger = ClusterRoleFactory(cluster=other_cluster, role="office").user
    assert login(client, stranger).get(theirs.get_absolute_url()).status_code == 404


def test_the_submission_list_costs_the_same_queries_for_few_and_many(client, cluster, period, office_user):
    login(client, office_user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("kpi:submission_list")).status_code == 200
        return len(captured)

    def add(n):
        enterprises = [EnterpriseFactory(cluster=cluster) for _ in range(n)]
        services.data_values_write(
            cluster=cluster,
            user=None,
            channel=Channel.SYSTEM,
            rows=[
                {"enterprise": e.taxpayer_id, "period": period.key, "data_element": "employees", "value": 1}
                for e in enterprises
            ],
        )

    add(2)
    few = queries()
    add(20)
    assert queries() == few


def test_office_sets_kpis_and_is_warned_outside_12_to_15(client, cluster, office_user):
    login(client, office_user)
    page = client.get(reverse("kpi:kpi_settings"))
    formset = page.context["formset"]
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, form in enumerate(formset.forms):
        data[f"form-{i}-id"] = str(form.instance.pk)
        if form.instance.kpi.code in {"FPS", "DEFECT"}:
            data[f"form-{i}-active"] = "on"
    defect = next(i for i, f in enumerate(formset.forms) if f.instance.kpi.code == "DEFECT")
    data[f"form-{defect}-target"], data[f"form-{defect}-minimum"] = "0.02", "0.01"
    refused = client.post(reverse("kpi:kpi_settings"), data)
    assert refused.status_code == 200 and "minimum" in refused.content.decode()
    assert ClusterKpi.objects.filter(cluster=cluster, active=True, kpi__source="data").count() == 14
    data[f"form-{defect}-minimum"] = "0.04"
    saved = client.post(reverse("kpi:kpi_settings"), data, follow=True)
    assert "2 KPIs are active" in saved.content.decode()
    assert ClusterKpi.objects.filter(cluster=cluster, active=True).count() == 2


def test_only_the_office_sets_up_data_collection(client, cluster, representative, office_user):
    login(client, representative)
    assert client.get(reverse("kpi:kpi_settings")).status_code == 403
    assert client.get(reverse("kpi:collection_rules")).status_code == 403
    login(client, office_user)
    bad = client.post(
        reverse("kpi:collection_rules"),
        {
            "deadline_day": "31",
            "lock_delay_days": "15",
            "reminder_days_before": "3",
            "deviation_threshold": "0.5",
            "history_months": "6",
        },
    )
    assert bad.status_code == 200 and 'id="field-deadline_day"' in bad.content.decode()
    good = client.post(
        reverse("kpi:collection_rules"),
        {
            "deadline_day": "12",
            "lock_delay_days": "15",
            "reminder_days_before": "3",
            "deviation_threshold": "0.5",
            "history_months": "6",
            "publish_min_enterprises": "3",
            "publish_min_enterprises_quartiles": "10",
            "publish_dominance_share": "0.85",
        },
    )
    assert good.status_code == 302
    assert services.collection_rules(cluster).deadline_day == 12


def test_home_shows_the_office_the_months_and_a_representative_their_forms(
    client, cluster, period, enterprise, representative, office_user
):
    assert period.key in login(client, office_user).get(reverse("kpi:home")).content.decode()
    html = login(client, representative).get(reverse("kpi:home")).content.decode()
    assert form_url(enterprise, period) in html


def test_a_locked_month_offers_a_correction_instead_of_the_form(
    client, cluster, enterprise, representative, office_user
):
    import datetime

    locked = ReportingPeriodFactory(cluster=cluster, month=datetime.date(2024, 1, 1))
    html = login(client, representative).get(form_url(enterprise, locked)).content.decode()
    assert "Ask for a correction" in html and "Save draft" not in html
    url = reverse("kpi:correction_create", args=[enterprise.pk, locked.key])
    element = services.active_data_elements(cluster=cluster)[0]
    response = client.post(url, {"data_element": element.pk, "value": "5", "reason": "Typo in January."})
    assert response.status_code == 302
    correction = enterprise.corrections.get()
    login(client, office_user).post(reverse("kpi:correction_decide", args=[correction.pk]), {"decision": "approve"})
    assert DataValue.objects.get(enterprise=enterprise, period=locked, data_element=element).value == 5


def test_the_office_sees_completeness_and_a_representative_does_not(
    client, cluster, period, enterprise, representative, office_user
):
    page = login(client, office_user).get(reverse("kpi:completeness"))
    assert page.status_code == 200 and enterprise.name in page.content.decode()
    assert page.context["grid"].rows[0].cells[-1].status == "pending"
    assert login(client, representative).get(reverse("kpi:completeness")).status_code == 403


def test_excel_template_and_upload_pages_keep_to_the_users_enterprises(
    client, cluster, other_cluster, period, enterprise, neighbour, representative
):
    import io

    import openpyxl

    login(client, representative)
    own = client.get(reverse("kpi:excel_template", args=[period.key]))
    assert own.status_code == 200 and own["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(own.content)).worksheets[0]
    ids = {str(c.value) for c in sheet["A"] if c.value}
    assert enterprise.taxpayer_id in ids and neighbour.taxpayer_id not in ids
    asked = client.get(reverse("kpi:excel_template", args=[period.key]), {"enterprise": neighbour.pk})
    assert asked.status_code == 403
    assert client.get(reverse("kpi:excel_template", args=["1999-01"])).status_code == 404

    # Fill the template and upload it: the figures land, a bad one rejects the whole file.
    workbook = openpyxl.load_workbook(io.BytesIO(own.content))
    data = workbook.worksheets[0]
    headers = {c.value: c.column_letter for c in data[1]}
    row = next(c.row for c in data["A"] if str(c.value) == enterprise.taxpayer_id)
    data[f"{headers['produced_units']}{row}"] = 100
    data[f"{headers['defective_units']}{row}"] = 500
    buffer = io.BytesIO()
    workbook.save(buffer)

    def upload(content):
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("figures.xlsx", content, content_type="application/octet-stream")
        return client.post(reverse("kpi:excel_upload", args=[period.key]), {"file": file})

    refused = upload(buffer.getvalue())
    assert refused.status_code == 400
    assert "Defective units cannot exceed units produced." in refused.content.decode()
    assert not DataValue.objects.exists()
    data[f"{headers['defective_units']}{row}"] = 5
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(buffer.getvalue()).status_code == 200
    assert DataValue.objects.get(enterprise=enterprise, data_element__code="defective_units").value == 5
