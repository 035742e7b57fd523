from django.urls import path

from evaluation import views

urlpatterns = [
    path("evaluation/", views.assignment_list, name="evaluation_assignments"),
    path("evaluation/pledge/", views.pledge, name="evaluation_pledge"),
    path("evaluation/invitations/<slug:token>/", views.invitation_accept, name="evaluator_invitation_accept"),
    path("evaluation/assignments/<int:pk>/", views.assignment_detail, name="evaluation_assignment"),
    path("evaluation/assignments/<int:pk>/conflict/", views.assignment_conflict, name="evaluation_conflict"),
    path("evaluation/assignments/<int:pk>/decline/", views.assignment_decline, name="evaluation_decline"),
    path("evaluation/assignments/<int:pk>/certificate/", views.assignment_certificate, name="evaluation_certificate"),
    path(
        "evaluation/assignments/<int:pk>/claims/<int:claim_pk>/evidence/",
        views.assignment_evidence,
        name="evaluation_evidence",
    ),
    path("applications/<int:pk>/objection/", views.objection_file, name="objection_file"),
    path("objections/<int:pk>/attachment/", views.objection_attachment, name="objection_attachment"),
]
