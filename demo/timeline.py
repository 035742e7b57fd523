"""The demo's past, told now: every state made by the services, only the timestamps moved.

A past call's history (its applications, decisions, allocations, reports, surveys) cannot be made
at the moment it happened: the services stamp what they write with the present, and
``application_submit`` checks the deadline against the database's own clock, so that no late
request slips through. So the demo tells that history now, one step at a time, through the
services an applicant, a reviewer, the worker and the beat would have called, and names the
moment of the story each step stands for::

    with timeline.at(submitted_at):
        application_submit(actor=owner, application=application)

``backdate`` then moves what the services stamped during each step to that step's moment,
keeping the order and spacing of the step's own writes. It is the one function of the demo that
writes a model field by itself, and it writes only the history timestamps listed in
``HISTORY_TIMESTAMPS``: never a status, a score, a quantity, a ledger figure, a state, or a date
that a rule reads (a call's dates, a report's due date, an allocation's period).

What a step wrote is found by its time: the rows whose timestamp lies within the step (from the
present when it began to the present when it ended). So the steps run one after the other, with
no transaction around them: each service commits as it does for a user, and what it does after
its commit (the modelled cloud removing an ended quota) happens inside the step too. The demo is
seeded before the portal's processes start (``make run``), so nothing else writes meanwhile. The
database's own clock (``DATABASE_CLOCK``) is read on the same machine but, on SQLite, to the
millisecond: its stamps may read up to a millisecond before the step that wrote them began, so
for them a step's window opens a millisecond early.
"""

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from accounts.models import User
from aftercare.models import (
    ChangeRequest,
    ChangeRequestTransition,
    Report,
    ReportReminder,
    SurveyInvitation,
    SurveyResponse,
)
from allocations.models import Allocation, AllocationTransition, ExpiryReminder, ProvisionedResource
from applications.models import (
    Application,
    ApplicationTransition,
    ClaimReview,
    ConflictOfInterest,
    Invitation,
    JoinRequest,
    Membership,
    Organization,
    OrganizationIdentityChange,
    PriorityPolicyChange,
)
from evaluation.models import (
    Assignment,
    AssignmentTransition,
    CallEvaluation,
    ConflictDeclaration,
    EvaluationPolicyChange,
    Evaluator,
    EvaluatorInvitation,
    Objection,
    ObjectionTransition,
    Score,
    Stage,
    StageResult,
    StageTransition,
)
from metering.models import UsageRecord
from notifications.models import Notification
from pool.models import CapacityChange
from reclaim.models import ReclaimCase, ReclaimCaseTransition, ReclaimOffer, ReclaimPolicy, ReclaimPolicyChange

# Every timestamp a told step may write: when something was created, sent, decided or changed.
HISTORY_TIMESTAMPS: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (User, ("date_joined",)),
    (Organization, ("created_at",)),
    (OrganizationIdentityChange, ("created_at",)),
    (Membership, ("joined_at",)),
    (Invitation, ("created_at", "accepted_at")),
    (JoinRequest, ("created_at", "decided_at")),
    (Application, ("created_at", "updated_at", "submitted_at")),
    (ApplicationTransition, ("created_at",)),
    (ClaimReview, ("created_at",)),
    (ConflictOfInterest, ("declared_at",)),
    (PriorityPolicyChange, ("created_at",)),
    (CapacityChange, ("created_at",)),
    (Allocation, ("created_at", "state_changed_at")),
    (AllocationTransition, ("created_at",)),
    (ProvisionedResource, ("created_at", "deprovisioned_at")),
    (ExpiryReminder, ("sent_at",)),
    (ChangeRequest, ("submitted_at", "decided_at")),
    (ChangeRequestTransition, ("created_at",)),
    (Report, ("submitted_at",)),
    (ReportReminder, ("sent_at",)),
    (SurveyInvitation, ("invited_at", "reminded_at")),
    (SurveyResponse, ("submitted_at",)),
    (ReclaimPolicy, ("updated_at",)),
    (ReclaimPolicyChange, ("created_at",)),
    (ReclaimCase, ("created_at", "answered_at", "decided_at", "offered_at")),
    (ReclaimCaseTransition, ("created_at",)),
    (ReclaimOffer, ("created_at",)),
    (CallEvaluation, ("updated_at",)),
    (EvaluationPolicyChange, ("created_at",)),
    (Stage, ("opened_at", "closed_at")),
    (StageTransition, ("created_at",)),
    (Evaluator, ("created_at", "pledge_accepted_at")),
    (EvaluatorInvitation, ("created_at", "accepted_at")),
    (ConflictDeclaration, ("created_at",)),
    (Assignment, ("assigned_at", "submitted_at", "reminded_at")),
    (AssignmentTransition, ("created_at",)),
    (Score, ("updated_at",)),
    (StageResult, ("computed_at",)),
    (Objection, ("filed_at", "decided_at")),
    (ObjectionTransition, ("created_at",)),
    (Notification, ("created_at", "last_attempt_at", "sent_at")),
    (UsageRecord, ("collected_at",)),
)

