"""A small world with one of everything, for the tests that walk every URL of the project.

Each object the URLs take an id of exists for real: the owner's organisation (with a plain
member) and an outsider's, a draft and a submitted application with a certificate and a claim
with evidence, an allocation, a pending invitation, an e-mail confirmation and a password-reset
key, a reclaim policy and a reclaim case. ``World.user(role)`` gives the user of each role of
the access table.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accesslog import services as access_services
from accesslog.models import AccessPage
from accounts.roles import REVIEWERS
from aftercare import services as aftercare_services
from aftercare.models import ChangeRequest, Report, SurveyInvitation
from allocations.models import Allocation
from allocations.services import decisions, provisioning
from api import services as api_services
from applications import services
from applications.models import Application, ApplicationItem, Membership, PriorityClaim
from evaluation.models import CallEvaluation, ConflictDeclaration, Evaluator
from evaluation.services import assignment as assigning
from evaluation.services import configuration
from evaluation.services import invitations as invitation_services
from evaluation.services import objections as objection_services
from evaluation.services import pledges as pledge_services
from metering.models import UsageRecord
from notifications.models import Notification
from outbox.models import OutboxMessage
from pool.models import Offering
from reclaim import services as reclaim_services
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import enrol_authenticator_app, make_user
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.reclaim.conftest import record_usage


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def user(self, role: str):
        return self.users[role]

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


@pytest.fixture
def world(settings, tmp_path, applicant, other_org_applicant, reviewer, operator, superuser) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Sessions in the cookie, so that the rows a request writes are the portal's data alone.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    owner, outsider = applicant, other_org_applicant
    member = make_user("member@example.kr")

    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    MembershipFactory(organization=organization, user=owner, role=Membership.Role.OWNER)
    member_membership = MembershipFactory(organization=organization, user=member, role=Membership.Role.MEMBER)
    other_organization = OrganizationFactory(legal_name="다른 기관")
    MembershipFactory(organization=other_organization, user=outsider, role=Membership.Role.OWNER)

    gpu = make_pool(10)
    call = make_call(gpu, max_per_application=8)
    decided_call = make_call(gpu, max_per_application=8)
    spare_call = make_call(gpu, max_per_application=8)  # nobody has applied to it yet

    # The owner's organisation: a complete draft to the open call, and a submitted application
    # to another.
    draft = services.application_start(actor=owner, call=call, organization=organization)
    for name in ("project_title", "summary", "plan", "expected_outcome"):
        setattr(draft, name, "제조 결함 탐지")
    draft.purpose, draft.industry_domain = "training", "automotive"
    draft.business_certificate = pdf("certificate.pdf")
    draft.save()
    ApplicationItem.objects.create(
        application=draft, offering=gpu, quantity=2, starts_on=call.service_starts_on, ends_on=call.service_ends_on
    )
    PriorityClaim.objects.create(
        application=draft, kind=PriorityClaim.Kind.GWANGJU_LOCATED, details="본사", evidence=pdf("lease.pdf")
    )
    submitted = submitted_application(decided_call, (gpu, 4))
    submitted.organization = organization
    submitted.business_certificate = pdf("certificate.pdf")
    submitted.save()
    claim = PriorityClaim.objects.create(
        application=submitted, kind=PriorityClaim.Kind.GWANGJU_LOCATED, details="본사", evidence=pdf("lease.pdf")
    )

    # The outsider's organisation: an approved application with its (pending) allocation.
    approved = submitted_application(call, (gpu, 2))
    approved.organization = other_organization
    approved.save()
    [allocation] = decisions.application_approve(actor=None, application=approved)

    # After the award (aftercare/): the owner's organisation holds an active allocation with an
    # extension request awaiting a reviewer, a progress report to file, a filed final report with
    # an attachment and a survey to answer; the outsider's organisation answered its survey.
    award_call = make_call(gpu, max_per_application=8)
    awarded = submitted_application(award_call, (gpu, 1))
    awarded.organization = organization
    awarded.save()
    [award] = decisions.application_approve(actor=None, application=awarded)
    provisioning.allocation_provision(allocation_id=award.pk)
    award = Allocation.objects.get(pk=award.pk)
    change_request = aftercare_services.change_request_submit(
        actor=owner,
        allocation=award,
        kind=ChangeRequest.Kind.EXTENSION,
        justification="학습 기간 연장",
        ends_on=award.ends_on + timedelta(days=30),
        units=None,
    )
    today = timezone.localdate()
    report = Report.objects.create(
        application=awarded,
        organization=organization,
        kind=Report.Kind.PROGRESS,
        period_starts_on=award.starts_on,
        period_ends_on=award.ends_on,
        requested_on=today,
        due_on=today + timedelta(days=21),
    )
    filed_report = Report.objects.create(
        application=awarded,
        organization=organization,
        kind=Report.Kind.FINAL,
        status=Report.Status.SUBMITTED,
        period_starts_on=award.starts_on,
        period_ends_on=award.ends_on,
        requested_on=today,
        due_on=today + timedelta(days=30),
        work_done="모델 학습",
        attachment=pdf("report.pdf"),
        submitted_at=timezone.now(),
    )
    survey = SurveyInvitation.objects.create(
        application=awarded, organization=organization, call=award_call, occasion="service_ended"
    )
    answered_survey = SurveyInvitation.objects.create(
        application=approved, organization=other_organization, call=call, occasion="service_ended"
    )
    survey_response = aftercare_services.survey_respond(
        actor=outsider,
        invitation=answered_survey,
        ratings={"rating_compute": 4, "rating_dev_env": None, "rating_data_saas": None, "rating_support": 5},
        comments="좋았음",
    )

    # Usage and reclaim: the award used 12 GPU-hours on its first day and nothing for the next 59
    # (its usage page draws them, the operator's idle list names it); its call has a reclaim
    # policy, and the award is a reclaim candidate awaiting the organisation's answer.
    reclaim_policy = reclaim_services.reclaim_policy_set(actor=None, call=award_call)
    record_usage(award, {award.starts_on + timedelta(days=n): 12 if n == 0 else 0 for n in range(60)})
    usage_record = UsageRecord.objects.get(allocation=award, day=award.starts_on)
    [reclaim_case] = reclaim_services.reclaim_candidates_mark(today=award.starts_on + timedelta(days=60))

    # The owner invites the outsider, who may accept; nobody else can.
    invitation = services.organization_invite(actor=owner, organization=organization, email=outsider.email)

    # Someone who entered the organisation's number and asks to join it; its owner answers.
    join_request = services.join_request_create(
        actor=make_user("joiner@example.kr"), registration_number=organization.registration_number
    )

    # Someone who signed up and has not verified yet, and a password-reset key of the owner.
    unverified = UserFactory(email="unverified@example.kr")
    confirmation = EmailConfirmationHMAC(
        EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False, primary=True)
    )

    # The reviewer's authenticator app (staff have one: tests/conftest.py), and the record of the
    # reviewer having downloaded the submitted application's certificate.
    authenticator = Authenticator.objects.get(user=reviewer, type=Authenticator.Type.TOTP)
    access_record = access_services.access_record(
        actor=reviewer, address="192.0.2.10", page=AccessPage.CERTIFICATE, path="/", subject=submitted
    )

    # Merit evaluation (evaluation/): a closed, evaluated call whose first stage is open for
    # scoring, with the owner's application assigned to one of two evaluators; a conflict declared.
    evaluated_call = make_call(
        gpu,
        max_per_application=8,
        opens_at=timezone.now() - timedelta(days=20),
        deadline=timezone.now() - timedelta(days=1),
    )
    evaluated = submitted_application(evaluated_call, (gpu, 1))
    evaluated.organization = organization
    evaluated.save()
    call_policy = configuration.call_evaluation_set(actor=operator, call=evaluated_call, mode="evaluated")
    stage = configuration.stage_save(
        actor=operator,
        call=evaluated_call,
        rules=configuration.StageRules(name="서면평가", deadline=timezone.now() + timedelta(days=7)),
    )
    configuration.rubric_set(actor=operator, stage=stage, criteria=[configuration.CriterionInput("기술성", 100)])
    configuration.stage_open(actor=reviewer, stage=stage)
    evaluator = Evaluator.objects.create(user=make_user("expert@univ.ac.kr"), name="김평가", email_domain="univ.ac.kr")
    second_evaluator = Evaluator.objects.create(
        user=make_user("expert@lab.re.kr"), name="이평가", email_domain="lab.re.kr"
    )
    assignment = assigning.assignment_create(actor=reviewer, stage=stage, application=evaluated, evaluator=evaluator)
    evaluator_conflict = ConflictDeclaration.objects.create(
        evaluator=evaluator, organization=other_organization, kind="recusal", source="declared", reason="전 직장"
    )

    # The evaluator's site: the evaluator (who holds an authenticator app and accepted the pledge)
    # reads the evaluated application's certificate and claim; two of the owner's applications to
    # two more evaluated calls are decided (rejected), one with an objection filed with an
    # attachment; the outsider holds an evaluator's invitation.
    evaluated.business_certificate = pdf("certificate.pdf")
    evaluated.save()
    evaluated_claim = PriorityClaim.objects.create(
        application=evaluated, kind=PriorityClaim.Kind.GWANGJU_LOCATED, details="본사", evidence=pdf("lease.pdf")
    )
    enrol_authenticator_app(evaluator.user)
    evaluator = pledge_services.pledge_accept(actor=evaluator.user, evaluator=evaluator)
    decided_evaluated, objected = [
        submitted_application(make_call(gpu, max_per_application=8), (gpu, 1)) for _ in range(2)
    ]
    for application in (decided_evaluated, objected):
        CallEvaluation.objects.create(call_id=application.call_id, mode=CallEvaluation.Mode.EVALUATED)
        application.organization = organization
        application.save()
        decisions.application_reject(actor=None, application=application, reason="평가 점수 미달")
    objection = objection_services.objection_file(
        actor=owner, application=objected, reason="재평가 요청", attachment=pdf("objection.pdf")
    )
    evaluator_invitation = invitation_services.evaluator_invite(
        actor=reviewer, email=outsider.email, name="외부 전문가"
    )

    objects = {
        "evaluated_call": evaluated_call,
        "evaluated": evaluated,
        "call_policy": call_policy,
        "stage": stage,
        "evaluator": evaluator,
        "second_evaluator": second_evaluator,
        "assignment": assignment,
        "evaluator_conflict": evaluator_conflict,
        "organization": organization,
        "other_organization": other_organization,
        "call": call,
        "decided_call": decided_call,
        "spare_call": spare_call,
        "offering": Offering.objects.get(pk=gpu.pk),
        "draft": draft,
        "submitted": submitted,
        "claim": claim,
        "approved": approved,
        "allocation": Allocation.objects.get(pk=allocation.pk),
        "invitation": invitation,
        "owner": owner,
        "group": Group.objects.get(name=REVIEWERS),
        "email_address": EmailAddress.objects.get(user=owner),
        "confirmation_key": confirmation.key,
        "reset_uid": user_pk_to_url_str(owner),
        "reset_key": default_token_generator.make_token(owner),
        "application_type": ContentType.objects.get_for_model(Application),
        "award": award,
        "change_request": change_request,
        "report": report,
        "filed_report": filed_report,
        "survey": survey,
        "answered_survey": answered_survey,
        "survey_response": survey_response,
        "usage_record": usage_record,
        "notification": Notification.objects.filter(kind="invitation").latest("pk"),
        # A task the broker did not take (an outage): the outbox relay would publish it.
        "outbox_message": OutboxMessage.objects.create(task="notifications.deliver", args=[0]),
        "authenticator": authenticator,
        "access_record": access_record,
        "reclaim_policy": reclaim_policy,
        "reclaim_case": reclaim_case,
        "evaluated_claim": evaluated_claim,
        "evaluated_decided": decided_evaluated,
        "objection": objection,
        "evaluator_invitation": evaluator_invitation,
        "join_request": join_request,
        "member_membership": member_membership,
        # The owner's personal API token (api/): its revoke URL is the owner's alone.
        "token": api_services.token_create(
            actor=owner, name="스크립트", scopes={"read"}, expires_at=timezone.now() + timedelta(days=30)
        )[0],
    }
    users = {
        "anonymous": None,
        "owner": owner,
        "member": member,
        "outsider": outsider,
        "reviewer": reviewer,
        "operator": operator,
        "superuser": superuser,
        "evaluator": evaluator.user,
    }
    # Set once the world is built (its allocations were provisioned by the suite's backend): the
    # API's provisioning report is taken only where an external system provisions (reports_back).
    settings.PROVISIONER_BACKEND = "allocations.backends.reported.ReportedProvisioner"
    return World(users=users, objects=objects)
