"""The load test (bench/load.py) posts what a browser posts: the forms as the pages render them,
with the CSRF token taken from the page, save a draft with its certificate and submit it."""

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import Application
from bench.applicant_draft import DRAFT_STEPS, draft_values, step_url, step_values
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

    values = draft_values({"items": [item(open_call, n) for n in range(2)]})
    for step in DRAFT_STEPS:
        url = step_url(edit_url, step)
        page = client.get(url).content.decode()
        (form,) = [form for form in forms_in(page) if ("go", "next") in form.buttons]
        files = {"business_certificate": Upload("사업자등록증.pdf", certificate_pdf(20_000), "application/pdf")}
        parts = submission(
            form,
            button="go",
            button_value="next",
            values=step_values(form.field_names(), values),
            files=files if step == "documents" else {},
        )
        names = [name for name, _value in parts]
        # Every control of the page is posted once (none of the row template's), then the button.
        assert names[: len(form.field_names())] == form.field_names()
        assert not [name for name in names if "__prefix__" in name]
        body, content_type = encode_multipart(parts)
        response = client.post(url, body, content_type=content_type)
        assert response.status_code == 302, response.content.decode()[:2000]

    application.refresh_from_db()
    assert application.business_certificate_name == "사업자등록증.pdf"
    assert sorted(application.items.values_list("quantity", flat=True)) == [2, 3]
    review_page = client.get(step_url(edit_url, "review")).content.decode()
    (submit,) = [form for form in forms_in(review_page) if form.action.endswith("/submit/")]
    body, content_type = encode_urlencoded(submission(submit))
    client.post(submit.action, body, content_type=content_type)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def item(call, n: int) -> dict:
    offering = call.call_offerings.order_by("pk")[n]
    return {
        "offering": offering.offering_id,
        "quantity": 2 + n,
        "starts_on": call.service_starts_on.isoformat(),
        "ends_on": call.service_ends_on.isoformat(),
    }
