"""Every page and file that shows staff an applicant's personal data writes one access record:
who, when, what, from which address. Applicants reaching their own data, and refused requests,
write none."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accesslog.models import AccessKind, AccessPage, AccessRecord
from applications.models import Application, PriorityClaim

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.24"


def visit(user, path: str, **extra):
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    response = client.get(path, **extra)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response


def recorded(world):
    """The records written by the test (the world holds one of its own)."""
    return AccessRecord.objects.exclude(pk=world.access_record.pk)


def only_record(world) -> AccessRecord:
    [record] = recorded(world)
    return record


def assert_recorded(record: AccessRecord, *, actor, page: AccessPage, kind: AccessKind, subject=None, path: str):
    assert (record.actor, record.actor_email) == (actor, actor.email)
    assert (record.page, record.kind) == (page, kind)
    assert record.ip_address == ADDRESS
    assert record.path == path
    assert timezone.now() - record.at < timedelta(minutes=1)
    if subject is not None:
        assert record.content_type.model_class() is type(subject)
        assert record.object_id == str(subject.pk)
        assert record.object_repr == str(subject)


# --- The admin -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "operator", "superuser"])
def test_an_organisations_admin_page_is_recorded(world, role):
    path = reverse("admin:applications_organization_change", args=[world.organization.pk])

    assert visit(world.user(role), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user(role),
        page=AccessPage.ORGANIZATION_ADMIN,
        kind=AccessKind.VIEW,
        subject=world.organization,
        path=path,
    )


def test_a_users_admin_page_is_recorded(world):
    path = reverse("admin:accounts_user_change", args=[world.owner.pk])

    assert visit(world.user("superuser"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("superuser"),
        page=AccessPage.USER_ADMIN,
        kind=AccessKind.VIEW,
        subject=world.owner,
        path=path,
    )


def test_an_applications_admin_page_is_recorded(world):
    path = reverse("admin:applications_application_change", args=[world.submitted.pk])

    assert visit(world.user("operator"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("operator"),
        page=AccessPage.APPLICATION_ADMIN,
        kind=AccessKind.VIEW,
        subject=Application.objects.get(pk=world.submitted.pk),
        path=path,
    )


def test_an_applications_decision_page_is_recorded(world):
    path = reverse("admin:applications_application_decide", args=[world.submitted.pk])

    assert visit(world.user("reviewer"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("reviewer"),
        page=AccessPage.DECISION_PAGE,
        kind=AccessKind.VIEW,
        subject=Application.objects.get(pk=world.submitted.pk),
        path=path,
    )


def test_a_reports_admin_page_is_recorded(world):
    path = reverse("admin:aftercare_report_change", args=[world.filed_report.pk])

    assert visit(world.user("reviewer"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("reviewer"),
        page=AccessPage.REPORT_ADMIN,
        kind=AccessKind.VIEW,
        subject=world.filed_report,
        path=path,
    )


def test_an_emails_admin_page_is_recorded(world):
    path = reverse("admin:notifications_notification_change", args=[world.notification.pk])

    assert visit(world.user("operator"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("operator"),
        page=AccessPage.EMAIL_ADMIN,
        kind=AccessKind.VIEW,
        subject=world.notification,
        path=path,
    )


def test_lists_and_pages_without_an_applicants_data_are_not_recorded(world):
    reviewer = world.user("reviewer")
    for path in (
        reverse("admin:index"),
        reverse("admin:applications_application_changelist"),
        reverse("admin:applications_call_change", args=[world.call.pk]),
        reverse("admin:applications_organization_history", args=[world.organization.pk]),
    ):
        assert visit(reviewer, path).status_code == 200, path

    assert not recorded(world).exists()


def test_an_admin_page_refused_or_not_found_is_not_recorded(world):
    visit(world.user("operator"), reverse("admin:applications_application_decide", args=[world.submitted.pk]))
    visit(world.user("reviewer"), reverse("admin:applications_organization_change", args=[987654]))
    visit(world.user("reviewer"), reverse("admin:accounts_user_change", args=[world.owner.pk]))

    assert not recorded(world).exists()


# --- The site's pages and downloads ------------------------------------------------------------------


def test_staff_reading_an_application_on_the_site_is_recorded(world):
    path = reverse("application_detail", args=[world.draft.pk])

    assert visit(world.user("operator"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("operator"),
        page=AccessPage.APPLICATION_PAGE,
        kind=AccessKind.VIEW,
        subject=Application.objects.get(pk=world.draft.pk),
        path=path,
    )


def test_a_business_certificate_downloaded_by_staff_is_recorded(world):
    path = reverse("application_certificate", args=[world.submitted.pk])

    assert visit(world.user("reviewer"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("reviewer"),
        page=AccessPage.CERTIFICATE,
        kind=AccessKind.DOWNLOAD,
        subject=Application.objects.get(pk=world.submitted.pk),
        path=path,
    )


def test_evidence_downloaded_by_staff_is_recorded(world):
    path = reverse("claim_evidence", args=[world.claim.pk])

    assert visit(world.user("reviewer"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("reviewer"),
        page=AccessPage.EVIDENCE,
        kind=AccessKind.DOWNLOAD,
        subject=PriorityClaim.objects.get(pk=world.claim.pk),
        path=path,
    )


def test_a_report_attachment_downloaded_by_staff_is_recorded(world):
    path = reverse("report_attachment", args=[world.filed_report.pk])

    assert visit(world.user("operator"), path).status_code == 200

    assert_recorded(
        only_record(world),
        actor=world.user("operator"),
        page=AccessPage.REPORT_ATTACHMENT,
        kind=AccessKind.DOWNLOAD,
        subject=world.filed_report,
        path=path,
    )


@pytest.mark.parametrize("role", ["owner", "member"])
def test_applicants_reaching_their_own_organisations_data_are_not_recorded(world, role):
    """The log is of the processor's staff reaching data subjects' data: an applicant reaches only
    their own organisation's, and is not recorded (a choice; see accesslog/services.py)."""
    user = world.user(role)
    for path in (
        reverse("application_detail", args=[world.submitted.pk]),
        reverse("application_certificate", args=[world.submitted.pk]),
        reverse("claim_evidence", args=[world.claim.pk]),
        reverse("report_attachment", args=[world.filed_report.pk]),
    ):
        assert visit(user, path).status_code == 200, path

    assert not recorded(world).exists()


