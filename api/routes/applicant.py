"""The applicant's routes under /api/v1/ (permission ``api.permissions.ApplicantScope``)."""

from django.urls import path

from api.views import aftercare, allocations, applications, calls, organizations

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="api_call_list"),
    path("calls/<int:pk>/", calls.CallDetail.as_view(), name="api_call_detail"),
    path("organizations/", organizations.OrganizationList.as_view(), name="api_organization_list"),
    path("organizations/<int:pk>/", organizations.OrganizationDetail.as_view(), name="api_organization_detail"),
    path("applications/", applications.ApplicationList.as_view(), name="api_application_list"),
    path("applications/<int:pk>/", applications.ApplicationDetail.as_view(), name="api_application_detail"),
    path(
        "applications/<int:pk>/resources/",
        applications.ApplicationResources.as_view(),
        name="api_application_resources",
    ),
    path("applications/<int:pk>/claims/", applications.ApplicationClaims.as_view(), name="api_application_claims"),
    path(
        "applications/<int:pk>/claims/<str:kind>/evidence/",
        applications.ClaimEvidence.as_view(),
        name="api_claim_evidence",
    ),
    path(
        "applications/<int:pk>/certificate/",
        applications.ApplicationCertificate.as_view(),
        name="api_application_certificate",
    ),
    path(
        "applications/<int:pk>/problems/", applications.ApplicationProblems.as_view(), name="api_application_problems"
    ),
    path("applications/<int:pk>/submit/", applications.ApplicationSubmit.as_view(), name="api_application_submit"),
    path(
        "applications/<int:pk>/withdraw/", applications.ApplicationWithdraw.as_view(), name="api_application_withdraw"
    ),
    path("applications/<int:pk>/history/", applications.ApplicationHistory.as_view(), name="api_application_history"),
    path("applications/<int:pk>/score/", applications.ApplicationScore.as_view(), name="api_application_score"),
    path("allocations/", allocations.AllocationList.as_view(), name="api_allocation_list"),
    path("allocations/<int:pk>/", allocations.AllocationDetail.as_view(), name="api_allocation_detail"),
    path("allocations/<int:pk>/usage/", allocations.AllocationUsage.as_view(), name="api_allocation_usage"),
    path("change-requests/", aftercare.ChangeRequestList.as_view(), name="api_change_request_list"),
    path("change-requests/<int:pk>/", aftercare.ChangeRequestDetail.as_view(), name="api_change_request_detail"),
    path(
        "change-requests/<int:pk>/withdraw/",
        aftercare.ChangeRequestWithdraw.as_view(),
        name="api_change_request_withdraw",
    ),
    path("reports/", aftercare.ReportList.as_view(), name="api_report_list"),
    path("reports/<int:pk>/", aftercare.ReportDetail.as_view(), name="api_report_detail"),
    path("reports/<int:pk>/submit/", aftercare.ReportSubmit.as_view(), name="api_report_submit"),
]
