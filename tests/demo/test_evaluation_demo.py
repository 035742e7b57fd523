"""The demo's evaluated call (demo/evaluation.py): a panel mid-way, made through the services."""

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.evaluation import EVALUATED_CALL_TITLE
from evaluation.models import Assignment, CallEvaluation, ConflictDeclaration, Evaluator, Score, Stage

pytestmark = pytest.mark.django_db


def test_the_evaluated_call_has_its_panel_mid_way(seeded):
    assignments = Assignment.objects.filter(stage__call__title=EVALUATED_CALL_TITLE)
    written, presentation = Stage.objects.filter(call__title=EVALUATED_CALL_TITLE).order_by("order")

    assert CallEvaluation.objects.get(call__title=EVALUATED_CALL_TITLE).has_reserved_share
    assert written.is_scoring and presentation.is_preparing
    submitted = assignments.filter(state=Assignment.State.SUBMITTED)
    assert 0 < submitted.count() < assignments.count() / 2  # some scores in
    assert all(score.reason for score in Score.objects.filter(assignment__in=submitted))
    assert written.results.filter(evaluations__gt=0).exists()
    late = assignments.filter(state=Assignment.State.ASSIGNED, due_at__lt=timezone.now())
    assert late.values("evaluator").distinct().count() == 1  # one late evaluator
    conflict = ConflictDeclaration.objects.get(organization__applications__call__title=EVALUATED_CALL_TITLE)
    assert conflict.source == ConflictDeclaration.Source.AUTOMATIC
    assert not assignments.filter(evaluator=conflict.evaluator, application__organization=conflict.organization)
    # Every assignment holds a place: three evaluators per application.
    per_application = {pk: 0 for pk in assignments.values_list("application", flat=True)}
    for application_id in assignments.values_list("application", flat=True):
        per_application[application_id] += 1
    assert set(per_application.values()) == {3}


def test_the_demo_evaluator_meets_the_pledge_first_then_their_applications(seeded, client):
    # (Logging in with the password and the demo's code: test_seed_demo.py, for every demo login.)
    from demo.accounts import EVALUATOR

    evaluator = Evaluator.objects.get(user__email=EVALUATOR.email)
    assert not evaluator.has_accepted_pledge
    mine = Assignment.objects.filter(evaluator=evaluator, state=Assignment.State.ASSIGNED)
    assert mine.exists()
    client.force_login(evaluator.user)

    assert client.get(reverse("evaluation_assignments"))["Location"] == reverse("evaluation_pledge")
    client.post(reverse("evaluation_pledge"), {"accept": "on"})
    listing = client.get(reverse("evaluation_assignments")).content.decode()
    for assignment in mine:
        assert reverse("evaluation_assignment", args=[assignment.pk]) in listing
