from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from aftercare.demo import CURRENT_CALL_TITLE as AFTERCARE_CALL_TITLE
from aftercare.models import ChangeRequest, Report, SurveyInvitation, SurveyResponse
from allocations.models import HOLDING_STATES, Allocation
from applications.business_number import normalize_business_number
from applications.demo import (
    CURRENT_CALL_TITLE,
    DEMO_ORGANIZATION_NAME,
    HISTORIC_CALL_TITLE,
    OPEN_CALL_TITLE,
    PILOT_CALL_TITLE,
    SEOUL,
    seed_demo_calls,
)
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    Membership,
    Organization,
    PriorityClaim,
)
from applications.regions import Region, region_from_address
from pool.models import Offering

pytestmark = pytest.mark.django_db

SEEDED_MODELS = (
    Offering,
    Call,
    CallOffering,
    Organization,
    Membership,
    Application,
    ApplicationItem,
    PriorityClaim,
    ApplicationTransition,
    ChangeRequest,
    Report,
    SurveyInvitation,
    SurveyResponse,
)


def seed(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module's read-only checks (seeding decides two calls: seconds each);
    each test still runs in its own rolled-back transaction, and the rows go at the end."""
    with django_db_blocker.unblock():
        try:
            call_command("seed_demo", force=True, stdout=StringIO())
            yield
        finally:  # also when seeding fails: the rows must not leak into other modules' tests
            # Released first: SQLite's flush deletes table by table (see tests/conftest.py).
            Allocation.objects.filter(state__in=HOLDING_STATES).update(state=Allocation.State.REVOKED)
            call_command("flush", interactive=False, verbosity=0)


def test_seeding_twice_creates_nothing_new(settings):
    first_output = seed(settings)
    first = row_counts()
    second_output = seed(settings)

    assert row_counts() == first
    assert first["Offering"] == 6
    assert first["Call"] == 5  # and the call in service of aftercare/demo.py
    assert first["Organization"] == 112
    assert first["Application"] == 241 + 6
    summary = "Demo data: 6 offerings, 4 calls, 112 organisations, 241 applications"
    assert summary in first_output
    assert summary in second_output


def test_it_seeds_an_open_call_the_closed_2021_call_and_the_pilot(seeded, db):
    open_call = Call.objects.get(title=OPEN_CALL_TITLE)
    historic = Call.objects.get(title=HISTORIC_CALL_TITLE)
    pilot = Call.objects.get(title=PILOT_CALL_TITLE)

    assert open_call.is_open()
    assert open_call.deadline.astimezone(SEOUL).hour == 18
    assert open_call.call_offerings.count() == 6
    assert open_call.applications.filter(status=Application.Status.SUBMITTED).count() == 30
    assert not historic.is_open() and not historic.is_pilot
    # The 2021 calls are decided (approved while the pool allowed, the rest wait-listed).
    decided = [Application.Status.APPROVED, Application.Status.WAITLISTED]
    assert historic.applications.filter(status__in=decided).count() == 100
    assert historic.applications.filter(status=Application.Status.APPROVED).exists()
    assert not pilot.is_open() and pilot.is_pilot and pilot.selection_target == 11
    assert pilot.applications.filter(status__in=decided).count() == 11
    assert not pilot.applications.filter(organization__applications__call=historic).exists()


def test_the_call_in_service_gives_the_dashboard_running_allocations_ending_soon_and_a_wait_list(seeded, db):
    from allocations.models import Allocation
    from dashboard import selectors

    current = Call.objects.get(title=CURRENT_CALL_TITLE)
    today = timezone.localdate()

    assert current.service_starts_on < today < current.service_ends_on
    assert current.applications.filter(status=Application.Status.WAITLISTED).exists()
    running = Allocation.objects.filter(application_item__application__call=current, state=Allocation.State.ACTIVE)
    assert running.exists()
    assert all(allocation.starts_on <= today <= allocation.ends_on for allocation in running)
    assert selectors.expiring_allocations(today).exists()
    gpu = next(row for row in selectors.capacity_overview(today, today, today) if row.offering.kind == "gpu")
    assert gpu.utilisation_today > 50


def test_registration_numbers_are_valid_and_unique(seeded, db):
    numbers = list(Organization.objects.values_list("registration_number", flat=True))

    assert len(numbers) == len(set(numbers)) == 112
    for number in numbers:
        assert normalize_business_number(number) == number


def test_every_seeded_row_passes_model_validation(seeded, db):
    for model in (Organization, Call, CallOffering, ApplicationItem, PriorityClaim):
        for row in model.objects.all():
            row.full_clean()
    for application in Application.objects.all():
        # No user created the historic applications; created_by is nullable but not blank=True.
        application.full_clean(exclude=["created_by"])


def test_addresses_start_with_the_region_of_the_organisation(seeded, db):
    for organization in Organization.objects.all():
        assert region_from_address(organization.address) == organization.region, organization.address
    share_in_gwangju = Organization.objects.filter(region=Region.GWANGJU).count() / Organization.objects.count()
    assert 0.35 <= share_in_gwangju <= 0.5


def test_gwangju_si_in_gyeonggi_is_not_gwangju(seeded, db):
    organizations = Organization.objects.filter(address__startswith="경기도 광주시 ")

    assert organizations.exists()
    for organization in organizations:
        assert organization.region == Region.GYEONGGI
        assert not organization.is_in_gwangju
        assert not organization.applications.filter(claims__kind=PriorityClaim.Kind.GWANGJU_LOCATED).exists()


def test_every_item_is_within_the_calls_maximum_and_service_period(seeded, db):
    limits = {(co.call_id, co.offering_id): co.max_per_application for co in CallOffering.objects.all()}
    items = ApplicationItem.objects.select_related("application__call")

    assert items.exists()
    for item in items:
        call = item.application.call
        assert item.quantity <= limits[(call.pk, item.offering_id)]
        assert call.service_starts_on <= item.starts_on <= item.ends_on <= call.service_ends_on


def test_every_application_was_submitted_in_its_calls_window_with_its_history(seeded, db):
    now = timezone.now()
    for application in Application.objects.select_related("call").prefetch_related("transitions"):
        call = application.call
        assert call.opens_at <= application.created_at <= application.submitted_at
        assert application.submitted_at <= min(call.deadline, now)
        assert 1 <= application.items.count() <= 3
        assert application.industry_domain == application.organization.industry
        history = [(t.from_status, t.to_status, t.created_at) for t in application.transitions.all()]
        assert history[:2] == [
            ("", Application.Status.DRAFT, application.created_at),
            (Application.Status.DRAFT, Application.Status.SUBMITTED, application.submitted_at),
        ]
        # The 2021 calls were decided a week after their deadline.
        assert [(f, t) for f, t, _at in history[2:]] in ([], [("submitted", "approved")], [("submitted", "waitlisted")])
        assert all(call.deadline < at and at.date() < call.service_starts_on for *_x, at in history[2:])
        assert all(at <= now for *_x, at in history)
        assert application.organization.created_at <= application.created_at


def test_the_demo_applicant_owns_the_demo_organisation_and_has_not_applied_to_the_open_call(seeded, db):
    organization = Organization.objects.get(legal_name=DEMO_ORGANIZATION_NAME)

    assert organization.region == Region.GWANGJU
    assert organization.address == "광주광역시 북구 첨단과기로 123"
    membership = Membership.objects.get(organization=organization)
    assert membership.user.email == "applicant@portal.test"
    assert membership.role == Membership.Role.OWNER
    assert not organization.applications.filter(call__title=OPEN_CALL_TITLE).exists()
    # Its one application is the award in service, for the after-award demo.
    assert list(organization.applications.values_list("call__title", "status")) == [
        (AFTERCARE_CALL_TITLE, Application.Status.APPROVED)
    ]
    # The sample organisations have no members: only the demo applicant's organisation does.
    assert Membership.objects.count() == 1


def test_it_seeds_priority_claims_verified_in_2021_and_awaiting_verification_in_the_open_call(seeded, db):
    claims = PriorityClaim.objects.select_related("application__organization")

    assert claims.filter(kind=PriorityClaim.Kind.GWANGJU_LOCATED).exists()
    assert claims.filter(kind=PriorityClaim.Kind.CLUSTER_PARTICIPANT).exists()
    relocating = claims.filter(kind=PriorityClaim.Kind.RELOCATING)
    assert relocating.exists()
    for claim in relocating:
        assert claim.relocation_target and claim.relocation_planned_on
        assert not claim.application.organization.is_in_gwangju
    for claim in claims.filter(kind=PriorityClaim.Kind.GWANGJU_LOCATED):
        assert claim.application.organization.is_in_gwangju
    open_claims = claims.filter(application__call__title=OPEN_CALL_TITLE)
    assert set(open_claims.values_list("verification", flat=True)) == {PriorityClaim.Verification.PENDING}
    decided_claims = claims.exclude(application__call__title=OPEN_CALL_TITLE)
    assert set(decided_claims.values_list("verification", flat=True)) == {PriorityClaim.Verification.VERIFIED}


def test_a_later_run_reopens_the_open_call_and_moves_its_queue_with_it(settings):
    seed(settings)
    counts = row_counts()

    later = timezone.now() + timedelta(days=40)
    with time_machine.travel(later, tick=False):
        seed_demo_calls()
        open_call = Call.objects.get(title=OPEN_CALL_TITLE)
        assert open_call.is_open()

    assert row_counts() == counts
    for application in open_call.applications.prefetch_related("items", "transitions"):
        assert open_call.opens_at <= application.created_at <= application.submitted_at <= later
        assert [t.created_at for t in application.transitions.all()] == [
            application.created_at,
            application.submitted_at,
        ]
        for item in application.items.all():
            assert open_call.service_starts_on <= item.starts_on <= item.ends_on <= open_call.service_ends_on


def test_the_demo_follows_the_awards_up_with_reports_surveys_and_a_change_request(seeded, db):
    from aftercare.selectors import overdue_reports, survey_summary
    from allocations.ledger import ledger_drift

    demo = Organization.objects.get(legal_name=DEMO_ORGANIZATION_NAME)
    in_service = Application.objects.get(organization=demo, call__title=AFTERCARE_CALL_TITLE)
    assert in_service.items.filter(allocation__state="active").count() == 3
    [extension] = ChangeRequest.objects.filter(organization=demo)
    assert (extension.kind, extension.status) == ("extension", "submitted")
    assert extension.submitted_by.email == "applicant@portal.test"
    assert ChangeRequest.objects.filter(status="submitted").count() == 2
    [progress] = Report.objects.filter(application=in_service)
    assert (progress.kind, progress.status) == ("progress", "requested")
    assert progress.due_on >= timezone.localdate()  # due, not yet overdue
    # The 2021 awards: reports mostly filed, a few overdue; about seven surveys in ten answered.
    assert Report.objects.filter(application__call__title=HISTORIC_CALL_TITLE, kind="final").count() > 50
    assert 0 < overdue_reports().count() < Report.objects.filter(status="submitted").count()
    summary = survey_summary()
    assert summary.invited == SurveyInvitation.objects.count() > 50
    assert 0.5 < summary.response_rate < 0.9
    assert all(question.average is not None for question in summary.questions)
    assert SurveyResponse.objects.exclude(comments="").exists()
    assert ledger_drift() == []
