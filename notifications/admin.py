from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from notifications import services
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(RecordsChangePageViews, admin.ModelAdmin):
    """The e-mail log. Read-only: e-mails are recorded by the services that send them; a failed
    one can be queued again. An e-mail's page (its recipient and text) is recorded in the
    personal-data access log."""

    access_page = AccessPage.EMAIL_ADMIN

    list_display = ["created_at", "recipient", "kind", "subject", "language", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "language"]
    list_select_related = ["user", "organization"]
    search_fields = ["recipient", "subject", "organization__legal_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = readonly_fields = (
        "kind",
        "state",
        "recipient",
        "user",
        "organization",
        "language",
        "subject",
        "secret",
        "message",
        "site_link",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    )
    actions = ["retry"]

    @admin.display(description=_("message"))
    def message(self, obj: Notification) -> str:
        # A secret e-mail's link is a credential (a password reset, an invitation): the log says
        # that one was sent, never which, even before delivery drops the body.
        if obj.secret:
            return gettext("(not shown: it carries a personal link)")
        return obj.body

    @admin.display(description=_("link"))
    def site_link(self, obj: Notification) -> str:
        if obj.secret:
            return gettext("(not shown: it carries a personal link)")
        return obj.link

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Queue the selected failed e-mails again"), permissions=["change"])
    def retry(self, request, queryset):
        for notification in queryset:
            retried = services.notification_retry(actor=request.user, notification=notification)
            if retried.state == Notification.State.QUEUED:
                self.message_user(
                    request, gettext("%(notification)s queued again.") % {"notification": retried}, messages.SUCCESS
                )
            else:
                self.message_user(
                    request,
                    gettext(
                        "%(notification)s was not queued again: only a failed e-mail without a personal link can be."
                    )
                    % {"notification": retried},
                    messages.WARNING,
                )
