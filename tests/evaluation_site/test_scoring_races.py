"""Real threads (own connections; PostgreSQL in CI) submitting, saving and declining the same
assignment at once: the assignment's row lock serialises them, so it is submitted once, no score
changes after the submission, and a decline after it is refused."""

import pytest
from django.db import connection  # noqa: F401

from evaluation.models import Assignment, AssignmentTransition, Score
from evaluation.services.declarations import DeclarationError, assignment_decline
from evaluation.services.scoring import ScoringError, assignment_submit, scores_save
from tests.allocations.test_capacity_guarantee import run_together
from tests.evaluation_site.conftest import full_scores, make_panel

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_submissions_and_a_decline_at_once_submit_once():
    panel = make_panel(applications=1, evaluators=1)
    evaluator, application = panel.evaluators[0], panel.applications[0]
    assignment = panel.assignment(evaluator, application)

    def submit(value):
        try:
            assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, value))
        except ScoringError:
            return "refused"
        return f"submitted {value}"

    def decline():
        try:
            assignment_decline(actor=evaluator.user, assignment=assignment, reason="바쁨")
        except DeclarationError:
            return "refused"
        return "declined"

    outcomes = run_together([lambda: submit(60), lambda: submit(90), decline])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(outcomes).count("refused") == 2, outcomes
    assignment.refresh_from_db()
    winner = next(outcome for outcome in outcomes if outcome != "refused")
    assert AssignmentTransition.objects.filter(assignment=assignment).count() == 1
    if winner == "declined":
        assert assignment.state == Assignment.State.DECLINED
    else:
        value = int(winner.split()[1])
        assert assignment.state == Assignment.State.SUBMITTED
        assert set(Score.objects.filter(assignment=assignment).values_list("value", flat=True)) == {value}


def test_a_draft_saved_while_the_scores_are_submitted_changes_nothing_after_the_submission():
    panel = make_panel(applications=1, evaluators=1)
    evaluator, application = panel.evaluators[0], panel.applications[0]
    assignment = panel.assignment(evaluator, application)

    def save():
        try:
            scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 10))
        except ScoringError:
            return "refused"
        return "saved"

    def submit():
        assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 95))
        return "submitted"

    outcomes = run_together([save, submit])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert Assignment.objects.get(pk=assignment.pk).is_submitted
    assert set(Score.objects.filter(assignment=assignment).values_list("value", flat=True)) == {95}
