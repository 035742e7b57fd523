"""Reviewers give a stage's applications to evaluators (services/assignment.py): by hand or
automatically, N each and the load balanced, conflicts skipped and flagged, and again when an
evaluator declines or misses the deadline."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application, Membership
from evaluation.errors import ConflictFound, EvaluationError
from evaluation.models import Assignment, AssignmentTransition, ConflictDeclaration
from evaluation.services import assignment as assigning
from portal.errors import NotAllowed
from tests.evaluation.conftest import evaluated_call, make_evaluator, open_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def stage(gpu_pool, operator, reviewer):
    call = evaluated_call(gpu_pool, operator, applications=10)
    return open_stage(call, operator, reviewer, evaluators_per_application=3)


def holders(stage, application) -> set[int]:
    return set(
        Assignment.objects.filter(
            stage=stage, application=application, state__in=[Assignment.State.ASSIGNED, Assignment.State.SUBMITTED]
        ).values_list("evaluator_id", flat=True)
    )


def test_automatic_assignment_gives_each_application_n_evaluators_and_balances_the_load(stage, reviewer, evaluators):
    plan = assigning.assignments_auto(actor=reviewer, stage=stage)

    assert len(plan.created) == 30 and plan.short == {}
    per_application = Counter(Assignment.objects.filter(stage=stage).values_list("application_id", flat=True))
    assert set(per_application.values()) == {3}
    loads = Counter(Assignment.objects.filter(stage=stage).values_list("evaluator_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1  # 30 places over 6 evaluators: 5 each
    assert AssignmentTransition.objects.filter(assignment__stage=stage, to_state="assigned").count() == 30


def test_automatic_assignment_twice_changes_nothing(stage, reviewer, evaluators):
    assigning.assignments_auto(actor=reviewer, stage=stage)
    again = assigning.assignments_auto(actor=reviewer, stage=stage)

    assert again.created == []
    assert Assignment.objects.filter(stage=stage).count() == 30


def test_conflicted_evaluators_are_skipped_and_flagged(stage, reviewer, evaluators):
    first, second, third = Application.objects.filter(call=stage.call).order_by("pk")[:3]
    member = make_evaluator("member@example.org")  # a member of the first applicant
    Membership.objects.create(organization=first.organization, user=member.user)
    colleague = make_evaluator("someone@ai-corp.co.kr")  # the second applicant's domain
    Membership.objects.create(organization=second.organization, user=make_evaluator("boss@ai-corp.co.kr").user)
    affiliated = make_evaluator("prof@knu.ac.kr", affiliation=f"  {third.organization.legal_name} ")

    plan = assigning.assignments_auto(actor=reviewer, stage=stage)

    assert member.pk not in holders(stage, first)
    assert colleague.pk not in holders(stage, second)
    assert affiliated.pk not in holders(stage, third)
    flagged = {(evaluator, organization) for evaluator, organization, _grounds in plan.flagged}
    assert {(member.pk, first.organization_id), (colleague.pk, second.organization_id)} <= flagged
    assert (affiliated.pk, third.organization_id) in flagged
    automatic = ConflictDeclaration.objects.filter(source="automatic")
    assert automatic.filter(evaluator=member, organization=first.organization).exists()
    assert automatic.filter(evaluator=affiliated, organization=third.organization, kind="exclusion").exists()


def test_shared_public_mail_domains_are_no_conflict(stage, reviewer):
    application = Application.objects.filter(call=stage.call).first()
    Membership.objects.create(organization=application.organization, user=make_evaluator("ceo@gmail.com").user)
    outsider = make_evaluator("expert@gmail.com")

    assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=outsider)

    assert outsider.pk in holders(stage, application)


def test_a_declared_conflict_keeps_the_evaluator_away(stage, reviewer, evaluators):
    application = Application.objects.filter(call=stage.call).first()
    ConflictDeclaration.objects.create(
        evaluator=evaluators[0],
        organization=application.organization,
        kind="recusal",
        source="declared",
        reason="전 직장",
    )

    with pytest.raises(ConflictFound):
        assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=evaluators[0])
    assigning.assignments_auto(actor=reviewer, stage=stage)

    assert evaluators[0].pk not in holders(stage, application)


def test_assigning_by_hand_a_conflicted_evaluator_is_refused_and_flagged(stage, reviewer):
    application = Application.objects.filter(call=stage.call).first()
    member = make_evaluator("member@corp.example")
    Membership.objects.create(organization=application.organization, user=member.user)

    with pytest.raises(ConflictFound, match="member"):
        assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=member)


def test_by_hand_at_most_n_evaluators(stage, reviewer, evaluators):
    application = Application.objects.filter(call=stage.call).first()
    for evaluator in evaluators[:3]:
        assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=evaluator)
    again = assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=evaluators[0])

    assert again.state == Assignment.State.ASSIGNED  # idempotent
    with pytest.raises(EvaluationError, match="3"):
        assigning.assignment_create(actor=reviewer, stage=stage, application=application, evaluator=evaluators[3])


def test_an_operator_does_not_assign(stage, operator, evaluators):
    with pytest.raises(NotAllowed):
        assigning.assignments_auto(actor=operator, stage=stage)


def test_a_declined_assignment_goes_to_another_evaluator(stage, reviewer, evaluators):
    assigning.assignments_auto(actor=reviewer, stage=stage)
    declined = Assignment.objects.filter(stage=stage).first()
    Assignment.objects.filter(pk=declined.pk).update(state=Assignment.State.DECLINED)  # eval-site's service

    plan = assigning.assignment_reassign(actor=reviewer, assignment=declined, reason="")

    [replacement] = plan.created
    assert replacement.application_id == declined.application_id
    assert replacement.evaluator_id != declined.evaluator_id
    assert len(holders(stage, declined.application)) == 3
    assert replacement.due_at >= timezone.now() + timedelta(days=6)


def test_an_overdue_assignment_is_taken_away_and_given_to_another(stage, reviewer, evaluators):
    assigning.assignments_auto(actor=reviewer, stage=stage)
    late = Assignment.objects.filter(stage=stage).first()
    with pytest.raises(EvaluationError, match="time"):
        assigning.assignment_reassign(actor=reviewer, assignment=late)
    Assignment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))

    plan = assigning.assignments_reassign_overdue(actor=reviewer, stage=stage)

    late.refresh_from_db()
    assert late.state == Assignment.State.REASSIGNED
    assert late.transitions.last().from_state == Assignment.State.ASSIGNED
    assert len(plan.created) == 1 and plan.created[0].evaluator_id != late.evaluator_id
    assert late.evaluator_id not in holders(stage, late.application)
    assert assigning.assignments_reassign_overdue(actor=reviewer, stage=stage).created == []


def test_a_stage_not_open_takes_no_assignment(gpu_pool, operator, reviewer, evaluators):
    from evaluation.services import configuration

    call = evaluated_call(gpu_pool, operator, applications=1)
    stage = configuration.stage_save(
        actor=operator,
        call=call,
        rules=configuration.StageRules(name="서면평가", deadline=timezone.now() + timedelta(days=3)),
    )

    with pytest.raises(EvaluationError):
        assigning.assignments_auto(actor=reviewer, stage=stage)
