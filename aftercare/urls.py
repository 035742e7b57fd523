from django.urls import path

from aftercare import views

urlpatterns = [
    path("allocations/<int:allocation_pk>/change/", views.change_request_new, name="change_request_new"),
    path("change-requests/<int:pk>/withdraw/", views.change_request_withdraw, name="change_request_withdraw"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/attachment/", views.report_attachment, name="report_attachment"),
    path("surveys/<int:pk>/", views.survey_answer, name="survey_answer"),
]
