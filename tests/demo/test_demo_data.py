from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from aftercare.models import ChangeRequest, Report, ReportReminder, SurveyInvitation, SurveyResponse
from aftercare.selectors import overdue_reports, survey_summary
from allocations.ledger import ledger_drift
from allocations.models import Allocation, AllocationTransition, ExpiryReminder
from applications import priority
from applications.business_number import normalize_business_number
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    ClaimReview,
    Membership,
    Organization,
    PriorityClaim,
)
from applications.regions import Region, region_from_address
from applications.selectors import call_points
from dashboard.selectors import capacity as dashboard
from demo.accounts import DEMO_ACCOUNTS
from demo.calls import (
    CURRENT_CALL_TITLE,
    HISTORIC_CALL_TITLE,
    IN_SERVICE_CALL_TITLE,
    OPEN_CALL_TITLE,
    PILOT_CALL_TITLE,
    SEOUL,
)
from demo.evaluation import EVALUATED_CALL_TITLE
from demo.organisations import DEMO_ORGANIZATION
from evaluation.models import Assignment, ConflictDeclaration, Evaluator, EvaluatorInvitation, Score, Stage
from notifications.models import Notification
from pool.models import CapacityPhase, Offering

pytestmark = pytest.mark.django_db

SEEDED_MODELS = (
    User,
    Offering,
    CapacityPhase,
    Call,
    CallOffering,
    Organization,
    Membership,
    Application,
    ApplicationItem,
    PriorityClaim,
    ClaimReview,
    ApplicationTransition,
    Allocation,
    AllocationTransition,
    ExpiryReminder,
    ChangeRequest,
    Report,
    ReportReminder,
    SurveyInvitation,
    SurveyResponse,
    Notification,
    Evaluator,
    EvaluatorInvitation,
    Stage,
    Assignment,
    Score,
    ConflictDeclaration,
)
DECIDED = [Application.Status.APPROVED, Application.Status.WAITLISTED]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


def test_seeding_twice_creates_nothing_new(seeded, seed_again):
    first = row_counts()
    second_output = seed_again()

    assert row_counts() == first
    assert first["Offering"] == 6
    assert first["Call"] == 6  # the five calls' stories and the evaluated call (demo/evaluation.py)
    assert first["Organization"] == 112
    assert first["Application"] == 247 + 12
    # Counted once everything is seeded, the same on every run.
    summary = "Demo data: 6 offerings, 5 calls, 112 organisations, 247 applications"
    assert summary in seeded
    assert summary in second_output


def test_it_seeds_an_open_call_the_closed_2021_call_and_the_pilot(seeded):
    open_call = Call.objects.get(title=OPEN_CALL_TITLE)
    historic = Call.objects.get(title=HISTORIC_CALL_TITLE)
    pilot = Call.objects.get(title=PILOT_CALL_TITLE)

    assert open_call.is_open()
    assert open_call.deadline.astimezone(SEOUL).hour == 18
    assert open_call.call_offerings.count() == 6
    assert open_call.applications.filter(status=Application.Status.SUBMITTED).count() == 30
    assert not historic.is_open() and not historic.is_pilot
    # The 2021 calls are decided (approved while the pool allowed, the rest wait-listed).
    assert historic.applications.filter(status__in=DECIDED).count() == 100
    assert historic.applications.filter(status=Application.Status.APPROVED).exists()
    assert not pilot.is_open() and pilot.is_pilot and pilot.selection_target == 11
    assert pilot.applications.filter(status__in=DECIDED).count() == 11
    assert not pilot.applications.filter(organization__applications__call=historic).exists()


