"""The applicant's whole journey through the test client, as a browser would make it."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from applications.models import Application, Organization
from tests.applications.conftest import edit_form_data, pdf, post_draft
from tests.consents import CONSENTS
from tests.factories import business_number
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

EMAIL = "ceo@bitgoeul-ai.kr"
PASSWORD = "a-long-and-unusual-passphrase-42"
PROJECT = {"project_title": "광주 자율주행 데이터 학습", "items-0-quantity": "4"}


def test_sign_up_verify_register_apply_save_submit_and_withdraw(
    client, open_call, gpu, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path

    # Sign up and verify the e-mail address.
    client.post(reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD, **CONSENTS})
    deliver_queued()
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    assert client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD}).status_code == 302

    # The call page offers to register an organisation first.
    call_page = client.get(reverse("call_detail", args=[open_call.pk]))
    assert reverse("organization_create") in call_page.content.decode()

    response = client.post(
        reverse("organization_create") + f"?next={reverse('call_detail', args=[open_call.pk])}",
        {
            "legal_name": "주식회사 빛고을에이아이",
            "org_type": "venture",
            "registration_number": business_number(410101010),
            "region": "gwangju",
            "address": "광주광역시 북구 첨단과기로 208",
            "industry": "automotive",
            "employees": "17",
            "website": "https://bitgoeul-ai.kr",
        },
    )
    assert response["Location"] == reverse("call_detail", args=[open_call.pk])
    organization = Organization.objects.get()

    # Start the application, then save an incomplete draft.
    response = client.post(reverse("call_apply", args=[open_call.pk]), {"organization": organization.pk})
    application = Application.objects.get()
    assert response["Location"] == reverse("application_edit", args=[application.pk])
    draft = edit_form_data(open_call, claims={"gwangju_located": {}}, **PROJECT)
    assert post_draft(client, application, draft).status_code == 302
    application.refresh_from_db()
    assert application.status == "draft"
    assert application.items.get().quantity == 4

    # The status page says what is missing; submitting now is refused and keeps the draft.
    status_page = client.get(reverse("application_detail", args=[application.pk]))
    assert len(status_page.context["problems"]) == 2  # the certificate and the claim's evidence
    refused = client.post(reverse("application_submit", args=[application.pk]))
    assert refused.status_code == 200  # the review page, with the summary of what is missing
    application.refresh_from_db()
    assert application.status == "draft"

    # Complete it and submit: a receipt goes to the organisation's members.
    complete = edit_form_data(
        open_call,
        certificate=pdf("certificate.pdf"),
        claims={"gwangju_located": {"evidence": pdf("head-office-lease.pdf")}},
        **PROJECT,
    )
    assert post_draft(client, application, complete).status_code == 302
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("application_submit", args=[application.pk]))
    deliver_queued()
    assert response["Location"] == reverse("application_detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.submitted_at is not None
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    assert reverse("application_detail", args=[application.pk]) in mail.outbox[0].body

    # Read-only now: the edit page sends the applicant back to the status page.
    assert client.get(reverse("application_edit", args=[application.pk]))["Location"] == reverse(
        "application_detail", args=[application.pk]
    )
    my_applications = client.get(reverse("application_list")).content.decode()
    assert "광주 자율주행 데이터 학습" in my_applications

    # Withdraw before a decision: the timeline shows every transition with its actor.
    client.post(reverse("application_withdraw", args=[application.pk]), {"reason": "계획 변경"})
    application.refresh_from_db()
    assert application.status == "withdrawn"
    timeline = [(t.from_status, t.to_status, t.actor.email, t.reason) for t in application.transitions.all()]
    assert timeline == [
        ("", "draft", EMAIL, ""),
        ("draft", "submitted", EMAIL, ""),
        ("submitted", "withdrawn", EMAIL, "계획 변경"),
    ]
    assert "계획 변경" in client.get(reverse("application_detail", args=[application.pk])).content.decode()
