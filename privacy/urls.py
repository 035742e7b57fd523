from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.privacy_policy, name="privacy_policy"),
    path("terms/", views.terms, name="terms"),
    path("accounts/consents/", views.consents, name="consents"),
    path("accounts/delete/", views.account_delete, name="account_delete"),
]
