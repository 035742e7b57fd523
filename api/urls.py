"""The API's URLs: /api/v1/ (the applicant's routes and the staff's), the schema and its docs,
and the profile pages where users manage their tokens."""

from django.urls import include, path, re_path

from api import token_pages
from api.views import docs, problems

urlpatterns = [
    path("api/v1/", include("api.routes.applicant")),
    path("api/v1/staff/", include("api.routes.staff")),
    path("api/schema/", docs.SchemaView.as_view(), name="api_schema"),
    path("api/docs/", docs.SwaggerView.as_view(), name="api_docs"),
    path("api/redoc/", docs.RedocView.as_view(), name="api_redoc"),
    path("api/problems/", problems.problem_types, name="api_problem_types"),
    # Any other address under /api/ is a problem-details 404, not the site's HTML page.
    re_path(r"^api/", problems.not_found, name="api_not_found"),
    path("accounts/api-tokens/", token_pages.token_list, name="api_token_list"),
    path("accounts/api-tokens/<int:pk>/revoke/", token_pages.token_revoke, name="api_token_revoke"),
]
