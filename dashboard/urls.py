from django.urls import path

from dashboard import views

urlpatterns = [
    path("ops/", views.dashboard, name="dashboard"),
    path("ops/export/<slug:table>.csv", views.dashboard_export, name="dashboard_export"),
    path("ops/access-log.csv", views.access_log_export, name="access_log_export"),
    path("statistics/", views.public_statistics, name="public_statistics"),
]