def test_the_call_in_service_gives_the_dashboard_running_allocations_ending_soon_and_a_wait_list(seeded):
    current = Call.objects.get(title=CURRENT_CALL_TITLE)
    today = timezone.localdate()

    assert current.service_starts_on < today < current.service_ends_on
    assert current.applications.filter(status=Application.Status.WAITLISTED).exists()
    running = Allocation.objects.filter(application_item__application__call=current, state=Allocation.State.ACTIVE)
    assert running.exists()
    assert all(allocation.starts_on <= today <= allocation.ends_on for allocation in running)
    assert dashboard.expiring_allocations(today).exists()
    gpu = next(row for row in dashboard.capacity_overview(today, today, today) if row.offering.kind == "gpu")
    assert gpu.utilisation_today > 50


def test_registration_numbers_are_valid_and_unique(seeded):
    numbers = list(Organization.objects.values_list("registration_number", flat=True))

    assert len(numbers) == len(set(numbers)) == 112
    for number in numbers:
        assert normalize_business_number(number) == number


def test_every_seeded_row_passes_model_validation(seeded):
    # The applications' certificates and the claims' evidence are checked by content too.
    for model in (Organization, Call, CallOffering, Application, ApplicationItem, PriorityClaim):
        for row in model.objects.all():
            row.full_clean()


def test_addresses_start_with_the_region_of_the_organisation(seeded):
    for organization in Organization.objects.all():
        assert region_from_address(organization.address) == organization.region, organization.address
    share_in_gwangju = Organization.objects.filter(region=Region.GWANGJU).count() / Organization.objects.count()
    assert 0.35 <= share_in_gwangju <= 0.5


def test_gwangju_si_in_gyeonggi_is_not_gwangju(seeded):
    organizations = Organization.objects.filter(address__startswith="경기도 광주시 ")

    assert organizations.exists()
    for organization in organizations:
        assert organization.region == Region.GYEONGGI
        assert not organization.is_in_gwangju
        assert not organization.applications.filter(claims__kind=PriorityClaim.Kind.GWANGJU_LOCATED).exists()


def test_every_item_is_within_the_calls_maximum_and_service_period(seeded):
    limits = {(co.call_id, co.offering_id): co.max_per_application for co in CallOffering.objects.all()}
    items = ApplicationItem.objects.select_related("application__call")

    assert items.exists()
    for item in items:
        call = item.application.call
        assert item.quantity <= limits[(call.pk, item.offering_id)]
        assert call.service_starts_on <= item.starts_on <= item.ends_on <= call.service_ends_on


def test_every_application_was_submitted_in_its_calls_window_with_its_history(seeded):
    now = timezone.now()
    second = timedelta(seconds=1)
    for application in Application.objects.select_related("call", "organization").prefetch_related("transitions"):
        call = application.call
        assert call.opens_at <= application.created_at <= application.submitted_at
        assert application.submitted_at <= min(call.deadline, now)
        assert 1 <= application.items.count() <= 3
        assert application.industry_domain == application.organization.industry
        history = [(t.from_status, t.to_status, t.created_at) for t in application.transitions.all()]
        assert [(f, t) for f, t, _at in history[:2]] == [("", "draft"), ("draft", "submitted")]
        # Each history row is written with what it records, by the same service.
        assert abs(history[0][2] - application.created_at) < second
        assert abs(history[1][2] - application.submitted_at) < second
        # The past calls were decided a week after their deadline.
        assert [(f, t) for f, t, _at in history[2:]] in ([], [("submitted", "approved")], [("submitted", "waitlisted")])
        assert all(call.deadline < at and at.date() < call.service_starts_on for *_x, at in history[2:])
        assert all(at <= now for *_x, at in history)
        assert application.organization.created_at <= application.created_at


def test_the_demo_applicant_owns_the_demo_organisation_and_has_not_applied_to_the_open_call(seeded):
    organization = Organization.objects.get(legal_name=DEMO_ORGANIZATION.legal_name)

    assert organization.region == Region.GWANGJU
    assert organization.address == "광주광역시 북구 첨단과기로 123"
    membership = Membership.objects.get(organization=organization)
    assert membership.user.email == "applicant@portal.test"
    assert membership.role == Membership.Role.OWNER
    assert not organization.applications.filter(call__title=OPEN_CALL_TITLE).exists()
    # Its one application is the award in service, for the after-award demo.
    assert list(organization.applications.values_list("call__title", "status")) == [
        (IN_SERVICE_CALL_TITLE, Application.Status.APPROVED)
    ]


