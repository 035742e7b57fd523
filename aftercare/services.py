"""After the award: every change to change requests, reports and surveys goes through these.

Each takes a keyword-only ``actor`` (``None`` for the portal's own beat jobs), checks that the
actor may act, locks what it changes, refuses with an ``AftercareError`` (whose message is for
the user) when a rule forbids it, records who did what, and records the e-mail that tells the
organisation in the same transaction. Lock order: allocation, change request, ledger rows.
The beat jobs (``reports_request_due``, ``report_reminders_send``, ``surveys_invite_due``,
``survey_reminders_send``) are idempotent: a row per thing done, under a uniqueness constraint.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from aftercare import emails, schedule, selectors
from aftercare.models import (
    ChangeRequest,
    ChangeRequestTransition,
    Report,
    ReportReminder,
    SurveyInvitation,
    SurveyResponse,
)
from allocations.models import Allocation
from allocations.services.changes import allocation_change
from applications.models import Application, CallOffering, Membership
from applications.services import ensure_may_decide
from portal import data_version, formats
from portal.errors import DomainError, NotAllowed

if TYPE_CHECKING:
    from aftercare.selectors import Award


class AftercareError(DomainError):
    """A rule after the award refused the action; ``str(error)`` says why, in the user's language."""


def _ensure_member(actor: User, organization_id: int) -> None:
    if actor is None or not Membership.objects.filter(organization_id=organization_id, user=actor).exists():
        raise NotAllowed(_("You are not a member of this organisation."))


# --- Extension and supplement requests ----------------------------------------------------------


def _lock_allocation(allocation_id: int) -> Allocation:
    return (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("offering", "organization", "application_item__application__call")
        .get(pk=allocation_id)
    )


def supplement_limit(allocation: Allocation) -> int:
    """The most units one supplement may ask for: the call's maximum per application."""
    application = allocation.application_item.application
    maximum = (
        CallOffering.objects.filter(call_id=application.call_id, offering_id=allocation.offering_id)
        .values_list("max_per_application", flat=True)
        .first()
    )
    return maximum or allocation.quantity


def _record(change_request: ChangeRequest, *, actor: User | None, from_status: str, reason: str = "") -> None:
    ChangeRequestTransition.objects.create(
        change_request=change_request,
        actor=actor,
        from_status=from_status,
        to_status=change_request.status,
        reason=reason,
    )


@transaction.atomic
def change_request_submit(
    *,
    actor: User,
    allocation: Allocation,
    kind: str,
    justification: str,
    ends_on: date | None = None,
    units: int | None = None,
) -> ChangeRequest:
    """Ask to extend an active allocation to ``ends_on``, or to add ``units`` to it.

    Precondition: the actor is a member of the allocation's organisation, the allocation is
    active and has no other request awaiting a decision (held by a database constraint). An
    extension reaches at most a year past the current end; a supplement asks for at most the
    call's maximum per application. The members are told by e-mail that it was received.
    """
    _ensure_member(actor, allocation.organization_id)
    allocation = _lock_allocation(allocation.pk)
    if allocation.state != Allocation.State.ACTIVE:
        raise AftercareError(_("Only an active allocation can be extended or supplemented."))
    if not justification.strip():
        raise AftercareError(_("Explain why you need the change."))
    if kind == ChangeRequest.Kind.EXTENSION:
        if ends_on is None or ends_on <= allocation.ends_on:
            raise AftercareError(
                _("Choose an end date after the current one (%(end)s).") % {"end": formats.day(allocation.ends_on)}
            )
        if ends_on > allocation.ends_on + schedule.MAX_EXTENSION:
            raise AftercareError(
                _("An extension reaches at most %(end)s (a year past the current end).")
                % {"end": formats.day(allocation.ends_on + schedule.MAX_EXTENSION)}
            )
        units = None
    elif kind == ChangeRequest.Kind.SUPPLEMENT:
        limit = supplement_limit(allocation)
        if units is None or not 1 <= units <= limit:
            raise AftercareError(_("Ask for between 1 and %(limit)s more units.") % {"limit": formats.figure(limit)})
        ends_on = None
    else:
        raise AftercareError(_("Choose an extension or a supplement."))
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                allocation=allocation,
                organization_id=allocation.organization_id,
                kind=kind,
                current_ends_on=allocation.ends_on,
                current_quantity=allocation.quantity,
                requested_ends_on=ends_on,
                requested_units=units,
                justification=justification.strip(),
                submitted_by=actor,
            )
    except IntegrityError:
        raise AftercareError(_("This allocation already has a request awaiting a decision.")) from None
    change_request.allocation = allocation
    _record(change_request, actor=actor, from_status="")
    emails.change_request_received(change_request)
    return change_request


