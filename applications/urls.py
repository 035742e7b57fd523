from django.urls import path

from applications import views

urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/apply/", views.call_apply, name="call_apply"),
    path("organisations/new/", views.organization_create, name="organization_create"),
    path("organisations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organisations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("organisations/<int:pk>/invite/", views.organization_invite, name="organization_invite"),
    path("invitations/<slug:token>/", views.invitation_accept, name="invitation_accept"),
    path("organisations/join/", views.join_request_create, name="join_request_create"),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/owner/",
        views.membership_make_owner,
        name="membership_make_owner",
    ),
    path(
        "join-requests/<int:pk>/<str:answer>/",
        views.join_request_answer,
        name="join_request_answer",
    ),
    path("applications/", views.application_list, name="application_list"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/edit/review/", views.application_review, name="application_review"),
    path("applications/<int:pk>/edit/<slug:step>/", views.application_step, name="application_step"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/certificate/", views.application_certificate, name="application_certificate"),
    path("claims/<int:pk>/evidence/", views.claim_evidence, name="claim_evidence"),
]
