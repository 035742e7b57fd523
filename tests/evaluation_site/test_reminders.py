from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.models import Assignment
from evaluation.services.reminders import evaluation_reminders_send
from evaluation.services.scoring import assignment_submit
from evaluation.tasks import send_reminders
from notifications.models import LanguagePreference, Notification
from tests.evaluation_site.conftest import full_scores

pytestmark = pytest.mark.django_db


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.EVALUATION_REMINDER).order_by("pk"))


def test_each_evaluator_is_reminded_three_days_and_one_day_before_once_each(panel):
    due = panel.stage.deadline
    Assignment.objects.filter(stage=panel.stage).update(due_at=due)
    done = panel.evaluators[2]
    for application in panel.applications:
        assignment_submit(
            actor=done.user, assignment=panel.assignment(done, application), scores=full_scores(panel.stage)
        )

    assert evaluation_reminders_send(now=due - timedelta(days=4)) == 0
    # Three days before: one e-mail per evaluator listing both applications; the one who
    # submitted everything gets none.
    assert evaluation_reminders_send(now=due - timedelta(days=3)) == 4
    assert evaluation_reminders_send(now=due - timedelta(days=2)) == 0
    assert sorted(n.recipient for n in reminders()) == sorted(e.user.email for e in panel.evaluators[:2])
    # One day before: the second reminder, once.
    assert evaluation_reminders_send(now=due - timedelta(hours=23)) == 4
    assert evaluation_reminders_send(now=due - timedelta(hours=22)) == 0
    assert evaluation_reminders_send(now=due + timedelta(minutes=1)) == 0
    assert len(reminders()) == 4


def test_the_reminder_is_in_the_evaluators_language(panel):
    english, korean = panel.evaluators[0], panel.evaluators[1]
    LanguagePreference.objects.create(user=english.user, language="en")

    evaluation_reminders_send(now=panel.stage.deadline - timedelta(hours=12))

    by_recipient = {n.recipient: n for n in reminders()}
    assert by_recipient[english.user.email].language == "en"
    assert "Evaluation due" in by_recipient[english.user.email].subject
    assert by_recipient[korean.user.email].language == "ko"
    assert "평가" in by_recipient[korean.user.email].subject
    assert "의료 영상 판독 모델" in by_recipient[korean.user.email].body


def test_the_beat_task_run_twice_reminds_once(panel, settings):
    Assignment.objects.filter(stage=panel.stage).update(due_at=timezone.now() + timedelta(hours=20))

    first, second = send_reminders(), send_reminders()

    assert (first, second) == (6, 0)
    assert len(reminders()) == 3
