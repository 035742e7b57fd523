"""Applicant pages take the same number of queries with 1 and with 50 applications and items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Membership, PriorityClaim
from tests.factories import (
    ApplicationFactory,
    ApplicationItemFactory,
    CallFactory,
    CallOfferingFactory,
    MembershipFactory,
    OfferingFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "home",
    "call_list",
    "call_detail",
    "application_list",
    "application_detail",
    *[f"application_step_{step}" for step in ("organisation", "project", "resources", "priority", "documents")],
    "application_review",
    "organization_detail",
]


def build_world(user, size: int) -> dict:
    """``size`` open calls, each applied to by the user's organisation; the first call offers
    ``size`` resources and its application requests all of them, with every kind of claim."""
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=user, role=Membership.Role.OWNER)
    for _ in range(size - 1):
        MembershipFactory(organization=organization)
    calls = [CallFactory() for _ in range(size)]
    offerings = [OfferingFactory() for _ in range(size)]
    for offering in offerings:
        CallOfferingFactory(call=calls[0], offering=offering, max_per_application=10)
    applications = [ApplicationFactory(organization=organization, call=call) for call in calls]
    for offering in offerings:
        ApplicationItemFactory(application=applications[0], offering=offering)
    for kind in PriorityClaim.Kind.values:
        PriorityClaim.objects.create(application=applications[0], kind=kind, details="details")
    for _ in range(size):
        applications[0].transitions.create(actor=user, from_status="draft", to_status="draft")
    return {
        "home": reverse("home"),
        "call_list": reverse("call_list"),
        "call_detail": reverse("call_detail", args=[calls[0].pk]),
        "application_list": reverse("application_list"),
        "application_detail": reverse("application_detail", args=[applications[0].pk]),
        **{
            f"application_step_{step}": reverse("application_step", args=[applications[0].pk, step])
            for step in ("organisation", "project", "resources", "priority", "documents")
        },
        "application_review": reverse("application_review", args=[applications[0].pk]),
        "organization_detail": reverse("organization_detail", args=[organization.pk]),
    }


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_takes_the_same_queries_with_one_and_with_fifty_rows(client, applicant, other_org_applicant, page):
    client.force_login(applicant)
    small = count_queries(client, build_world(applicant, 1)[page])
    client.force_login(other_org_applicant)
    large = count_queries(client, build_world(other_org_applicant, 50)[page])

    assert small == large
    assert large <= 15
