"""Fixtures for the applicant side: an open call with two offerings, organisations with members,
and files that pass or fail the upload checks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Membership
from pool.models import Offering
from tests.factories import CallFactory, CallOfferingFactory, MembershipFactory, OfferingFactory, OrganizationFactory

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def complete(draft, offering, quantity: int):
    """Fill ``draft`` in as an applicant does before submitting: every required field, the
    business certificate, one request of ``quantity`` of ``offering``."""
    from tests.factories import ApplicationItemFactory

    draft.business_certificate = pdf("certificate.pdf")
    draft.purpose = "training"
    for field in ("project_title", "summary", "plan", "expected_outcome"):
        setattr(draft, field, "text")
    draft.industry_domain = "energy"
    draft.save()
    ApplicationItemFactory(application=draft, offering=offering, quantity=quantity)
    return draft


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def edit_form_data(call, *, certificate=None, claims=None, **fields) -> dict:
    """A valid POST for the application edit view: the project text, one requested item and,
    for each ``claims`` kind ticked, its fields (``{"gwangju_located": {"evidence": file}}``)."""
    offering = call.call_offerings.all()[0].offering
    data = {
        "purpose": "training",
        "project_title": "제조 결함 탐지 모델 학습",
        "summary": "요약",
        "plan": "계획",
        "expected_outcome": "기대 효과",
        "industry_domain": "automotive",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
        "items-0-offering": str(offering.pk),
        "items-0-quantity": "2",
        "items-0-starts_on": call.service_starts_on.isoformat(),
        "items-0-ends_on": call.service_ends_on.isoformat(),
        **fields,
    }
    if certificate is not None:
        data["business_certificate"] = certificate
    for kind, values in (claims or {}).items():
        data[f"claim-{kind}-claimed"] = "on"
        for name, value in values.items():
            data[f"claim-{kind}-{name}"] = value
    return data


PROJECT_FIELDS = (
    "purpose",
    "project_title",
    "title_listed_publicly",
    "summary",
    "plan",
    "expected_outcome",
    "industry_domain",
)
CLAIM_FIELDS = ("claimed", "details", "relocation_target", "relocation_planned_on")


def step_parts(data: dict) -> dict[str, dict]:
    """A whole form's POST (``edit_form_data``) split into what each step of the form posts."""
    parts: dict[str, dict] = {"project": {}, "resources": {}, "priority": {}, "documents": {}}
    for key, value in data.items():
        if key in PROJECT_FIELDS:
            parts["project"][key] = value
        elif key.startswith("items-"):
            parts["resources"][key] = value
        elif key == "business_certificate":
            parts["documents"][key] = value
        elif key.startswith("claim-"):
            kind, name = key.removeprefix("claim-").rsplit("-", 1)
            if name == "evidence":
                parts["documents"][f"evidence_{kind}"] = value
            elif name in CLAIM_FIELDS:
                parts["priority"][key] = value
    if any(key.startswith("claim-") for key in data):
        parts["priority"].setdefault("go", "next")
    return {step: part for step, part in parts.items() if part}


def post_step(client, application, step: str, data: dict, go: str = "next"):
    from django.urls import reverse

    return client.post(reverse("application_step", args=[application.pk, step]), {"go": go, **data})


def post_draft(client, application, data: dict):
    """Post a whole form (``edit_form_data``) through the steps as the browser does, project to
    documents: the first response that stays on its step (a refusal, 200) or the last redirect."""
    response = None
    for step, part in step_parts(data).items():
        response = post_step(client, application, step, part)
        if response.status_code != 302:
            return response
    return response


@pytest.fixture
def gpu(db):
    return OfferingFactory(name="A100 GPU", kind=Offering.Kind.GPU, unit=Offering.Unit.GPU)


@pytest.fixture
def storage(db):
    return OfferingFactory(name="Storage", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)


@pytest.fixture
def open_call(gpu, storage):
    call = CallFactory()
    CallOfferingFactory(call=call, offering=gpu, max_per_application=8)
    CallOfferingFactory(call=call, offering=storage, max_per_application=100)
    return call


@pytest.fixture
def organization(applicant):
    """The applicant's organisation; the applicant owns it."""
    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    return organization


@pytest.fixture
def other_organization(other_org_applicant):
    organization = OrganizationFactory(legal_name="다른 기관")
    MembershipFactory(organization=organization, user=other_org_applicant, role=Membership.Role.OWNER)
    return organization
