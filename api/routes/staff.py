"""The staff's routes under /api/v1/staff/ (``api.staff``: permission ``api.permissions.StaffScope``
and the staff role's own)."""

from django.urls import path

from api.staff import views

urlpatterns = [
    path("calls/<int:pk>/queue/", views.CallQueue.as_view(), name="api_staff_call_queue"),
    path("calls/<int:pk>/stages/", views.CallStages.as_view(), name="api_staff_call_stages"),
    path("applications/<int:pk>/", views.ApplicationRecord.as_view(), name="api_staff_application"),
    path("applications/<int:pk>/decision/", views.ApplicationDecision.as_view(), name="api_staff_application_decision"),
    path(
        "applications/<int:pk>/stage-results/",
        views.ApplicationStageResults.as_view(),
        name="api_staff_application_stage_results",
    ),
    path("offerings/", views.OfferingList.as_view(), name="api_staff_offering_list"),
    path("offerings/<int:pk>/capacity/", views.OfferingCapacity.as_view(), name="api_staff_offering_capacity"),
    path("offerings/<int:pk>/usage/", views.OfferingUsage.as_view(), name="api_staff_offering_usage"),
    path("allocations/changes/", views.AllocationChanges.as_view(), name="api_staff_allocation_changes"),
    path("allocations/<int:pk>/", views.AllocationDetail.as_view(), name="api_staff_allocation"),
    path("allocations/<int:pk>/usage/", views.AllocationUsage.as_view(), name="api_staff_allocation_usage"),
    path(
        "allocations/<int:pk>/provisioning-report/",
        views.ProvisioningReport.as_view(),
        name="api_staff_allocation_provisioning_report",
    ),
]