def test_each_sample_organisation_is_owned_by_a_deactivated_account_that_cannot_log_in(seeded):
    samples = Organization.objects.exclude(legal_name=DEMO_ORGANIZATION.legal_name)

    assert Membership.objects.filter(organization__in=samples).count() == samples.count() == 111
    for membership in Membership.objects.filter(organization__in=samples).select_related("user"):
        assert membership.role == Membership.Role.OWNER
        assert not membership.user.is_active and not membership.user.has_usable_password()
    # So the portal e-mails nobody but the demo applicant, and the evaluation's people: the demo
    # evaluator and the sample experts (invited, reminded), at the reserved domain experts.test.
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert "applicant@portal.test" in recipients
    others = recipients - {"applicant@portal.test"}
    assert {address for address in others if not address.endswith("@experts.test")} == set()


def test_it_seeds_priority_claims_verified_in_past_calls_and_awaiting_verification_in_the_open_call(seeded):
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
    # Not decided yet: the open call and the evaluated call (demo/evaluation.py).
    undecided = [OPEN_CALL_TITLE, EVALUATED_CALL_TITLE]
    open_claims = claims.filter(application__call__title__in=undecided)
    assert set(open_claims.values_list("verification", flat=True)) == {PriorityClaim.Verification.PENDING}
    decided_claims = claims.exclude(application__call__title__in=undecided)
    assert set(decided_claims.values_list("verification", flat=True)) == {PriorityClaim.Verification.VERIFIED}


def test_every_stored_priority_is_what_the_claims_and_the_calls_policy_give(seeded):
    """The queue sorts on the stored figures; the decision page computes them: they agree (the
    queue once showed 0 pending points where the decision page showed +40)."""
    applications = Application.objects.select_related("call").prefetch_related("claims")

    for application in applications:
        claims = [priority.Claim(claim.kind, claim.verification) for claim in application.claims.all()]
        expected = priority.score(claims, call_points(application.call))
        assert (application.priority_score, application.priority_pending) == (expected.total, expected.pending)
    assert applications.filter(call__title=OPEN_CALL_TITLE, priority_pending__gt=0).exists()


def test_the_capacity_ledger_agrees_with_the_allocations_and_phases(seeded):
    assert ledger_drift() == []


def test_a_later_run_opens_the_next_round_once_the_open_call_has_closed(seeded, seed_again):
    counts = row_counts()
    closed = Call.objects.get(title=OPEN_CALL_TITLE)
    # The operator closes the round (as an edit in the admin would).
    closed.opens_at, closed.deadline = timezone.now() - timedelta(days=15), timezone.now() - timedelta(minutes=1)
    closed.save()

    seed_again()

    assert closed.applications.filter(status=Application.Status.SUBMITTED).count() == 30
    next_round = Call.objects.exclude(pk=closed.pk).get(title=OPEN_CALL_TITLE)
    assert next_round.is_open()
    assert row_counts()["Call"] == counts["Call"] + 1
    assert row_counts()["Application"] == counts["Application"] + 30
    now = timezone.now()
    for application in next_round.applications.prefetch_related("items"):
        assert application.status == Application.Status.SUBMITTED
        assert next_round.opens_at <= application.created_at <= application.submitted_at <= now
        for item in application.items.all():
            assert next_round.service_starts_on <= item.starts_on <= item.ends_on <= next_round.service_ends_on
    counts = row_counts()
    seed_again()
    assert row_counts() == counts


