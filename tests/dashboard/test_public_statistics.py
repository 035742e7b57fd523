import pytest
from django.urls import reverse

from applications.models import Organization
from dashboard.selectors import public

pytestmark = pytest.mark.django_db

STATISTICS = reverse("public_statistics")


def test_anyone_may_read_the_statistics(client, world):
    response = client.get(STATISTICS)

    assert response.status_code == 200
    page = response.content.decode()
    assert world.call.title in page
    assert 'id="public-region"' in page and 'id="public-industry"' in page and 'id="public-capacity"' in page


def test_organisations_are_named_only_when_selected_and_consenting(client, world):
    Organization.objects.filter(pk=world.applications["A"].organization_id).update(listed_publicly=True)
    Organization.objects.filter(pk=world.applications["F"].organization_id).update(listed_publicly=True)

    page = client.get(STATISTICS).content.decode()

    assert "기관 A" in page  # selected and consenting
    assert "기관 F" not in page  # consenting, but not selected
    assert "기관 B" not in page  # selected, but not consenting
    assert "applicant@" not in page and "@example.kr" not in page  # no personal data


def test_the_calls_table_counts_submissions_and_selections(client, world):
    figures = client.get(STATISTICS).context["figures"]

    [call] = figures.calls
    assert (call.submitted, call.selected) == (8, 5)
    region = next(breakdown for breakdown, _chart in figures.breakdowns if breakdown.dimension == "region")
    assert {row.key: (row.applications, row.approved) for row in region.rows}["gwangju"] == (4, 2)


def test_organisations_can_consent_on_their_profile(client, applicant):
    from applications.forms import OrganizationForm

    assert "listed_publicly" in OrganizationForm.base_fields
    assert not OrganizationForm.base_fields["listed_publicly"].required


# --- The figures behind the page (dashboard.selectors.public) ------------------------------------


def test_public_figures_count_submissions_and_selections_per_call(world):
    [figures] = public.public_call_figures()

    assert (figures.submitted, figures.selected) == (8, 5)  # draft and withdrawn are not submissions


def test_only_consenting_organisations_are_listed_publicly(world):
    organization = world.applications["A"].organization
    organization.listed_publicly = True
    organization.save()
    world.applications["F"].organization.__class__.objects.filter(pk=world.applications["F"].organization.pk).update(
        listed_publicly=True
    )  # consented, but not selected

    assert [application.pk for application in public.listed_selections()] == [world.applications["A"].pk]
