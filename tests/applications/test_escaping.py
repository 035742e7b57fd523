"""What applicants type is shown as text, never run as HTML, on every page that shows it.

The payloads go in through the real forms; each page must contain their escaped form and never
the raw markup. A ``javascript:`` website is refused outright, since escaping cannot defuse it in
an ``href``.
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from applications import services
from applications.models import Application, Organization, PriorityClaim
from tests.applications.conftest import edit_form_data, post_draft
from tests.factories import business_number

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
# Valid for URLValidator (no whitespace), and breaks out of href="…" if rendered raw.
WEBSITE = f'https://example.com/">{SCRIPT}'
# A quoted local part may hold markup and still be a valid address.
EMAIL = '"<script>alert(1)</script>"@example.kr'


def organization_form_data(n: int, **fields) -> dict:
    return {
        "legal_name": "광주 AI 주식회사",
        "org_type": "sme",
        "registration_number": business_number(n),
        "region": "gwangju",
        "address": "광주광역시 북구 첨단과기로 123",
        "industry": "healthcare",
        "employees": "25",
        "website": "",
        **fields,
    }


def assert_escaped(response, *payloads: str) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    for payload in payloads:
        assert payload not in html
        assert escape(payload) in html


@pytest.fixture
def owner_client(client, applicant):
    client.force_login(applicant)
    return client


@pytest.fixture
def hostile_organization(owner_client):
    """An organisation registered through the form with markup in every free-text field."""
    data = organization_form_data(101, legal_name=SCRIPT, address=f"광주광역시 북구 {IMG}", website=WEBSITE)
    response = owner_client.post(reverse("organization_create"), data)
    assert response.status_code == 302
    return Organization.objects.get(registration_number=business_number(101))


@pytest.fixture
def hostile_application(owner_client, applicant, open_call, hostile_organization, settings, tmp_path):
    """The hostile organisation's draft, saved through the edit form with markup in every text
    field and in the claim details."""
    settings.MEDIA_ROOT = tmp_path
    application = services.application_start(actor=applicant, call=open_call, organization=hostile_organization)
    data = edit_form_data(
        open_call,
        project_title=SCRIPT,
        summary=IMG,
        plan=SCRIPT,
        expected_outcome=IMG,
        claims={PriorityClaim.Kind.CLUSTER_PARTICIPANT: {"details": f"{SCRIPT} {IMG}"}},
    )
    response = post_draft(owner_client, application, data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.project_title == SCRIPT
    return application


# --- Organisation profile --------------------------------------------------------------------------


def test_the_organisation_profile_page_escapes_name_address_and_website(owner_client, hostile_organization):
    response = owner_client.get(reverse("organization_detail", args=[hostile_organization.pk]))

    assert_escaped(response, SCRIPT, IMG, WEBSITE)


def test_the_organisation_edit_form_escapes_the_stored_values(owner_client, hostile_organization):
    response = owner_client.get(reverse("organization_edit", args=[hostile_organization.pk]))

    assert_escaped(response, SCRIPT, IMG, WEBSITE)


def test_my_applications_page_escapes_the_organisation_name(owner_client, hostile_organization):
    response = owner_client.get(reverse("application_list"))

    assert_escaped(response, SCRIPT)


def test_the_call_page_escapes_the_names_of_the_organisations_to_apply_for(owner_client, open_call):
    # The names are listed only when the user may apply for more than one organisation.
    for n, name in enumerate([SCRIPT, IMG]):
        owner_client.post(reverse("organization_create"), organization_form_data(200 + n, legal_name=name))
    assert Organization.objects.count() == 2

    response = owner_client.get(reverse("call_detail", args=[open_call.pk]))

    assert_escaped(response, SCRIPT, IMG)


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_the_organisation_form_refuses_a_script_website(owner_client, website):
    response = owner_client.post(reverse("organization_create"), organization_form_data(301, website=website))

    assert response.status_code == 200
    assert "website" in response.context["form"].errors
    assert not Organization.objects.exists()


def test_the_organisation_edit_form_refuses_a_script_website(owner_client, organization):
    data = organization_form_data(
        0, website="javascript:alert(1)", registration_number=organization.registration_number
    )

    response = owner_client.post(reverse("organization_edit", args=[organization.pk]), data)

    assert response.status_code == 200
    assert "website" in response.context["form"].errors
    organization.refresh_from_db()
    assert organization.website == ""


def test_a_refused_organisation_form_escapes_what_was_typed(owner_client):
    data = organization_form_data(
        401, legal_name=SCRIPT, address=f"광주광역시 {IMG}", registration_number="123-45-67890", region=IMG
    )

    response = owner_client.post(reverse("organization_create"), data)

    assert response.context["form"].errors.keys() >= {"registration_number", "region"}
    assert_escaped(response, SCRIPT, IMG)


# --- Invitations -----------------------------------------------------------------------------------


def test_an_invited_address_with_markup_is_escaped_in_the_message_and_the_pending_list(owner_client, organization):
    response = owner_client.post(reverse("organization_invite", args=[organization.pk]), {"email": EMAIL}, follow=True)

    assert organization.invitations.get().email == EMAIL
    assert_escaped(response, "<script>alert(1)</script>")
    assert escape(EMAIL) in response.content.decode()


# --- Applications --------------------------------------------------------------------------------


def test_the_application_status_page_escapes_every_text_field_and_the_claim_details(owner_client, hostile_application):
    response = owner_client.get(reverse("application_detail", args=[hostile_application.pk]))

    assert_escaped(response, SCRIPT, IMG)
    html = response.content.decode()
    assert html.count(escape(SCRIPT)) >= 4  # organisation, title, plan, claim details
    assert html.count(escape(IMG)) >= 3  # summary, expected outcome, claim details


@pytest.mark.parametrize("step", ["organisation", "project", "priority", "review"])
def test_the_application_form_s_steps_escape_the_saved_draft(owner_client, hostile_application, step):
    if step == "review":
        url = reverse("application_review", args=[hostile_application.pk])
    else:
        url = reverse("application_step", args=[hostile_application.pk, step])
    response = owner_client.get(url)

    assert_escaped(response, SCRIPT, IMG)


def test_my_applications_page_escapes_the_project_title_and_organisation(owner_client, hostile_application):
    response = owner_client.get(reverse("application_list"))

    assert_escaped(response, SCRIPT)


def test_a_refused_application_form_escapes_what_was_typed(owner_client, applicant, open_call, organization):
    application = services.application_start(actor=applicant, call=open_call, organization=organization)
    data = edit_form_data(open_call, project_title=SCRIPT, summary=IMG, purpose=SCRIPT, industry_domain=IMG)

    response = post_draft(owner_client, application, data)

    assert response.context["form"].errors.keys() >= {"purpose", "industry_domain"}
    assert_escaped(response, SCRIPT, IMG)
    application.refresh_from_db()
    # The draft keeps what is valid (the title, as text) and not the refused choices.
    assert (application.project_title, application.purpose, application.industry_domain) == (SCRIPT, "", "")


def test_a_withdrawal_reason_is_escaped_in_the_history(owner_client, hostile_application):
    owner_client.post(reverse("application_withdraw", args=[hostile_application.pk]), {"reason": IMG})

    response = owner_client.get(reverse("application_detail", args=[hostile_application.pk]))

    hostile_application.refresh_from_db()
    assert hostile_application.status == Application.Status.WITHDRAWN
    assert_escaped(response, IMG)
    assert hostile_application.transitions.last().reason == IMG


def test_the_reviewers_admin_page_escapes_the_application(client, reviewer, hostile_application):
    client.force_login(reviewer)

    response = client.get(reverse("admin:applications_application_change", args=[hostile_application.pk]))

    assert_escaped(response, SCRIPT, IMG)
