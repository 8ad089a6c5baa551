from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("new/", views.endpoint_edit, name="endpoint_create"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="endpoint_update"),
    path("<int:pk>/test/", views.endpoint_ping, name="endpoint_ping"),
    path("<int:pk>/switch-on/", views.endpoint_switch_on, name="endpoint_switch_on"),
    path("<int:pk>/new-secret/", views.endpoint_new_secret, name="endpoint_new_secret"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/send-again/", views.delivery_send_again, name="delivery_send_again"),
]
