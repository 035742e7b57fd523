from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task asked for by a transaction, not yet handed to the broker.

    Written in the transaction that asks for the work, so it exists if and only if the work
    was decided; deleted once the broker has taken the message. A row that stays (the broker
    was unreachable at commit, or the process died before publishing) is published again by
    the relay (``outbox.services.outbox_relay``, run by beat every few seconds).
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    countdown = models.PositiveIntegerField(_("delay (seconds)"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("publishing attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], name="outbox_message_age")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
