"""After the award: extension and supplement requests, progress and final reports, the
satisfaction survey.

An *award* is what an approved application was granted: its allocations, one per offering.
Reports and the survey are asked once per award; change requests concern one allocation.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftercare.uploads import report_upload_to
from applications.uploads import validate_evidence_file
from portal import formats
from portal.history import Transition

# --- Extension and supplement requests ----------------------------------------------------------


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("Extension (a later end date)")
    SUPPLEMENT = "supplement", _("Supplement (more units)")


class ChangeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting a decision")
    APPROVED = "approved", _("Request approved")
    REJECTED = "rejected", _("Request rejected")
    WITHDRAWN = "withdrawn", _("Request withdrawn")


class ChangeRequest(models.Model):
    """An organisation asks to extend an active allocation to a later end date, or to add
    units to it, with a justification. Reviewers decide; an approval goes through the
    allocation engine (``allocations.services.allocation_change``), so the ledger holds."""

    Kind = ChangeKind
    Status = ChangeStatus

    allocation = models.ForeignKey(
        "allocations.Allocation", on_delete=models.PROTECT, related_name="change_requests", verbose_name=_("allocation")
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.PROTECT,
        related_name="change_requests",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("request"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    # What the allocation was when the request was made, so the request reads on its own later.
    current_ends_on = models.DateField(_("end date when requested"))
    current_quantity = models.PositiveIntegerField(_("units when requested"))
    requested_ends_on = models.DateField(_("requested end date"), null=True, blank=True)
    requested_units = models.PositiveIntegerField(_("additional units requested"), null=True, blank=True)
    justification = models.TextField(_("justification"))
    granted_ends_on = models.DateField(_("granted end date"), null=True, blank=True, editable=False)
    granted_units = models.PositiveIntegerField(_("additional units granted"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("extension or supplement request")
        verbose_name_plural = _("extension and supplement requests")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ChangeKind.values), name="change_request_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ChangeStatus.values), name="change_request_status_valid"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=ChangeKind.EXTENSION,
                        requested_ends_on__isnull=False,
                        requested_ends_on__gt=F("current_ends_on"),
                        requested_units__isnull=True,
                    )
                    | Q(kind=ChangeKind.SUPPLEMENT, requested_units__gt=0, requested_ends_on__isnull=True)
                ),
                name="change_request_asks_for_its_kind",
            ),
            # One request at a time per allocation, whatever two members click at once.
            models.UniqueConstraint(
                fields=["allocation"], condition=Q(status=ChangeStatus.SUBMITTED), name="change_request_one_open"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="change_request_queue")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_kind_display()} #{self.pk}"

    @property
    def requested_display(self) -> str:
        if self.kind == ChangeKind.EXTENSION:
            requested = formats.day(self.requested_ends_on) if self.requested_ends_on else "—"
            return f"{formats.day(self.current_ends_on)} → {requested}"
        return f"+{formats.figure(self.requested_units or 0)}"

    @property
    def is_awaiting_decision(self) -> bool:
        return self.status == ChangeStatus.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status == ChangeStatus.APPROVED

    @property
    def is_extension(self) -> bool:
        return self.kind == ChangeKind.EXTENSION

    @property
    def is_supplement(self) -> bool:
        return self.kind == ChangeKind.SUPPLEMENT

    @property
    def granted_display(self) -> str:
        if self.granted_ends_on:
            return f"{formats.day(self.current_ends_on)} → {formats.day(self.granted_ends_on)}"
        if self.granted_units:
            return f"+{formats.figure(self.granted_units)}"
        return ""


class ChangeRequestTransition(Transition):
    """The history of a change request: who moved it from which status to which, when and why."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("change request")
    )
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=ChangeStatus.choices, blank=True
    )
    to_status = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=ChangeStatus.choices)

    class Meta(Transition.Meta):
        verbose_name = _("change request status change")
        verbose_name_plural = _("change request status changes")

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


# --- Progress and final reports -----------------------------------------------------------------


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("report status", "Requested")
    SUBMITTED = "submitted", pgettext_lazy("report status", "Submitted")