def _lock_request(change_request: ChangeRequest) -> tuple[Allocation, ChangeRequest]:
    # Allocation first, then the request: the order every writer of both follows.
    allocation = _lock_allocation(change_request.allocation_id)
    # of=self: not the organisation's row as well. A grant to the same organisation share-locks
    # it when it commits (its allocations' foreign-key checks), holding the ledger rows, or the
    # offering, that the change approved here goes on to wait for: locked for update here, the
    # two would deadlock.
    change_request = (
        ChangeRequest.objects.select_for_update(of=("self",)).select_related("organization").get(pk=change_request.pk)
    )
    change_request.allocation = allocation
    return allocation, change_request


@transaction.atomic
def change_request_withdraw(*, actor: User, change_request: ChangeRequest, reason: str = "") -> ChangeRequest:
    """The organisation withdraws its request before a decision."""
    _ensure_member(actor, change_request.organization_id)
    _allocation, change_request = _lock_request(change_request)
    if change_request.status != ChangeRequest.Status.SUBMITTED:
        raise AftercareError(_("Only a request awaiting a decision can be withdrawn."))
    change_request.status = ChangeRequest.Status.WITHDRAWN
    change_request.save(update_fields=["status"])
    _record(change_request, actor=actor, from_status=ChangeRequest.Status.SUBMITTED, reason=reason)
    return change_request


@transaction.atomic
def change_request_approve(
    *,
    actor: User | None,
    change_request: ChangeRequest,
    ends_on: date | None = None,
    units: int | None = None,
    reason: str = "",
) -> ChangeRequest:
    """Grant the request in full (``ends_on``/``units`` None) or in part (an earlier end date,
    fewer units; a reason is then required), through the allocation engine.

    Precondition: the request awaits a decision and the actor may decide the organisation's
    applications. Effect: the allocation is extended or raised in the same transaction, the
    ledger moving by trigger; ``DoesNotFit`` (nothing changed) names the short day when the
    pool cannot take it. The members are told; a supplement's quota is resized after commit
    (by the engine's ``allocation_change``).
    """
    allocation, change_request = _lock_request(change_request)
    ensure_may_decide(actor, allocation.application_item.application)
    if change_request.status != ChangeRequest.Status.SUBMITTED:
        raise AftercareError(_("This request has already been decided or withdrawn."))
    reason = reason.strip()
    new_ends_on, new_quantity = allocation.ends_on, allocation.quantity
    if change_request.is_extension:
        requested_ends_on = change_request.requested_ends_on or allocation.ends_on
        granted_ends_on = ends_on or requested_ends_on
        if granted_ends_on <= allocation.ends_on:
            raise AftercareError(
                _("The allocation already ends on %(end)s; grant a later date.")
                % {"end": formats.day(allocation.ends_on)}
            )
        if granted_ends_on > requested_ends_on:
            raise AftercareError(_("Grant at most the end date requested."))
        partial = granted_ends_on < requested_ends_on
        new_ends_on = change_request.granted_ends_on = granted_ends_on
    else:
        requested_units = change_request.requested_units or 0
        granted_units = units or requested_units
        if not 1 <= granted_units <= requested_units:
            raise AftercareError(
                _("Grant between 1 and the %(units)s units requested.") % {"units": formats.figure(requested_units)}
            )
        partial = granted_units < requested_units
        new_quantity = allocation.quantity + granted_units
        change_request.granted_units = granted_units
    if partial and not reason:
        raise AftercareError(pgettext("change request decision", "A partial approval needs a reason."))
    allocation_change(
        actor=actor,
        allocation=allocation,
        ends_on=new_ends_on,
        quantity=new_quantity,
        reason=_("Change request #%(number)s approved.") % {"number": change_request.pk},
    )
    change_request.status = ChangeRequest.Status.APPROVED
    change_request.decided_at = timezone.now()
    change_request.save(update_fields=["status", "decided_at", "granted_ends_on", "granted_units"])
    _record(change_request, actor=actor, from_status=ChangeRequest.Status.SUBMITTED, reason=reason)
    change_request.allocation.refresh_from_db(fields=["ends_on", "quantity"])
    emails.change_request_decided(change_request, reason)
    return change_request


