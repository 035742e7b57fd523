from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ACCOUNT = "account", _("Account")
    INVITATION = "invitation", _("Invitation to an organisation")
    SUBMISSION_RECEIPT = "submission_receipt", _("Application received")
    DECISION = "decision", _("Decision on an application")
    EXPIRY_REMINDER = "expiry_reminder", _("End of the service period")
    CHANGE_REQUEST_RECEIVED = "change_request_received", _("Change request received")
    CHANGE_REQUEST_DECISION = "change_request_decision", _("Decision on a change request")
    REPORT_REQUESTED = "report_requested", _("Report requested")
    REPORT_REMINDER = "report_reminder", _("Report reminder")
    REPORT_OVERDUE = "report_overdue", _("Report overdue")
    SURVEY_INVITATION = "survey_invitation", _("Satisfaction survey")
    SURVEY_REMINDER = "survey_reminder", _("Satisfaction survey reminder")
    USAGE = "usage", _("Usage of an allocation")
    RECLAIM = "reclaim", _("Reclaim of an allocation")
    EVALUATOR_INVITATION = "evaluator_invitation", _("Invitation to evaluate")
    EVALUATION_REMINDER = "evaluation_reminder", _("Evaluation deadline reminder")
    OBJECTION_RECEIVED = "objection_received", _("Objection received")
    OBJECTION_DECISION = "objection_decision", _("Decision on an objection")
    JOIN_REQUEST = "join_request", _("Request to join an organisation")


class NotificationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One e-mail to one recipient, rendered in the recipient's language when it was recorded.

    The row is the job: it is written in the transaction of the event it tells about, and a
    Celery task delivers it after the commit (retrying transient SMTP failures); a sweeper
    re-drives rows whose message was lost. ``secret`` e-mails (verification and password-reset
    links) lose their body once delivered, so that no one reads a live link in the database.
    """

    Kind = NotificationKind
    State = NotificationState

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED, editable=False)
    recipient = models.EmailField(_("recipient"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("organisation"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("body"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    # Where the e-mail points to on the site (a path), for the list of e-mails on the site.
    link = models.CharField(_("link"), max_length=300, blank=True)
    secret = models.BooleanField(_("contains a secret link"), default=False)
    # What the e-mail is about and for whom: a second recording of the same event is ignored.
    key = models.CharField(_("key"), max_length=300, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=NotificationState.values), name="notification_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=NotificationState.SENT) | Q(sent_at__isnull=False), name="notification_sent_has_time"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="notification_language_valid",
            ),
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="notification_key_once"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            models.Index(fields=["state", "created_at"], name="notification_state"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"


class LanguagePreference(models.Model):
    """The language a user reads the portal in, and so receives e-mails in.

    Recorded when the user signs up, switches the site's language or chooses it on the e-mail
    page; without a row the portal's default language (Korean) applies.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
