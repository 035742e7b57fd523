"""The access record service and what keeps the log intact: written once, never changed or
deleted (by code, the admin or a cascade), only staff recorded."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from accesslog import services
from accesslog.models import AccessLogIsAppendOnly, AccessPage, AccessRecord
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(db):
    return OrganizationFactory(legal_name="광주 AI 주식회사")


def record(actor, subject, page=AccessPage.ORGANIZATION_ADMIN):
    return services.access_record(actor=actor, address="198.51.100.4", page=page, path="/somewhere/", subject=subject)


def test_a_staff_access_is_one_row_with_who_what_and_where(reviewer, organization):
    saved = record(reviewer, organization)

    [row] = AccessRecord.objects.all()
    assert row == saved
    assert (row.actor, row.actor_email, row.kind, row.page) == (reviewer, reviewer.email, "view", "organization_admin")
    assert (row.content_type.model, row.object_id, row.object_repr) == (
        "organization",
        str(organization.pk),
        "광주 AI 주식회사",
    )
    assert (row.ip_address, row.path) == ("198.51.100.4", "/somewhere/")


def test_each_access_is_its_own_row(reviewer, organization):
    record(reviewer, organization)
    record(reviewer, organization)

    assert AccessRecord.objects.count() == 2


def test_an_applicants_access_is_not_recorded(applicant, organization):
    assert record(applicant, organization) is None
    assert not AccessRecord.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "operator", "superuser"])
def test_every_kind_of_staff_is_recorded(request, role, organization):
    assert record(request.getfixturevalue(role), organization) is not None


def test_a_record_is_never_changed(reviewer, organization):
    row = record(reviewer, organization)
    row.object_repr = "다른 기관"

    with pytest.raises(AccessLogIsAppendOnly):
        row.save()
    with pytest.raises(AccessLogIsAppendOnly):
        AccessRecord.objects.update(object_repr="다른 기관")

    assert AccessRecord.objects.get().object_repr == "광주 AI 주식회사"


def test_a_record_is_never_deleted(reviewer, organization):
    row = record(reviewer, organization)

    with pytest.raises(AccessLogIsAppendOnly):
        row.delete()
    with pytest.raises(AccessLogIsAppendOnly):
        AccessRecord.objects.all().delete()

    assert AccessRecord.objects.count() == 1


def test_a_staff_member_with_records_cannot_be_deleted(reviewer, organization):
    record(reviewer, organization)

    with pytest.raises(ProtectedError):
        reviewer.delete()


def test_the_record_outlives_the_object_it_names(reviewer, organization):
    record(reviewer, organization)

    organization.delete()

    assert AccessRecord.objects.get().object_repr == "광주 AI 주식회사"


def test_in_the_admin_not_even_a_superuser_changes_or_deletes_a_record(client, superuser, reviewer, organization):
    row = record(reviewer, organization)
    client.force_login(superuser)

    assert client.get(reverse("admin:accesslog_accessrecord_changelist")).status_code == 200
    assert client.get(reverse("admin:accesslog_accessrecord_change", args=[row.pk])).status_code == 200
    assert client.post(reverse("admin:accesslog_accessrecord_change", args=[row.pk]), {}).status_code == 403
    assert (
        client.post(reverse("admin:accesslog_accessrecord_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:accesslog_accessrecord_add")).status_code == 403
    assert AccessRecord.objects.count() == 1


def test_reviewers_do_not_read_the_log(client, reviewer, organization):
    record(reviewer, organization)
    client.force_login(reviewer)

    assert client.get(reverse("admin:accesslog_accessrecord_changelist")).status_code == 403
