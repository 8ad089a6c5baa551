from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularSwaggerView

from core.api.views import SchemaView
from governance import views as governance_views
from governance.auth import LoginView
from home import views as home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("notifications/", governance_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", governance_views.notification_open, name="notification_open"),
    path("notifications/read/", governance_views.notifications_mark_read, name="notifications_mark_read"),
    path("governance/", include("governance.urls")),
    path("data/", include("kpi.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("incentives/", include("incentives.urls")),
    path("roadmap/", include("roadmap.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cluster_platform.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "core.api.exceptions.page_not_found"
handler500 = "core.api.exceptions.server_error"