@transaction.atomic
def change_request_reject(*, actor: User | None, change_request: ChangeRequest, reason: str) -> ChangeRequest:
    """Refuse the request; the organisation is told the reason."""
    if not reason.strip():
        raise AftercareError(pgettext("change request decision", "A rejection needs a reason."))
    allocation, change_request = _lock_request(change_request)
    ensure_may_decide(actor, allocation.application_item.application)
    if change_request.status != ChangeRequest.Status.SUBMITTED:
        raise AftercareError(_("This request has already been decided or withdrawn."))
    change_request.status = ChangeRequest.Status.REJECTED
    change_request.decided_at = timezone.now()
    change_request.save(update_fields=["status", "decided_at"])
    _record(change_request, actor=actor, from_status=ChangeRequest.Status.SUBMITTED, reason=reason.strip())
    emails.change_request_decided(change_request, reason.strip())
    return change_request


# --- Reports ------------------------------------------------------------------------------------


def reports_request_due(*, today: date | None = None) -> list[Report]:
    """Ask for the progress report of running awards past their midpoint, and the final report
    of awards that ended, each once; the members are e-mailed. Idempotent (one report per
    award and kind, by constraint); each award in its own transaction."""
    today = today or timezone.localdate()
    requested = []
    running = (
        selectors.awards().filter(running__gt=0, award_ends_on__gte=today).filter(_without_report(Report.Kind.PROGRESS))
    )
    for award in running.select_related("organization", "call"):
        if award.award_starts_on is None or award.award_ends_on is None:
            continue  # nothing ran yet
        dates = schedule.progress_report_due(award.award_starts_on, award.award_ends_on, today)
        if dates and (report := _request_report(award, Report.Kind.PROGRESS, *dates)):
            requested.append(report)
    ended = (
        selectors.awards()
        .filter(
            holding=0,
            award_ends_on__lt=today,
            award_ends_on__gte=today - schedule.FINAL_REPORT_DUE_AFTER_END,
        )
        .filter(_without_report(Report.Kind.FINAL))
    )
    for award in ended.select_related("organization", "call"):
        if award.award_ends_on is None:
            continue
        dates = schedule.final_report_due(award.award_ends_on, today)
        if dates and (report := _request_report(award, Report.Kind.FINAL, *dates)):
            requested.append(report)
    return requested


def _without_report(kind: str) -> Combinable:
    return ~Exists(Report.objects.filter(application=OuterRef("pk"), kind=kind))


def _request_report(award: "Award", kind: str, requested_on: date, due_on: date) -> Report | None:
    if award.award_starts_on is None or award.award_ends_on is None:
        return None  # nothing ran
    try:
        with transaction.atomic():
            report = Report.objects.create(
                application=award,
                organization_id=award.organization_id,
                kind=kind,
                period_starts_on=award.award_starts_on,
                period_ends_on=award.award_ends_on,
                requested_on=requested_on,
                due_on=due_on,
            )
            report.application = award
            _send_stage(report, ReportReminder.Stage.REQUESTED)
    except IntegrityError:
        return None  # asked for by a concurrent run
    return report


def _send_stage(report: Report, stage: str) -> bool:
    """Record that ``stage`` was e-mailed and e-mail it, once (in the caller's transaction)."""
    try:
        with transaction.atomic():
            ReportReminder.objects.create(report=report, stage=stage)
            emails.report_stage(report, stage)
    except IntegrityError:
        return False
    return True


def report_reminders_send(*, today: date | None = None) -> int:
    """E-mail each stage of each requested report on its day (or within the grace period if
    the beat missed it): the request, a week before the due date, the day after it. Once each."""
    today = today or timezone.localdate()
    reports = Report.objects.filter(
        status=Report.Status.REQUESTED,
        requested_on__lte=today,
        due_on__gte=today - schedule.GRACE - schedule.REMINDER_BEFORE_DUE,
    ).select_related("application__call", "organization")
    sent = 0
    for report in reports.prefetch_related(Prefetch("reminders", queryset=ReportReminder.objects.only("stage"))):
        done = {reminder.stage for reminder in report.reminders.all()}
        for stage in schedule.report_reminder_stages(report.requested_on, report.due_on):
            if stage.name not in done and stage.is_due(today) and _send_stage(report, stage.name):
                sent += 1
    return sent


