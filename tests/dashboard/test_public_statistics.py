from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Organization
from dashboard.selectors import public
from tests.factories import CallFactory

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


# --- What is not public yet, or not consented to (security review, finding 15) --------------------


def test_a_call_before_its_opening_is_not_on_the_statistics(client, world):
    future = CallFactory(title="예정된 하반기 공고", opens_at=timezone.now() + timedelta(days=3))

    page = client.get(STATISTICS).content.decode()

    assert world.call.title in page
    assert future.title not in page and reverse("call_detail", args=[future.pk]) not in page
    assert [figures.call for figures in public.public_call_figures()] == [world.call]


def test_a_project_title_is_published_only_with_its_own_consent(client, world):
    a, b = world.applications["A"], world.applications["B"]  # both selected
    Organization.objects.filter(pk__in=[a.organization_id, b.organization_id]).update(listed_publicly=True)
    Application.objects.filter(pk=a.pk).update(project_title="공개해도 되는 과제", title_listed_publicly=True)
    Application.objects.filter(pk=b.pk).update(project_title="비밀 신약 후보 물질 탐색")

    page = client.get(STATISTICS).content.decode()

    assert "기관 A" in page and "공개해도 되는 과제" in page
    assert "기관 B" in page  # the organisation agreed to be named ...
    assert "비밀 신약 후보 물질 탐색" not in page  # ... but not to the project's title


def test_the_title_consent_is_the_applicants_choice_and_off_for_existing_applications():
    from django.db.migrations.loader import MigrationLoader

    from applications.forms import ApplicationForm

    field = ApplicationForm.base_fields["title_listed_publicly"]
    assert not field.required and not field.initial
    loader = MigrationLoader(None, ignore_no_migrations=True)
    [added] = [
        operation
        for migration in loader.disk_migrations.values()
        for operation in migration.operations
        if getattr(operation, "name", None) == "title_listed_publicly"
    ]
    assert added.field.default is False  # existing rows get no consent they never gave
