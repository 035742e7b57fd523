"""Reclaim decisions: end, keep, the refusals (no reason, already decided, the reviewer is a
member, units out of range), the answer's rules, the portal's own steps (dismissal, automatic
reclaim past the due date) and the policy's history."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from allocations.models import Allocation
from applications.models import Application, Membership
from notifications.models import Notification
from portal.errors import NotAllowed
from reclaim import services
from reclaim.models import ReclaimCase, ReclaimPolicyChange
from tests.factories import MembershipFactory
from tests.reclaim.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_ending_revokes_the_allocation_and_offers_all_its_units(case, waitlist, reviewer):
    services.reclaim_case_end(actor=reviewer, case=case, reason="21일 이상 미사용")
    case.refresh_from_db()
    assert (case.state, case.reclaimed_units) == (ReclaimCase.State.ENDED, 8)
    assert case.allocation.state == Allocation.State.REVOKED
    offers = services.reclaim_offer(case_id=case.pk)
    assert [(offer.application, offer.units) for offer in offers] == [(waitlist[0], 8)]  # the first fits now
    waitlist[1].refresh_from_db()
    assert waitlist[1].status == Application.Status.WAITLISTED  # 2 GPUs left for 6
    call_command("check_capacity")


def test_keeping_changes_nothing_and_the_allocation_is_not_found_again_within_the_window(case, reviewer):
    services.reclaim_case_keep(actor=reviewer, case=case, reason="5월 대규모 학습 예정: 예외 인정")
    case.refresh_from_db()
    assert (case.state, case.reclaimed_units, case.allocation.quantity) == (ReclaimCase.State.KEPT, 0, 8)
    assert services.reclaim_offer(case_id=case.pk) == []
    assert services.reclaim_candidates_mark(today=TODAY + timedelta(days=1)) == []
    body = Notification.objects.get(key__startswith="reclaim_decision:").body
    assert "예외 인정" in body


@pytest.mark.parametrize("decide", ["reduce", "end", "keep"])
def test_a_decided_case_is_refused_with_its_state(case, reviewer, decide):
    services.reclaim_case_keep(actor=reviewer, case=case, reason="유지")
    with pytest.raises(services.ReclaimError, match="already been decided"):
        if decide == "reduce":
            services.reclaim_case_reduce(actor=reviewer, case=case, units=2, reason="감축")
        elif decide == "end":
            services.reclaim_case_end(actor=reviewer, case=case, reason="종료")
        else:
            services.reclaim_case_keep(actor=reviewer, case=case, reason="유지")


def test_a_decision_needs_a_reason_and_a_reduction_units_below_the_grant(case, reviewer):
    with pytest.raises(services.ReclaimError, match="reason"):
        services.reclaim_case_keep(actor=reviewer, case=case, reason="  ")
    for units in (0, 8, 9):
        with pytest.raises(services.ReclaimError):
            services.reclaim_case_reduce(actor=reviewer, case=case, units=units, reason="감축")
    case.refresh_from_db()
    assert case.is_open and case.allocation.quantity == 8


def test_a_reviewer_who_is_a_member_and_an_applicant_may_not_decide(case, reviewer, applicant):
    MembershipFactory(organization=case.organization, user=reviewer, role=Membership.Role.MEMBER)
    with pytest.raises(NotAllowed):
        services.reclaim_case_end(actor=reviewer, case=case, reason="종료")
    with pytest.raises(NotAllowed):
        services.reclaim_case_end(actor=applicant, case=case, reason="종료")


def test_only_members_answer_and_only_once(case, applicant, other_org_applicant):
    with pytest.raises(NotAllowed):
        services.reclaim_case_answer(actor=other_org_applicant, case=case, kind="reason", answer="?")
    with pytest.raises(services.ReclaimError, match="Write your answer"):
        services.reclaim_case_answer(actor=applicant, case=case, kind="reason", answer=" ")
    services.reclaim_case_answer(actor=applicant, case=case, kind="exemption", answer="장비 점검 기간")
    with pytest.raises(services.ReclaimError, match="already been answered"):
        services.reclaim_case_answer(actor=applicant, case=case, kind="plan", answer="다시")


def test_no_answer_after_the_due_date(case, applicant):
    ReclaimCase.objects.filter(pk=case.pk).update(
        flagged_on=TODAY - timedelta(days=4000), due_on=TODAY - timedelta(days=4000)
    )
    case.refresh_from_db()
    assert not case.may_answer()
    with pytest.raises(services.ReclaimError, match="Answers were taken until"):
        services.reclaim_case_answer(actor=applicant, case=case, kind="plan", answer="늦은 답변")


def test_an_automatic_policy_reduces_past_the_due_date_without_an_answer_and_only_then(case, call, waitlist):
    services.reclaim_policy_set(actor=None, call=call, automatic="reduce")
    assert services.reclaim_cases_settle(today=case.due_on) == (0, 0)  # still on time
    assert services.reclaim_daily(today=case.due_on + timedelta(days=1))["decided"] == 1
    case.refresh_from_db()
    assert (case.state, case.reclaimed_units, case.allocation.quantity) == (ReclaimCase.State.REDUCED, 7, 1)
    last = case.transitions.latest("pk")
    assert last.actor is None and "No answer by the due date" in last.reason
    # The same run offered the 7 freed GPUs (9 free): the first wait-listed application (8) got them.
    assert case.offers.count() == 1
    assert services.reclaim_daily(today=case.due_on + timedelta(days=1))["decided"] == 0


def test_without_an_automatic_policy_an_unanswered_case_waits_for_a_reviewer(case):
    assert services.reclaim_cases_settle(today=case.due_on + timedelta(days=30)) == (0, 0)
    case.refresh_from_db()
    assert case.is_open


def test_an_answered_case_is_never_decided_automatically(case, call, applicant):
    services.reclaim_policy_set(actor=None, call=call, automatic="end")
    services.reclaim_case_answer(actor=applicant, case=case, kind="plan", answer="다음 주부터 사용")
    assert services.reclaim_cases_settle(today=case.due_on + timedelta(days=1)) == (0, 0)


def test_a_case_whose_allocation_ended_otherwise_is_dismissed(case):
    from allocations.services.release import allocation_release

    allocation_release(actor=None, allocation=case.allocation, to_state=Allocation.State.EXPIRED)
    assert services.reclaim_cases_settle(today=TODAY) == (1, 0)
    case.refresh_from_db()
    assert case.state == ReclaimCase.State.DISMISSED and case.decided_at is not None
    assert services.reclaim_cases_settle(today=TODAY) == (0, 0)


def test_the_policy_keeps_its_history_and_refuses_nonsense(call, operator):
    services.reclaim_policy_set(actor=operator, call=call, threshold_percent=20, answer_days=7)
    services.reclaim_policy_set(actor=operator, call=call, threshold_percent=20)  # no change, no row
    changes = list(ReclaimPolicyChange.objects.filter(call=call))
    assert len(changes) == 2  # the defaults given by the fixture, then this change
    assert "threshold_percent: 20" in changes[-1].after and "threshold_percent: 30" in changes[-1].before
    with pytest.raises(services.ReclaimError):
        services.reclaim_policy_set(actor=operator, call=call, window_days=0)
    assert call.reclaim_policy.window_days == 30
