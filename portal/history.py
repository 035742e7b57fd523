"""History rows: who moved something from which status to which, when and why.

``Transition`` is the abstract base of every status history (an application's, an
allocation's, a change request's): each adds the row it records and its own from/to fields,
with its status choices. ``SettingChange`` is the base of the history of a setting edited as a
whole (capacity phases, a priority policy). ``portal.admin_readonly.ReadOnlyInline`` shows such
rows on an admin change page, where they are never edited: they change only through the
services.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processed by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class SettingChange(models.Model):
    """A setting replaced as a whole (an offering's capacity phases, a call's priority policy):
    who changed it, when, and what it said before and after, one "key: value" per line."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processed by"),
    )
    before = models.TextField(_("before"), blank=True)
    after = models.TextField(_("after"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    @staticmethod
    def described(values: dict[str, int]) -> str:
        return "\n".join(f"{key}: {value}" for key, value in sorted(values.items()))
