import pytest

from evaluation.models import Assignment, AssignmentTransition, ConflictDeclaration
from evaluation.services.declarations import DeclarationError, assignment_decline, conflict_declare
from evaluation.services.scoring import assignment_submit
from portal.errors import NotAllowed
from tests.evaluation_site.conftest import assign, full_scores, open_stage

pytestmark = pytest.mark.django_db


def test_a_declared_conflict_withdraws_every_open_assignment_to_that_organisation(panel):
    evaluator, application = panel.evaluators[0], panel.applications[0]
    later_stage = open_stage(panel.call, order=2, name="발표평가")
    later = assign(later_stage, application, evaluator)
    assignment = panel.assignment(evaluator, application)

    declaration = conflict_declare(
        actor=evaluator.user, assignment=assignment, kind=ConflictDeclaration.Kind.RECUSAL, reason="전 직장"
    )

    assert (declaration.evaluator, declaration.organization, declaration.application) == (
        evaluator,
        application.organization,
        application,
    )
    assert declaration.source == ConflictDeclaration.Source.DECLARED and declaration.declared_by == evaluator.user
    for withdrawn in (assignment, later):
        withdrawn.refresh_from_db()
        assert withdrawn.state == Assignment.State.CONFLICTED
        assert AssignmentTransition.objects.get(assignment=withdrawn).reason == "전 직장"
    # The other application stays assigned.
    assert panel.assignment(evaluator, panel.applications[1]).state == Assignment.State.ASSIGNED


def test_a_conflict_needs_a_reason_and_a_kind_the_evaluator_may_declare(panel):
    evaluator, application = panel.evaluators[0], panel.applications[0]
    assignment = panel.assignment(evaluator, application)

    with pytest.raises(DeclarationError):
        conflict_declare(actor=evaluator.user, assignment=assignment, kind=ConflictDeclaration.Kind.RECUSAL, reason=" ")
    with pytest.raises(DeclarationError):
        conflict_declare(
            actor=evaluator.user, assignment=assignment, kind=ConflictDeclaration.Kind.CHALLENGE, reason="기피"
        )
    assert not ConflictDeclaration.objects.filter(source=ConflictDeclaration.Source.DECLARED).exists()


def test_declining_needs_a_reason_and_is_recorded(panel):
    evaluator, application = panel.evaluators[1], panel.applications[1]
    assignment = panel.assignment(evaluator, application)

    with pytest.raises(DeclarationError):
        assignment_decline(actor=evaluator.user, assignment=assignment, reason="")
    assignment_decline(actor=evaluator.user, assignment=assignment, reason="일정이 맞지 않습니다")

    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.DECLINED
    transition = AssignmentTransition.objects.get(assignment=assignment)
    assert (transition.actor, transition.to_state, transition.reason) == (
        evaluator.user,
        Assignment.State.DECLINED,
        "일정이 맞지 않습니다",
    )


def test_a_submitted_or_foreign_assignment_cannot_be_declined(panel):
    evaluator, application = panel.evaluators[0], panel.applications[0]
    assignment = panel.assignment(evaluator, application)
    assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage))

    with pytest.raises(DeclarationError):
        assignment_decline(actor=evaluator.user, assignment=assignment, reason="늦게 발견")
    with pytest.raises(NotAllowed):
        assignment_decline(
            actor=panel.evaluators[1].user, assignment=panel.assignment(evaluator, panel.applications[1]), reason="x"
        )