def test_the_demo_follows_the_awards_up_with_reports_surveys_and_a_change_request(seeded):
    demo = Organization.objects.get(legal_name=DEMO_ORGANIZATION.legal_name)
    in_service = Application.objects.get(organization=demo, call__title=IN_SERVICE_CALL_TITLE)
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


def test_the_history_of_every_past_call_is_dated_within_its_story(seeded):
    """The services stamped the present; the demo moved each timestamp to its moment."""
    now = timezone.now()
    story_end = {  # the last follow-up of a call: surveys answered, final reports filed or overdue
        PILOT_CALL_TITLE: datetime(2021, 6, 1, tzinfo=SEOUL),
        HISTORIC_CALL_TITLE: datetime(2022, 3, 1, tzinfo=SEOUL),
    }
    for call in Call.objects.all():
        end = story_end.get(call.title, now)
        stamps = [
            *ApplicationTransition.objects.filter(application__call=call).values_list("created_at", flat=True),
            *ClaimReview.objects.filter(claim__application__call=call).values_list("created_at", flat=True),
            *AllocationTransition.objects.filter(allocation__application_item__application__call=call).values_list(
                "created_at", flat=True
            ),
            *Report.objects.filter(application__call=call, submitted_at__isnull=False).values_list(
                "submitted_at", flat=True
            ),
            *ReportReminder.objects.filter(report__application__call=call).values_list("sent_at", flat=True),
            *SurveyInvitation.objects.filter(call=call).values_list("invited_at", flat=True),
            *SurveyResponse.objects.filter(call=call).values_list("submitted_at", flat=True),
            *ExpiryReminder.objects.filter(allocation__application_item__application__call=call).values_list(
                "sent_at", flat=True
            ),
        ]
        assert stamps
        assert all(call.opens_at <= stamp <= end for stamp in stamps), call.title
    for allocation in Allocation.objects.select_related("application_item__application__call"):
        call = allocation.application_item.application.call
        assert call.deadline < allocation.created_at <= allocation.state_changed_at <= now
        if allocation.state == Allocation.State.EXPIRED:
            assert allocation.state_changed_at.astimezone(SEOUL).date() == allocation.ends_on + timedelta(days=1)
    # The demo's people joined before the pilot's call opened; the sample owners with their organisation.
    pilot_opened = Call.objects.get(title=PILOT_CALL_TITLE).opens_at
    assert not User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS], date_joined__gte=pilot_opened).exists()
    for membership in Membership.objects.exclude(user__email__in=[a.email for a in DEMO_ACCOUNTS]).select_related(
        "user", "organization"
    ):
        assert abs(membership.user.date_joined - membership.organization.created_at) < timedelta(seconds=1)


def test_the_pilot_ran_on_its_own_capacity_with_eleven_awards_their_reports_and_survey_answers(seeded):
    pilot = Call.objects.get(title=PILOT_CALL_TITLE)
    awards = pilot.applications.filter(status=Application.Status.APPROVED)

    assert awards.count() == 11
    # The pilot (15 February – 31 March 2021) ran before the service opened, on capacity of its own.
    gpu_phase = CapacityPhase.objects.get(offering__kind=Offering.Kind.GPU, starts_on=pilot.service_starts_on)
    assert gpu_phase.is_modelled and "시범 서비스" in gpu_phase.note
    for award in awards:
        assert set(Allocation.objects.filter(application_item__application=award).values_list("state", flat=True)) == {
            Allocation.State.EXPIRED
        }
        # Too short for a progress report (under 60 days): the final report, filed.
        [final] = Report.objects.filter(application=award)
        assert (final.kind, final.status) == (Report.Kind.FINAL, Report.Status.SUBMITTED)
        invitation = SurveyInvitation.objects.get(application=award)
        assert invitation.occasion == SurveyInvitation.Occasion.PILOT_ENDED
        assert SurveyResponse.objects.filter(invitation=invitation).exists()
    assert survey_summary(pilot).responses == 11
