import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_operator_manages_calls_and_offerings_without_being_a_superuser(client, operator, open_call):
    client.force_login(operator)

    assert client.get(reverse("admin:applications_call_add")).status_code == 200
    assert client.get(reverse("admin:applications_call_change", args=[open_call.pk])).status_code == 200
    assert client.get(reverse("admin:pool_offering_add")).status_code == 200


def test_a_reviewer_sees_applications_and_organisations_but_cannot_edit_calls(client, reviewer, open_call):
    client.force_login(reviewer)

    assert client.get(reverse("admin:applications_application_changelist")).status_code == 200
    assert client.get(reverse("admin:applications_organization_changelist")).status_code == 200
    assert client.get(reverse("admin:applications_call_add")).status_code == 403


def test_the_application_status_cannot_be_edited_in_the_admin(client, superuser, applicant, organization, open_call):
    from applications import services

    application = services.application_start(actor=applicant, call=open_call, organization=organization)
    client.force_login(superuser)

    client.post(reverse("admin:applications_application_change", args=[application.pk]), {"status": "approved"})

    application.refresh_from_db()
    assert application.status == "draft"


def test_an_applicant_cannot_enter_the_admin(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("admin:applications_application_changelist")).status_code == 302
