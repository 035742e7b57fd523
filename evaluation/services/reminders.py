"""Reminders before an evaluation's deadline (beat, ``evaluation.send_reminders``): an evaluator
with assignments not yet submitted is e-mailed ``REMINDERS`` before the deadline (three days,
then one day), once per assignment and reminder, in their language; one e-mail per evaluator and
stage lists the assignments it reminds of.

Each assignment keeps when it was last reminded (``Assignment.reminded_at``): the reminder of
``lead`` is due when the deadline is within ``lead`` and the assignment was not reminded since
the deadline came within it. The rows are claimed by a conditional UPDATE, so two beat runs at
once remind once.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Assignment, Stage
from notifications.models import Notification
from notifications.services import notify

REMINDERS = (timedelta(days=3), timedelta(days=1))


def _due(now: datetime, lead: timedelta) -> QuerySet[Assignment]:
    """Open assignments whose deadline is within ``lead`` and not reminded since it came within."""
    return Assignment.objects.filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=F("due_at") - lead),
        state=Assignment.State.ASSIGNED,
        stage__state=Stage.State.SCORING,
        due_at__gt=now,
        due_at__lte=now + lead,
        evaluator__is_active=True,
    )


def evaluation_reminders_send(*, now: datetime | None = None) -> int:
    """E-mail the reminders that are due; the number of assignments reminded. Idempotent."""
    now = now or timezone.now()
    reminded = 0
    # The nearer reminder first: an assignment made a day before its deadline gets that one only.
    for lead in sorted(REMINDERS):
        reminded += _send(now, lead)
    return reminded


@transaction.atomic
def _send(now: datetime, lead: timedelta) -> int:
    assignments = list(
        _due(now, lead)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("stage__call", "evaluator__user__language_preference", "application")
        .order_by("evaluator_id", "stage_id", "due_at", "application_id")
    )
    if not assignments:
        return 0
    Assignment.objects.filter(pk__in=[assignment.pk for assignment in assignments]).update(reminded_at=now)
    grouped: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        grouped[(assignment.evaluator_id, assignment.stage_id)].append(assignment)
    for (_evaluator_id, stage_id), reminded in grouped.items():
        first = reminded[0]
        notify(
            kind=Notification.Kind.EVALUATION_REMINDER,
            template="evaluation_reminder",
            context={
                "evaluator": first.evaluator,
                "stage": first.stage,
                "assignments": reminded,
                "due_at": first.due_at,
            },
            recipients=[first.evaluator.user],
            link=reverse("evaluation_assignments"),
            key=f"evaluation_reminder:{stage_id}:{first.evaluator_id}:{int(lead.total_seconds())}:{first.due_at:%Y%m%d%H%M}",
        )
    return len(assignments)
