from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.documents import ConsentItem


class Consent(models.Model):
    """One answer a person gave to one consent item: agreed or not, to which version, when.

    Rows are only added: a later answer (a withdrawal) is a new row, so the record shows what was
    agreed to at any time (개인정보 보호법 제22조: consents kept provable)."""

    Item = ConsentItem

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents", verbose_name=_("user")
    )
    item = models.CharField(_("consent item"), max_length=40, choices=Item.choices)
    version = models.CharField(_("version"), max_length=20)
    agreed = models.BooleanField(_("agreed"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(item__in=ConsentItem.values), name="consent_item_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_item_display()} {self.version}: {self.agreed}"
