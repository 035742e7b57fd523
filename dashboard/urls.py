from django.urls import path

from dashboard import metrics, views

urlpatterns = [
    path("ops/", views.dashboard, name="dashboard"),
    path("ops/usage/", views.dashboard_usage, name="dashboard_usage"),
    path("allocations/<int:pk>/", views.allocation_usage_page, name="allocation_usage"),
    path("ops/export/<slug:table>.csv", views.dashboard_export, name="dashboard_export"),
    path("ops/access-log.csv", views.access_log_export, name="access_log_export"),
    path("statistics/", views.public_statistics, name="public_statistics"),
    # Prometheus's scrape (allowed addresses or the token; 404 for anyone else): dashboard/metrics.py.
    path("metrics", metrics.metrics, name="metrics"),
]