class Report(models.Model):
    """A report the organisation files about its award: a progress report halfway through the
    service period, a final report within 30 days after its end. Asked for by a beat job
    (``aftercare.services.reports_request_due``); overdue while requested after ``due_on``."""

    Kind = ReportKind
    Status = ReportStatus

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="reports", verbose_name=_("application")
    )
    organization = models.ForeignKey(
        "applications.Organization", on_delete=models.PROTECT, related_name="reports", verbose_name=_("organisation")
    )
    kind = models.CharField(_("report"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED, editable=False
    )
    period_starts_on = models.DateField(_("service from"))
    period_ends_on = models.DateField(_("service until"))
    requested_on = models.DateField(_("requested on"))
    due_on = models.DateField(_("due on"))
    work_done = models.TextField(_("what was done"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    publications = models.TextField(
        _("publications and products"),
        blank=True,
        help_text=_("Papers, patents, products or services that used the resources; one per line."),
    )
    attachment = models.FileField(
        _("attachment"), upload_to=report_upload_to, validators=[validate_evidence_file], blank=True, max_length=200
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="report_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.REQUESTED) | Q(submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
            models.CheckConstraint(condition=Q(requested_on__lte=F("due_on")), name="report_due_after_request"),
        ]
        indexes = [models.Index(fields=["organization", "status", "due_on"], name="report_overdue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.organization}"

    @property
    def is_progress_report(self) -> bool:
        return self.kind == ReportKind.PROGRESS

    @property
    def is_submitted(self) -> bool:
        return self.status == ReportStatus.SUBMITTED

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == ReportStatus.REQUESTED and self.due_on < today


class ReminderStage(models.TextChoices):
    REQUESTED = "requested", _("Report requested")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class ReportReminder(models.Model):
    """That the e-mail of one stage of a report was sent (each stage once)."""

    Stage = ReminderStage

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("report"))
    stage = models.CharField(max_length=20, choices=Stage.choices, verbose_name=_("reminder stage"))
    sent_at = models.DateTimeField(default=timezone.now, verbose_name=_("sent"))

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        constraints = [
            models.UniqueConstraint(fields=["report", "stage"], name="report_reminder_once"),
            models.CheckConstraint(condition=Q(stage__in=ReminderStage.values), name="report_reminder_stage_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.stage}"


# --- The satisfaction survey --------------------------------------------------------------------


class SurveyOccasion(models.TextChoices):
    SERVICE_ENDED = "service_ended", _("The service period ended")
    PILOT_ENDED = "pilot_ended", _("The pilot service ended")


class SurveyInvitation(models.Model):
    """The members of an organisation are invited to rate an award once it ended (or once its
    pilot call ended). One per award, so one response per organisation and allocation."""

    Occasion = SurveyOccasion

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="survey", verbose_name=_("application")
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.PROTECT,
        related_name="survey_invitations",
        verbose_name=_("organisation"),
    )
    call = models.ForeignKey(
        "applications.Call", on_delete=models.PROTECT, related_name="survey_invitations", verbose_name=_("call")
    )
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-invited_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(occasion__in=SurveyOccasion.values), name="survey_occasion_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.call}"


def _rating_valid(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class SurveyResponse(models.Model):
    """An organisation's answers: 1 (poor) to 5 (excellent) per area, empty for an area it did
    not use, and free text for the operator."""

    # (field, question) in the order the form and the summary show them.
    QUESTIONS = (
        ("rating_compute", _("Compute resources (GPU, CPU, storage)")),
        ("rating_dev_env", _("AI development environment")),
        ("rating_data_saas", _("Data lake and SaaS")),
        ("rating_support", _("Support and education")),
    )

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.PROTECT, related_name="response", verbose_name=_("survey invitation")
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.PROTECT,
        related_name="survey_responses",
        verbose_name=_("organisation"),
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="survey_responses",
        verbose_name=_("application"),
    )
    call = models.ForeignKey(
        "applications.Call", on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("call")
    )
    rating_compute = models.PositiveSmallIntegerField(_("compute resources"), null=True, blank=True)
    rating_dev_env = models.PositiveSmallIntegerField(_("development environment"), null=True, blank=True)
    rating_data_saas = models.PositiveSmallIntegerField(_("data lake and SaaS"), null=True, blank=True)
    rating_support = models.PositiveSmallIntegerField(_("support and education"), null=True, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "application"], name="survey_response_once_per_award"),
            *(
                models.CheckConstraint(condition=_rating_valid(field), name=f"survey_{field}_1_to_5")
                for field in ("rating_compute", "rating_dev_env", "rating_data_saas", "rating_support")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.call}"