# The portal's other timestamps, and why a told step never writes them.
NOT_HISTORY: dict[str, str] = {
    "applications.Call.opens_at": "a call's schedule, set by the operator (demo.calls)",
    "applications.Call.deadline": "a call's schedule, set by the operator (demo.calls)",
    "accounts.User.last_login": "set by logging in, which no story does",
    "privacy.Consent.recorded_at": "given on the sign-up page, which no story goes through",
    "notifications.LanguagePreference.updated_at": "set by the language switcher, which no story uses",
    "outbox.OutboxMessage.created_at": "transport: handed to the broker and deleted at each commit",
    "evaluation.Stage.deadline": "a stage's schedule, set by the operator (demo.evaluation)",
    "evaluation.Assignment.due_at": "an assignment's due time, set by the reviewer or the stage (a rule reads it)",
    "evaluation.EvaluatorInvitation.expires_at": "an invitation's validity, which a rule reads",
    "metering.UsageNotice.created_at": "set when a usage e-mail is recorded; the demo's told history sends none",
}


def _only_timestamps() -> None:
    for model, fields in HISTORY_TIMESTAMPS:
        for name in fields:
            if not isinstance(model._meta.get_field(name), models.DateTimeField):
                raise TypeError(f"{model.__name__}.{name} is not a timestamp: backdate moves timestamps only")


_only_timestamps()

# Stamped by the database's own clock (``application_submit``), which SQLite keeps to the
# millisecond (see above).
DATABASE_CLOCK = {(Application, "submitted_at"), (Application, "updated_at"), (Assignment, "submitted_at")}
CLOCK_SLACK = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Step:
    """What the services wrote from ``started`` to ``ended`` (the present) happened at ``moment``."""

    started: datetime
    ended: datetime
    moment: datetime

    def contains(self, stamp: datetime, slack: timedelta) -> bool:
        return self.started - slack <= stamp <= self.ended


class Timeline:
    """The steps of a story told now, each at its moment, until they are backdated."""

    def __init__(self) -> None:
        self._told: list[Step] = []
        self._telling = False

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """Tell one step of the story: what the services write inside happened at ``moment``."""
        if self._telling:
            raise RuntimeError("A step of the story is told inside another.")
        if moment > timezone.now():
            raise ValueError(f"A told history is in the past, not at {moment.isoformat()}.")
        self._telling = True
        started = timezone.now()
        try:
            yield
        finally:
            self._telling = False
            self._told.append(Step(started, timezone.now(), moment))

    def backdate(self) -> int:
        """Backdate the steps told since the last call (see ``backdate``)."""
        told, self._told = self._told, []
        return backdate(told)


def backdate(steps: Sequence[Step]) -> int:
    """Move every history timestamp (``HISTORY_TIMESTAMPS``) written during one of ``steps`` to
    that step's moment plus its offset within the step, and return how many were moved.

    Changes timestamps and nothing else: it reads the rows whose timestamp lies within a step and
    rewrites that timestamp only (``bulk_update`` of the one field, which no ``auto_now`` touches).
    Steps must not overlap; a timestamp outside every step is left as it is. Idempotent once the
    steps are over: a moved timestamp lies in the past of the story, outside every step.
    """
    if not steps:
        return 0
    steps = sorted(steps, key=lambda step: step.started)
    window = (steps[0].started - CLOCK_SLACK, max(step.ended for step in steps))
    moved = 0
    for model, fields in HISTORY_TIMESTAMPS:
        for name in fields:
            slack = CLOCK_SLACK if (model, name) in DATABASE_CLOCK else timedelta(0)
            starts = [step.started - slack for step in steps]
            rows = []
            for pk, stamp in model._default_manager.filter(**{f"{name}__range": window}).values_list("pk", name):
                index = bisect_right(starts, stamp) - 1
                if index >= 0 and steps[index].contains(stamp, slack):
                    rows.append(model(pk=pk, **{name: steps[index].moment + (stamp - steps[index].started)}))
            model._default_manager.bulk_update(rows, [name], batch_size=500)
            moved += len(rows)
    return moved
