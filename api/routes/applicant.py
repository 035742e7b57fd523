"""The applicant's routes under /api/v1/ (permission ``api.permissions.ApplicantScope``)."""

from django.urls import path

from api.views import calls

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="api_call_list"),
    path("calls/<int:pk>/", calls.CallDetail.as_view(), name="api_call_detail"),
]
