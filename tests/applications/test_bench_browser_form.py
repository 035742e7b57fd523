"""The load test (bench/load.py) posts what a browser posts: the forms as the pages render them,
with the CSRF token taken from the page, save a draft with its certificate and submit it."""

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import Application
from bench.browser_form import Upload, certificate_pdf, encode_multipart, encode_urlencoded, forms_in, submission

pytestmark = pytest.mark.django_db


def test_the_load_tests_draft_is_what_the_browser_posts_and_it_saves_and_submits(
    applicant, organization, open_call, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = Client(enforce_csrf_checks=True)  # the CSRF token is taken from the page, as a browser does
    client.force_login(applicant)
    call_page = client.get(reverse("call_detail", args=[open_call.pk])).content.decode()
    (apply,) = [form for form in forms_in(call_page) if form.action.endswith("/apply/")]
    body, content_type = encode_urlencoded(submission(apply))
    response = client.post(apply.action, body, content_type=content_type)
    application = Application.objects.get()
    edit_url = reverse("application_edit", args=[application.pk])
    assert response["Location"] == edit_url

    edit_page = client.get(edit_url).content.decode()
    (draft,) = [form for form in forms_in(edit_page) if form.enctype == "multipart/form-data"]
    gpu_id = str(open_call.call_offerings.order_by("pk")[0].offering_id)
    parts = submission(
        draft,
        button="save",
        values={
            "purpose": "training",
            "project_title": "부하 시험 과제",
            "summary": "요약",
            "plan": "계획",
            "expected_outcome": "기대 효과",
            "industry_domain": "healthcare",
            "items-0-offering": gpu_id,
            "items-0-quantity": "2",
            "items-0-starts_on": open_call.service_starts_on.isoformat(),
            "items-0-ends_on": open_call.service_ends_on.isoformat(),
        },
        files={"business_certificate": Upload("certificate.pdf", certificate_pdf(20_000), "application/pdf")},
    )
    names = [name for name, _value in parts]
    # Every control of the page is posted once: the items formset's management form and its
    # empty rows, every claim's fields, an empty part for each file not chosen, the button.
    assert names == [*draft.field_names(), "save"]
    assert "items-TOTAL_FORMS" in names and "claim-relocating-evidence" in names

    body, content_type = encode_multipart(parts)
    response = client.post(edit_url, body, content_type=content_type)

    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.business_certificate
    assert application.items.get().quantity == 2
    status_page = client.get(reverse("application_detail", args=[application.pk])).content.decode()
    (submit,) = [form for form in forms_in(status_page) if form.action.endswith("/submit/")]
    body, content_type = encode_urlencoded(submission(submit))
    client.post(submit.action, body, content_type=content_type)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
