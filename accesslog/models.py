"""The personal-data access log (개인정보 접속기록): every time staff are shown or download an
applicant's personal data, who, when, what and from which address.

Korean rules for systems that process personal data (개인정보의 안전성 확보조치 기준) ask for such a
record of staff access, kept at least two years and safe from alteration. Here a record is
written once, by ``accesslog.services.access_record``, and never changed or deleted: the model
and its queryset refuse updates and deletes, the admin only shows records (to operators and
superusers, who may export a period of them as CSV from ``/ops/access-log.csv``), the staff member
and the kind of object a record names cannot be deleted while it exists (``PROTECT``), and no
job purges old records. Retention is therefore unlimited (at least the two years required); a
deletion after that would be a deliberate database operation, outside the portal.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The two years of the rules: what no code path may shorten (see the module's docstring).
RETENTION_YEARS_AT_LEAST = 2


class AccessLogIsAppendOnly(Exception):
    """An access record was about to be changed or deleted."""


class AccessRecordQuerySet(models.QuerySet["AccessRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AccessLogIsAppendOnly("Access records are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AccessLogIsAppendOnly("Access records are never deleted.")


class AccessKind(models.TextChoices):
    VIEW = "view", _("viewed")
    DOWNLOAD = "download", _("downloaded")
    EXPORT = "export", _("exported")


class AccessPage(models.TextChoices):
    """Where the data was shown; each page is one kind of access (``KIND_OF_PAGE``)."""

    ORGANIZATION_ADMIN = "organization_admin", _("organisation (admin)")
    USER_ADMIN = "user_admin", _("user account (admin)")
    APPLICATION_ADMIN = "application_admin", _("application (admin)")
    DECISION_PAGE = "decision_page", _("decision page")
    APPLICATION_PAGE = "application_page", _("application page")
    REPORT_ADMIN = "report_admin", _("report (admin)")
    EMAIL_ADMIN = "email_admin", _("e-mail sent (admin)")
    CERTIFICATE = "certificate", _("business registration certificate")
    EVIDENCE = "evidence", _("evidence of a priority claim")
    REPORT_ATTACHMENT = "report_attachment", _("report attachment")
    DASHBOARD_EXPORT = "dashboard_export", _("dashboard export")
    ACCESS_LOG_EXPORT = "access_log_export", _("access log export")


KIND_OF_PAGE: dict[AccessPage, AccessKind] = {
    AccessPage.ORGANIZATION_ADMIN: AccessKind.VIEW,
    AccessPage.USER_ADMIN: AccessKind.VIEW,
    AccessPage.APPLICATION_ADMIN: AccessKind.VIEW,
    AccessPage.DECISION_PAGE: AccessKind.VIEW,
    AccessPage.APPLICATION_PAGE: AccessKind.VIEW,
    AccessPage.REPORT_ADMIN: AccessKind.VIEW,
    AccessPage.EMAIL_ADMIN: AccessKind.VIEW,
    AccessPage.CERTIFICATE: AccessKind.DOWNLOAD,
    AccessPage.EVIDENCE: AccessKind.DOWNLOAD,
    AccessPage.REPORT_ATTACHMENT: AccessKind.DOWNLOAD,
    AccessPage.DASHBOARD_EXPORT: AccessKind.EXPORT,
    AccessPage.ACCESS_LOG_EXPORT: AccessKind.EXPORT,
}


class AccessRecord(models.Model):
    """One staff view, download or export of applicants' personal data."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    # As it was at the time: the account's address may change later.
    actor_email = models.EmailField(_("staff member's e-mail"))
    kind = models.CharField(_("access"), max_length=10, choices=AccessKind.choices)
    page = models.CharField(_("page or file"), max_length=30, choices=AccessPage.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("kind of record")
    )
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("what"), max_length=300)
    path = models.CharField(_("address requested"), max_length=1000)
    ip_address = models.GenericIPAddressField(_("from (IP address)"))

    objects: ClassVar[models.Manager["AccessRecord"]] = AccessRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        ordering = ["-at", "-pk"]
        # Nobody adds, changes or deletes a record by hand: only viewing is a permission.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["at"], name="accessrecord_at"),
            models.Index(fields=["actor", "at"], name="accessrecord_actor_at"),
            models.Index(fields=["content_type", "object_id"], name="accessrecord_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AccessKind.values), name="accessrecord_kind_valid"),
            models.CheckConstraint(condition=models.Q(page__in=AccessPage.values), name="accessrecord_page_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_email} · {self.get_page_display()} · {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AccessLogIsAppendOnly("Access records are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AccessLogIsAppendOnly("Access records are never deleted.")
