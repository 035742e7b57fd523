from datetime import timedelta

import pytest
from django.utils import timezone, translation

from evaluation.models import Evaluator, EvaluatorInvitation
from evaluation.services.invitations import InvitationError, evaluator_invitation_accept, evaluator_invite
from notifications.models import Notification
from portal.errors import NotAllowed
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

EXPERT = "kim.expert@snu.ac.kr"


def test_a_reviewer_invites_an_expert_by_e_mail_with_a_secret_link(reviewer):
    # An address with no account gets it in the language of the reviewer's page: Korean here.
    with translation.override("ko"):
        invitation = evaluator_invite(actor=reviewer, email=EXPERT, name="김전문", affiliation="서울대학교")

    assert invitation.invited_by == reviewer and invitation.expires_at > timezone.now() + timedelta(days=13)
    sent = Notification.objects.get(kind=Notification.Kind.EVALUATOR_INVITATION)
    assert sent.recipient == EXPERT and sent.secret and sent.link == ""
    assert f"/evaluation/invitations/{invitation.token}/" in sent.body
    assert sent.language == "ko" and "평가위원" in sent.body


def test_an_applicant_may_not_invite_and_an_address_holds_one_live_invitation(reviewer, applicant):
    with pytest.raises(NotAllowed):
        evaluator_invite(actor=applicant, email=EXPERT, name="김전문")
    evaluator_invite(actor=reviewer, email=EXPERT, name="김전문")
    with pytest.raises(InvitationError):
        evaluator_invite(actor=reviewer, email=EXPERT.upper(), name="김전문")
    assert EvaluatorInvitation.objects.count() == 1


def test_the_invited_address_accepts_once_and_becomes_an_evaluator(reviewer):
    invitation = evaluator_invite(actor=reviewer, email=EXPERT, name="김전문", affiliation="서울대학교")
    expert = make_user(EXPERT)

    evaluator = evaluator_invitation_accept(actor=expert, token=invitation.token)

    assert (evaluator.user, evaluator.name, evaluator.affiliation, evaluator.email_domain) == (
        expert,
        "김전문",
        "서울대학교",
        "snu.ac.kr",
    )
    assert not evaluator.has_accepted_pledge
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.evaluator == evaluator
    # A double click returns the same profile.
    assert evaluator_invitation_accept(actor=expert, token=invitation.token) == evaluator
    assert Evaluator.objects.count() == 1


def test_another_address_staff_an_expired_or_used_invitation_are_refused(reviewer, applicant, operator):
    invitation = evaluator_invite(actor=reviewer, email=EXPERT, name="김전문")
    with pytest.raises(NotAllowed):
        evaluator_invitation_accept(actor=applicant, token=invitation.token)
    staff_invitation = evaluator_invite(actor=reviewer, email=operator.email, name="운영자")
    with pytest.raises(NotAllowed):
        evaluator_invitation_accept(actor=operator, token=staff_invitation.token)
    with pytest.raises(InvitationError):
        evaluator_invitation_accept(actor=applicant, token="no-such-token")

    EvaluatorInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expert = make_user(EXPERT)
    with pytest.raises(InvitationError):
        evaluator_invitation_accept(actor=expert, token=invitation.token)
    assert not Evaluator.objects.exists()
