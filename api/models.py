"""Personal API tokens: a user's key for scripts and other systems, shown once, kept hashed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ = "read", _("read")
    WRITE = "write", _("write")
    STAFF = "staff", _("staff")


class Token(models.Model):
    """A personal API token. The secret is never stored: ``secret_hash`` is the SHA-256 of the
    whole token (a random 256-bit value needs no slow hash), found by its public ``prefix``."""

    Scope = Scope

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("hash of the secret"), max_length=64, editable=False)
    scope_read = models.BooleanField(_("read"), default=True)
    scope_write = models.BooleanField(_("write"), default=False)
    scope_staff = models.BooleanField(_("staff"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_read=True) | Q(scope_write=True) | Q(scope_staff=True),
                name="api_token_has_a_scope",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_later"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(
            scope
            for scope, held in (
                (Scope.READ, self.scope_read),
                (Scope.WRITE, self.scope_write),
                (Scope.STAFF, self.scope_staff),
            )
            if held
        )

    @property
    def scope_labels(self) -> list[str]:
        return [str(Scope(scope).label) for scope in Scope.values if scope in self.scopes]

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class AllocationChange(models.Model):
    """Where an allocation stands in the changes feed (``api.feeds``): its place in the order in
    which changes to allocations committed, and when it last changed. Kept by triggers on the
    allocation table (migration 0002) for every insert and update, whoever writes (a service, a
    bulk update, the admin, a shell), so no writer can forget it."""

    allocation = models.OneToOneField(
        "allocations.Allocation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("allocation"),
    )
    # Given as the writing transaction commits, in commit order; null only inside that transaction.
    sequence = models.BigIntegerField(_("sequence"), null=True, unique=True)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("allocation change")
        verbose_name_plural = _("allocation changes")

    def __str__(self) -> str:
        return f"{self.allocation_id} @ {self.sequence}"
