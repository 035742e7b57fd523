from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation.models import Assignment, AssignmentTransition, Score, StageResult
from evaluation.services.scoring import ScoreInput, ScoreProblems, ScoringError, assignment_submit, scores_save
from portal.errors import NotAllowed
from tests.evaluation_site.conftest import full_scores

pytestmark = pytest.mark.django_db


def first(panel):
    evaluator, application = panel.evaluators[0], panel.applications[0]
    return evaluator, panel.assignment(evaluator, application)


def test_a_draft_keeps_any_subset_of_the_criteria_and_can_be_changed(panel):
    evaluator, assignment = first(panel)
    technical, business, *_ = panel.stage.criteria.all()

    scores_save(actor=evaluator.user, assignment=assignment, scores={technical.pk: ScoreInput(Decimal("72.5"), "초안")})
    scores_save(
        actor=evaluator.user,
        assignment=assignment,
        scores={technical.pk: ScoreInput(Decimal(75), "수정"), business.pk: ScoreInput(Decimal(60), "")},
    )

    kept = {score.criterion_id: (score.value, score.reason) for score in Score.objects.filter(assignment=assignment)}
    assert kept == {technical.pk: (Decimal(75), "수정"), business.pk: (Decimal(60), "")}
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.ASSIGNED


def test_scores_outside_the_stages_scale_are_refused_and_nothing_is_kept(panel):
    evaluator, assignment = first(panel)
    technical, business, *_ = panel.stage.criteria.all()

    for value in (Decimal(101), Decimal(-1), Decimal("50.005")):
        with pytest.raises(ScoreProblems) as refused:
            scores_save(
                actor=evaluator.user,
                assignment=assignment,
                scores={business.pk: ScoreInput(Decimal(50), "좋음"), technical.pk: ScoreInput(value, "이유")},
            )
        assert set(refused.value.problems) == {(technical.pk, "score")}
    assert not Score.objects.filter(assignment=assignment).exists()


def test_a_score_of_another_stages_criterion_is_refused(panel):
    from tests.evaluation_site.conftest import open_stage

    evaluator, assignment = first(panel)
    other = open_stage(panel.call, order=2, name="발표평가").criteria.first()

    with pytest.raises(ScoringError):
        scores_save(actor=evaluator.user, assignment=assignment, scores={other.pk: ScoreInput(Decimal(5), "x")})


def test_submitting_needs_every_criterion_scored_with_a_reason(panel):
    evaluator, assignment = first(panel)
    scores = full_scores(panel.stage)
    technical = panel.stage.criteria.first()
    scores[technical.pk] = ScoreInput(Decimal(90), "  ")

    with pytest.raises(ScoreProblems) as refused:
        assignment_submit(actor=evaluator.user, assignment=assignment, scores=scores)

    assert refused.value.problems == {(technical.pk, "reason"): "Give the reason for this score."}
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.ASSIGNED


def test_a_submission_is_final_recorded_and_counted_in_the_result(panel):
    evaluator, assignment = first(panel)

    assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 80))

    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.SUBMITTED and assignment.submitted_at is not None
    transition = AssignmentTransition.objects.get(assignment=assignment)
    assert (transition.actor, transition.from_state, transition.to_state) == (
        evaluator.user,
        Assignment.State.ASSIGNED,
        Assignment.State.SUBMITTED,
    )
    result = StageResult.objects.get(stage=panel.stage, application=assignment.application)
    assert result.evaluations == 1 and result.merit == Decimal(80)
    # Read-only from now on: neither saved nor submitted again.
    with pytest.raises(ScoringError):
        scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 10))
    with pytest.raises(ScoringError):
        assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 10))
    assert set(Score.objects.filter(assignment=assignment).values_list("value", flat=True)) == {Decimal(80)}


def test_nothing_is_saved_or_submitted_after_the_deadline(panel):
    evaluator, assignment = first(panel)
    scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage))
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assignment.refresh_from_db()

    with pytest.raises(ScoringError, match="deadline"):
        scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage, 10))
    with pytest.raises(ScoringError, match="deadline"):
        assignment_submit(actor=evaluator.user, assignment=assignment)
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.ASSIGNED


def test_the_deadline_is_the_databases_clock_even_when_the_web_servers_is_behind(panel, monkeypatch):
    evaluator, assignment = first(panel)
    scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage))
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assignment.refresh_from_db()
    behind = timezone.now() - timedelta(hours=1)
    monkeypatch.setattr("evaluation.services.scoring.timezone.now", lambda: behind)

    with pytest.raises(ScoringError, match="deadline"):
        assignment_submit(actor=evaluator.user, assignment=assignment)
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.ASSIGNED


def test_only_the_assigned_evaluator_who_accepted_the_pledge_scores(panel, applicant):
    evaluator, assignment = first(panel)
    other = panel.evaluators[1]

    for actor in (other.user, applicant):
        with pytest.raises(NotAllowed):
            scores_save(actor=actor, assignment=assignment, scores=full_scores(panel.stage))
    type(evaluator).objects.filter(pk=evaluator.pk).update(pledge_accepted_at=None)
    with pytest.raises(NotAllowed, match="pledge"):
        assignment_submit(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage))
    assert not Score.objects.filter(assignment=assignment).exists()


def test_a_declined_assignment_takes_no_scores(panel):
    evaluator, assignment = first(panel)
    Assignment.objects.filter(pk=assignment.pk).update(state=Assignment.State.DECLINED)

    with pytest.raises(ScoringError):
        scores_save(actor=evaluator.user, assignment=assignment, scores=full_scores(panel.stage))
