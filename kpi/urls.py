from django.urls import path, re_path

from . import views

app_name = "kpi"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/<int:enterprise_pk>/<str:month>/", views.report_form, name="report_form"),
    path("submissions/", views.SubmissionList.as_view(), name="submission_list"),
    path("submissions/decide/", views.submission_queue_decide, name="submission_queue_decide"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/approve/", views.submission_decide, {"decision": "approve"}, name="submission_approve"),
    path("submissions/<int:pk>/return/", views.submission_decide, {"decision": "return"}, name="submission_return"),
    path("corrections/", views.CorrectionList.as_view(), name="correction_list"),
    path("corrections/<int:pk>/decide/", views.correction_decide, name="correction_decide"),
    path("report/<int:enterprise_pk>/<str:month>/correction/", views.correction_create, name="correction_create"),
    path("completeness/", views.completeness, name="completeness"),
    path("excel/<str:month>/template/", views.excel_template, name="excel_template"),
    path("excel/<str:month>/upload/", views.excel_upload, name="excel_upload"),
    path("settings/kpis/", views.kpi_settings, name="kpi_settings"),
    path("settings/collection/", views.collection_rules, name="collection_rules"),
    # KPI dashboards and alerts
    path("kpis/", views.overview, name="overview"),
    path("kpis/value-chain/", views.value_chain, name="value_chain"),
    path("kpis/data-quality/", views.data_quality, name="data_quality"),
    path("kpis/recompute/", views.recompute, name="recompute"),
    path("kpis/enterprise/", views.enterprise_view, name="enterprise_own"),
    path("kpis/enterprise/<int:enterprise_pk>/", views.enterprise_view, name="enterprise_view"),
    path("kpis/reports/", views.reports, name="reports"),
    path("kpis/<slug:code>/", views.kpi_detail, name="kpi_detail"),
    re_path(
        r"^kpis/reports/(?P<period>[0-9]{4}-(?:[0-9]{2}|Q[1-4]))\.(?P<fmt>xlsx|pdf)$",
        views.report_download,
        name="report_download",
    ),
    path("kpis/export.csv", views.kpi_values_export, name="kpi_values_export"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/action-item/", views.alert_action_item, name="alert_action_item"),
]