@transaction.atomic
def report_submit(
    *,
    actor: User,
    report: Report,
    work_done: str,
    outcomes: str,
    publications: str = "",
    attachment: "File[bytes] | None" = None,
) -> Report:
    """File a requested report (late is accepted, and shows as late). Then read-only."""
    _ensure_member(actor, report.organization_id)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Report.Status.REQUESTED:
        raise AftercareError(_("This report has already been submitted."))
    if not work_done.strip() or not outcomes.strip():
        raise AftercareError(_("Say what was done and what came out of it."))
    report.work_done, report.outcomes, report.publications = work_done.strip(), outcomes.strip(), publications.strip()
    fields = ["work_done", "outcomes", "publications", "status", "submitted_at", "submitted_by"]
    if attachment is not None:
        report.attachment = attachment
        fields.append("attachment")
    report.status = Report.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.save(update_fields=fields)
    return report


# --- The satisfaction survey --------------------------------------------------------------------


def surveys_invite_due(*, today: date | None = None) -> list[SurveyInvitation]:
    """Invite the members of each organisation whose award ended (every allocation ended) or
    whose pilot call's service period ended, within the last 30 days, once per award."""
    today = today or timezone.localdate()
    not_invited = ~Exists(SurveyInvitation.objects.filter(application=OuterRef("pk")))
    window = (today - schedule.SURVEY_INVITE_WITHIN, today - timedelta(days=1))
    pilots = Application.objects.filter(
        status=Application.Status.APPROVED, call__is_pilot=True, call__service_ends_on__range=window
    ).filter(not_invited)
    ended = (
        selectors.awards()
        .filter(holding=0, award_ends_on__gte=window[0], award_ends_on__lte=window[1])
        .filter(not_invited)
        .exclude(pk__in=pilots.values("pk"))
    )
    invited = []
    for occasion, awards in (
        (SurveyInvitation.Occasion.PILOT_ENDED, pilots),
        (SurveyInvitation.Occasion.SERVICE_ENDED, ended),
    ):
        for award in awards.select_related("organization", "call").order_by("pk"):
            try:
                with transaction.atomic():
                    invitation = SurveyInvitation.objects.create(
                        application=award,
                        organization_id=award.organization_id,
                        call_id=award.call_id,
                        occasion=occasion,
                    )
                    invitation.application = award
                    emails.survey_invitation(invitation)
                    data_version.changed()  # the dashboard counts who was invited
            except IntegrityError:
                continue  # invited by a concurrent run
            invited.append(invitation)
    return invited


def survey_reminders_send(*, today: date | None = None) -> int:
    """Remind, once, the organisations that have not answered a week after the invitation."""
    today = today or timezone.localdate()
    pending = SurveyInvitation.objects.filter(reminded_at__isnull=True, response__isnull=True).select_related(
        "application", "organization", "call"
    )
    sent = 0
    for invitation in pending:
        if not schedule.survey_reminder_due(timezone.localdate(invitation.invited_at), today):
            continue
        with transaction.atomic():
            # Compare-and-set: a concurrent run that got there first leaves nothing to do.
            if not SurveyInvitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            emails.survey_invitation(invitation, reminder=True)
        sent += 1
    return sent


RATING_FIELDS = tuple(name for name, _question in SurveyResponse.QUESTIONS)


@transaction.atomic
def survey_respond(
    *, actor: User, invitation: SurveyInvitation, ratings: dict[str, int | None], comments: str = ""
) -> SurveyResponse:
    """Answer the survey for the organisation: a rating from 1 to 5 per area (None: not used)
    and free text. One response per organisation and award, whoever of its members answers."""
    _ensure_member(actor, invitation.organization_id)
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    for name in RATING_FIELDS:
        value = ratings.get(name)
        if value is not None and not 1 <= value <= 5:
            raise AftercareError(_("Ratings go from 1 to 5."))
    if all(ratings.get(name) is None for name in RATING_FIELDS) and not comments.strip():
        raise AftercareError(_("Rate at least one area or leave a comment."))
    data_version.changed()  # the dashboard shows the survey's results
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                invitation=invitation,
                organization_id=invitation.organization_id,
                application_id=invitation.application_id,
                call_id=invitation.call_id,
                comments=comments.strip(),
                submitted_by=actor,
                **{name: ratings.get(name) for name in RATING_FIELDS},
            )
    except IntegrityError:
        raise AftercareError(_("Your organisation has already answered this survey.")) from None
