"""Reclaim (회수): every change to reclaim policies and cases goes through these.

Each takes a keyword-only ``actor`` (``None`` for the portal's own beat job), checks that the
actor may act, locks what it changes, refuses with a ``ReclaimError`` (whose message is for the
user) when a rule forbids it, writes a history row, and records the e-mail that tells the
organisation in the same transaction. Units go back through the allocation engine
(``allocation_reduce``, ``allocation_release``), so the ledger frees them in the decision's own
statement. Lock order: the case, then the allocation, then the ledger rows (the engine's order
after it); offering freed units locks the case, then the wait-listed applications.
"""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations.models import Allocation
from allocations.services.changes import allocation_reduce
from allocations.services.filling import waitlist_offer_freed_capacity
from allocations.services.release import allocation_release
from applications.models import ApplicationItem, Call, Membership
from applications.services import decision_refusals
from metering import selectors as metering
from outbox.services import enqueue_on_commit
from portal import formats
from portal.errors import DomainError, NotAllowed
from reclaim import emails, rules
from reclaim.models import (
    OPEN_STATES,
    RECLAIMING_STATES,
    ReclaimCase,
    ReclaimCaseTransition,
    ReclaimOffer,
    ReclaimPolicy,
    ReclaimPolicyChange,
)

OFFER_RECLAIMED_CAPACITY = "reclaim.offer_reclaimed_capacity"

# Usage collected this many days ago or earlier is too old to judge an allocation by.
STALE_AFTER_DAYS = 3


class ReclaimError(DomainError):
    """A reclaim rule refused the action; ``str(error)`` says why, in the user's language."""


# --- The policy ---------------------------------------------------------------------------------

POLICY_FIELDS = ("enabled", "threshold_percent", "window_days", "grace_days", "idle_days", "answer_days", "automatic")