def test_another_organisations_applicant_refused_a_file_is_not_recorded(world):
    assert (
        visit(world.user("outsider"), reverse("application_certificate", args=[world.submitted.pk])).status_code == 404
    )

    assert not recorded(world).exists()


# --- The client's address ------------------------------------------------------------------------------


def test_behind_the_reverse_proxy_the_clients_address_is_recorded_as_the_login_limits_read_it(world, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.9.0.2")  # the proxy
    client.force_login(world.user("reviewer"))

    # The client forged an entry in front; the proxy appended the address it saw.
    client.get(
        reverse("application_certificate", args=[world.submitted.pk]),
        HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.7",
    )

    assert only_record(world).ip_address == "198.51.100.7"


def test_an_unreadable_client_address_is_refused_rather_than_recorded_without_one(world, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.9.0.2")
    client.force_login(world.user("reviewer"))

    response = client.get(
        reverse("application_certificate", args=[world.submitted.pk]), HTTP_X_FORWARDED_FOR="not-an-address"
    )

    assert response.status_code == 403
    assert not recorded(world).exists()


# --- The dashboard's exports ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["waitlist", "expiring"])
def test_an_export_that_names_organisations_is_recorded(world, table):
    path = reverse("dashboard_export", args=[table]) + f"?call={world.call.pk}"

    assert visit(world.user("operator"), path).status_code == 200

    record = only_record(world)
    assert_recorded(
        record, actor=world.user("operator"), page=AccessPage.DASHBOARD_EXPORT, kind=AccessKind.EXPORT, path=path
    )
    assert record.content_type is None
    assert record.object_repr == f"{table}.csv · {world.call}"


@pytest.mark.parametrize("table", ["capacity", "utilisation", "demand", "funnel", "breakdowns", "surveys"])
def test_an_export_of_figures_alone_is_not_recorded(world, table):
    assert visit(world.user("operator"), reverse("dashboard_export", args=[table])).status_code == 200

    assert not recorded(world).exists()