@transaction.atomic
def reclaim_policy_set(*, actor: User | None, call: Call, **values: Any) -> ReclaimPolicy:
    """Give ``call`` a reclaim policy, or change its settings (``POLICY_FIELDS``; the others keep
    their value, a new policy starts from the defaults). A ``ReclaimPolicyChange`` records who
    changed what. Idempotent: values that leave the policy as it is record nothing."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"not a reclaim policy setting: {', '.join(sorted(unknown))}")
    Call.objects.select_for_update().filter(pk=call.pk).exists()
    policy = ReclaimPolicy.objects.filter(call=call).first()
    before = policy.settings() if policy else {}
    if policy is None:
        policy = ReclaimPolicy(call=call)
    for name, value in values.items():
        setattr(policy, name, value)
    if policy.settings() == before:
        return policy
    try:
        policy.full_clean(exclude=["call"] if policy.pk else None)
    except ValidationError as error:  # the admin's form shows it field by field before this
        raise ReclaimError(" ".join(error.messages)) from None
    policy.save()
    ReclaimPolicyChange.objects.create(
        call=call,
        actor=actor,
        before=ReclaimPolicyChange.described(before),  # type: ignore[arg-type]
        after=ReclaimPolicyChange.described(policy.settings()),  # type: ignore[arg-type]
    )
    return policy


# --- Finding candidates -------------------------------------------------------------------------


def _record(case: ReclaimCase, *, actor: User | None, from_state: str, reason: str = "") -> None:
    ReclaimCaseTransition.objects.create(
        case=case, actor=actor, from_state=from_state, to_state=case.state, reason=reason
    )


def _thresholds(policy: ReclaimPolicy) -> rules.Thresholds:
    return rules.Thresholds(
        threshold_percent=policy.threshold_percent,
        window_days=policy.window_days,
        grace_days=policy.grace_days,
        idle_days=policy.idle_days,
    )


def reclaim_candidates_mark(*, today: date | None = None) -> list[ReclaimCase]:
    """Open a reclaim case for each active allocation of a call with a policy in force that the
    policy finds idle (``rules.assess``) on the usage collected so far, and warn the
    organisation with the date by which to answer.

    Skipped: allocations with an open case (one per allocation, held by a constraint), with a
    case decided within the policy's window (measured afresh first), without usage collected in
    the last ``STALE_AFTER_DAYS`` days, and those ending before the answer would be due.
    Idempotent: each case in its own transaction; a concurrent run's case wins.
    """
    today = today or timezone.localdate()
    opened: list[ReclaimCase] = []
    for policy in ReclaimPolicy.objects.filter(enabled=True).select_related("call").order_by("pk"):
        opened.extend(_mark_for_policy(policy, today))
    return opened


def _mark_for_policy(policy: ReclaimPolicy, today: date) -> list[ReclaimCase]:
    thresholds = _thresholds(policy)
    due_on = today + timedelta(days=policy.answer_days)
    open_case = ReclaimCase.objects.filter(allocation=OuterRef("pk"), state__in=OPEN_STATES)
    # A decision is followed by a whole new window of use before the allocation is judged again:
    # counted from the decision, and from the warning (the decision follows it by the answer days).
    decided_lately = (
        ReclaimCase.objects.filter(allocation=OuterRef("pk"))
        .filter(
            Q(decided_at__date__gt=today - timedelta(days=policy.window_days))
            | Q(flagged_on__gt=today - timedelta(days=policy.window_days + policy.answer_days))
        )
        .exclude(state__in=OPEN_STATES)
    )
    allocations = (
        Allocation.objects.filter(
            state=Allocation.State.ACTIVE,
            application_item__application__call=policy.call,
            ends_on__gt=due_on,
            usage__last_day__gte=today - timedelta(days=STALE_AFTER_DAYS),
            usage__last_day__lte=today,
        )
        .exclude(Exists(open_case))
        .exclude(Exists(decided_lately))
        .select_related("offering", "usage", "application_item__application")
        .order_by("pk")
    )
    by_day: dict[date, list[Allocation]] = defaultdict(list)
    for allocation in allocations:
        by_day[allocation.usage.last_day].append(allocation)  # type: ignore[index]
    opened = []
    for as_of, measured in sorted(by_day.items()):
        start, end = rules.window(thresholds, as_of)
        figures = metering.utilisation([allocation.pk for allocation in measured], start, end)
        for allocation in measured:
            days = metering.service_days(allocation)
            if days is None:
                continue
            figure = figures[allocation.pk]
            measure = rules.Measure(
                first_service_day=days[0],
                as_of=as_of,
                used=figure.used,
                granted=figure.granted,
                last_used_on=allocation.usage.last_used_on,
                quantity=allocation.quantity,
            )
            finding = rules.assess(measure, thresholds)
            if finding is None:
                continue
            case = _open_case(
                allocation,
                policy,
                finding,
                measure,
                window=(max(start, days[0]), end),
                today=today,
                due_on=due_on,
            )
            if case is not None:
                opened.append(case)
    return opened


def _open_case(
    allocation: Allocation,
    policy: ReclaimPolicy,
    finding: rules.Finding,
    measure: rules.Measure,
    *,
    window: tuple[date, date],
    today: date,
    due_on: date,
) -> ReclaimCase | None:
    try:
        with transaction.atomic():
            locked = Allocation.objects.select_for_update(of=("self",)).get(pk=allocation.pk)
            if not locked.is_active or locked.quantity != allocation.quantity:
                return None  # changed since it was measured: measured again next time
            case = ReclaimCase.objects.create(
                allocation=allocation,
                organization_id=allocation.organization_id,
                call=policy.call,
                trigger=finding.trigger,
                window_starts_on=window[0],
                window_ends_on=window[1],
                used=measure.used,
                granted=measure.granted,
                utilisation_percent=finding.utilisation_percent,
                last_used_on=measure.last_used_on,
                quantity=allocation.quantity,
                idle_units=finding.idle_units,
                flagged_on=today,
                due_on=due_on,
            )
            case.allocation = allocation
            case.call = policy.call
            _record(case, actor=None, from_state="", reason=case.get_trigger_display())
            emails.reclaim_warning(case, policy)
    except IntegrityError:
        return None  # opened by a concurrent run
    return case


# --- The organisation's answer ------------------------------------------------------------------


def _ensure_member(actor: User | None, organization_id: int) -> None:
    if actor is None or not Membership.objects.filter(organization_id=organization_id, user=actor).exists():
        raise NotAllowed(_("You are not a member of this organisation."))


def _lock_case(case: ReclaimCase) -> ReclaimCase:
    # of=self: not the allocation's or organisation's rows, which the engine locks after it.
    return (
        ReclaimCase.objects.select_for_update(of=("self",))
        .select_related("allocation__offering", "organization", "call")
        .get(pk=case.pk)
    )


@transaction.atomic
def reclaim_case_answer(*, actor: User, case: ReclaimCase, kind: str, answer: str) -> ReclaimCase:
    """The organisation answers a warning: a reason for the low use, a plan to use the
    resources, or an exemption request, with its text.

    Precondition: the actor is a member of the organisation, the case awaits an answer and its
    due date has not passed (Korea's date). Then read-only; a reviewer decides.
    """
    _ensure_member(actor, case.organization_id)
    case = _lock_case(case)
    if case.state != ReclaimCase.State.CANDIDATE:
        raise ReclaimError(_("This case has already been answered or decided."))
    if timezone.localdate() > case.due_on:
        raise ReclaimError(
            _("Answers were taken until %(due)s; a reviewer now decides.") % {"due": formats.day(case.due_on)}
        )
    if kind not in ReclaimCase.AnswerKind.values:
        raise ReclaimError(_("Choose what your answer is."))
    if not answer.strip():
        raise ReclaimError(_("Write your answer."))
    case.answer_kind, case.answer = kind, answer.strip()
    case.answered_by, case.answered_at = actor, timezone.now()
    case.state = ReclaimCase.State.ANSWERED
    case.save(update_fields=["answer_kind", "answer", "answered_by", "answered_at", "state"])
    _record(case, actor=actor, from_state=ReclaimCase.State.CANDIDATE, reason=case.get_answer_kind_display())
    return case


# --- Decisions ----------------------------------------------------------------------------------


def _lock_open(actor: User | None, case: ReclaimCase, reason: str) -> ReclaimCase:
    if not reason.strip():
        raise ReclaimError(_("Give the reason for the decision."))
    case = _lock_case(case)
    refusal = decision_refusals(actor, [case]).get(case.pk)
    if refusal is not None:  # no right to decide, a member of the organisation, a declared conflict
        raise refusal
    if not case.is_open:
        raise ReclaimError(_("This case has already been decided (%(state)s).") % {"state": case.get_state_display()})
    return case


def _close(case: ReclaimCase, state: str, *, actor: User | None, reason: str, reclaimed_units: int = 0) -> None:
    previous = case.state
    case.state = state
    case.reclaimed_units = reclaimed_units
    case.decision_reason = reason.strip()
    case.decided_at = timezone.now()
    case.save(update_fields=["state", "reclaimed_units", "decision_reason", "decided_at"])
    _record(case, actor=actor, from_state=previous, reason=case.decision_reason)
    emails.reclaim_decided(case)
    if reclaimed_units:
        enqueue_on_commit(OFFER_RECLAIMED_CAPACITY, case.pk)


@transaction.atomic
def reclaim_case_reduce(*, actor: User | None, case: ReclaimCase, units: int, reason: str) -> ReclaimCase:
    """Reduce the case's allocation to ``units`` (at least one, fewer than now) through the
    engine: the freed units are free in the ledger at once, the quota is resized after the
    commit, and the freed capacity is then offered to the call's wait-list in rank order
    (``reclaim_offer``). Precondition: the case is open, the actor may decide the organisation's
    applications (``None``: the portal, for an automatic policy), a reason is given."""
    case = _lock_open(actor, case, reason)
    before = case.allocation.quantity
    try:
        allocation = allocation_reduce(
            actor=actor,
            allocation=case.allocation,
            quantity=units,
            reason=_("Reclaim case #%(number)s.") % {"number": case.pk},
        )
    except DomainError as error:
        raise ReclaimError(str(error)) from None
    case.allocation = allocation
    _close(case, ReclaimCase.State.REDUCED, actor=actor, reason=reason, reclaimed_units=before - units)
    return case


@transaction.atomic
def reclaim_case_end(*, actor: User | None, case: ReclaimCase, reason: str) -> ReclaimCase:
    """End (revoke) the case's allocation through the engine: all its units are free in the
    ledger at once, the quota removed after the commit, and the freed capacity offered to the
    call's wait-list. Preconditions as ``reclaim_case_reduce``."""
    case = _lock_open(actor, case, reason)
    if not case.allocation.is_active:
        raise ReclaimError(_("The allocation is no longer active."))
    units = case.allocation.quantity
    case.allocation = allocation_release(
        actor=actor,
        allocation=case.allocation,
        to_state=Allocation.State.REVOKED,
        reason=_("Reclaim case #%(number)s.") % {"number": case.pk},
    )
    _close(case, ReclaimCase.State.ENDED, actor=actor, reason=reason, reclaimed_units=units)
    return case


@transaction.atomic
def reclaim_case_keep(*, actor: User | None, case: ReclaimCase, reason: str) -> ReclaimCase:
    """Keep the allocation as it is (an exemption, or a plan the reviewer accepts). It is not
    found again before a new window of use has been measured. Preconditions as the others."""
    case = _lock_open(actor, case, reason)
    _close(case, ReclaimCase.State.KEPT, actor=actor, reason=reason)
    return case


@transaction.atomic
def reclaim_case_dismiss(*, case: ReclaimCase, reason: str) -> ReclaimCase | None:
    """Close an open case whose allocation is no longer active (it expired, or was ended by
    another path): nothing is left to reclaim. The portal's own step; idempotent."""
    case = _lock_case(case)
    if not case.is_open or case.allocation.is_active:
        return None
    previous = case.state
    case.state = ReclaimCase.State.DISMISSED
    case.decision_reason = reason
    case.decided_at = timezone.now()
    case.save(update_fields=["state", "decision_reason", "decided_at"])
    _record(case, actor=None, from_state=previous, reason=reason)
    return case


def reclaim_cases_settle(*, today: date | None = None) -> tuple[int, int]:
    """The beat job's other steps: dismiss open cases whose allocation ended, and, for calls
    whose policy reclaims automatically, decide the cases nobody answered by their due date
    (actor None, the reason stated). Returns (dismissed, decided). Idempotent."""
    today = today or timezone.localdate()
    dismissed = 0
    for case in ReclaimCase.objects.filter(state__in=OPEN_STATES).exclude(allocation__state=Allocation.State.ACTIVE):
        if reclaim_case_dismiss(case=case, reason=_("The allocation is no longer active.")):
            dismissed += 1
    decided = 0
    overdue = ReclaimCase.objects.filter(
        state=ReclaimCase.State.CANDIDATE,
        due_on__lt=today,
        call__reclaim_policy__enabled=True,
        allocation__state=Allocation.State.ACTIVE,
    ).exclude(call__reclaim_policy__automatic=ReclaimPolicy.Automatic.NEVER)
    for case in overdue.select_related("call__reclaim_policy", "allocation").order_by("pk"):
        policy = case.call.reclaim_policy
        reason = _("No answer by the due date (%(due)s): the call's reclaim policy reclaims without a reviewer.") % {
            "due": formats.day(case.due_on)
        }
        try:
            if policy.automatic == ReclaimPolicy.Automatic.END:
                reclaim_case_end(actor=None, case=case, reason=reason)
            else:
                units = max(case.quantity - case.idle_units, 1)
                if units >= case.allocation.quantity:
                    continue  # nothing idle to take back: a reviewer decides
                reclaim_case_reduce(actor=None, case=case, units=units, reason=reason)
        except ReclaimError:
            continue  # decided meanwhile by a reviewer
        decided += 1
    return dismissed, decided


def reclaim_daily(*, today: date | None = None) -> dict[str, int]:
    """The beat job: settle what is due, offer what a lost message left unoffered, then mark
    new candidates. Idempotent: running it again the same day changes nothing."""
    dismissed, decided = reclaim_cases_settle(today=today)
    unoffered = ReclaimCase.objects.filter(state__in=RECLAIMING_STATES, offered_at__isnull=True).values_list(
        "pk", flat=True
    )
    offered = sum(len(reclaim_offer(case_id=case_id)) for case_id in list(unoffered))
    opened = reclaim_candidates_mark(today=today)
    return {"dismissed": dismissed, "decided": decided, "offered": offered, "opened": len(opened)}


# --- Where the freed units go -------------------------------------------------------------------


@transaction.atomic
def reclaim_offer(*, case_id: int) -> list[ReclaimOffer]:
    """Offer the units a decided case freed to its call's wait-list, in rank order
    (``waitlist_offer_freed_capacity``: one batch approval, what fits, up to the call's
    selection target), and record which applications got units of the case's offering.
    Idempotent: once per case (``offered_at``)."""
    case = ReclaimCase.objects.select_for_update(of=("self",)).select_related("allocation", "call").get(pk=case_id)
    if case.offered_at is not None or case.state not in RECLAIMING_STATES:
        return []
    approved = waitlist_offer_freed_capacity(call=case.call)
    units = dict(
        ApplicationItem.objects.filter(
            application__in=[application.pk for application in approved], offering_id=case.allocation.offering_id
        )
        .values_list("application")
        .annotate(units=Sum("quantity"))
        .values_list("application", "units")
    )
    offers = ReclaimOffer.objects.bulk_create(
        [
            ReclaimOffer(case=case, application=application, units=units[application.pk])
            for application in approved
            if units.get(application.pk)
        ]
    )
    case.offered_at = timezone.now()
    case.save(update_fields=["offered_at"])
    return offers


# --- The demo -----------------------------------------------------------------------------------


def reclaim_demo_candidates(*, call: Call, today: date | None = None, **policy: Any) -> list[ReclaimCase]:
    """For the demo (after its usage history is collected): give ``call`` a reclaim policy
    (the defaults, or ``policy``'s settings) and mark its idle allocations as candidates, as
    the beat job would ``today``. Idempotent."""
    reclaim_policy_set(actor=None, call=call, **policy)
    return [case for case in reclaim_candidates_mark(today=today) if case.call_id == call.pk]
