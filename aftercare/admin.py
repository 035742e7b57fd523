"""Reports and the satisfaction survey in the admin, view-only. The queue of change requests is
the reviewer's workbench (``review.admin``)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from aftercare import selectors
from aftercare.models import Report, SurveyInvitation, SurveyResponse
from portal.admin_readonly import ViewOnlyAdmin

# --- Reports ------------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = selectors.overdue_reports().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


@admin.register(Report)
class ReportAdmin(RecordsChangePageViews, ViewOnlyAdmin):
    access_page = AccessPage.REPORT_ADMIN  # what the organisation did, who filed it
    list_display = ["organization", "call", "kind", "due_on", "state", "submitted_at"]
    list_filter = [OverdueFilter, "kind", "status", "application__call"]
    list_select_related = ["organization", "application__call"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    ordering = ["due_on", "pk"]
    show_full_result_count = False
    fields = readonly_fields = (
        "organization",
        "application",
        "kind",
        "status",
        "period_starts_on",
        "period_ends_on",
        "requested_on",
        "due_on",
        "work_done",
        "outcomes",
        "publications",
        "attachment_link",
        "submitted_by",
        "submitted_at",
    )

    @admin.display(description=_("call"), ordering="application__call__title")
    def call(self, obj: Report) -> str:
        return obj.application.call.title

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj: Report) -> str:
        if obj.is_overdue():
            return format_html('<strong class="overdue-reports">{}</strong>', gettext("Overdue"))
        return obj.get_status_display()

    @admin.display(description=_("attachment"))
    def attachment_link(self, obj: Report):
        if not obj.attachment:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("report_attachment", args=[obj.pk]), gettext("Download"))


# --- The satisfaction survey --------------------------------------------------------------------


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ViewOnlyAdmin):
    list_display = ["organization", "call", "occasion", "invited_at", "reminded_at", "answered"]
    list_filter = ["call", "occasion"]
    list_select_related = ["organization", "call", "response"]
    search_fields = ["organization__legal_name"]
    show_full_result_count = False

    @admin.display(description=_("answered"), boolean=True)
    def answered(self, obj: SurveyInvitation) -> bool:
        return hasattr(obj, "response")


class HasCommentsFilter(admin.SimpleListFilter):
    title = _("comments")
    parameter_name = "comments"

    def lookups(self, request, model_admin):
        return [("yes", _("With comments")), ("no", _("Without comments"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comments="")
        if self.value() == "no":
            return queryset.filter(comments="")
        return queryset


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ViewOnlyAdmin):
    """The answers, free text first: what operators read to improve the service."""

    list_display = [
        "submitted_at",
        "organization",
        "call",
        "comment_excerpt",
        "rating_compute",
        "rating_dev_env",
        "rating_data_saas",
        "rating_support",
    ]
    list_filter = [HasCommentsFilter, "call"]
    list_select_related = ["organization", "call"]
    search_fields = ["comments", "organization__legal_name"]
    search_help_text = _("Words in the comments, or the organisation's name.")
    ordering = ["-submitted_at", "-pk"]
    show_full_result_count = False
    fields = readonly_fields = (
        "organization",
        "call",
        "application",
        "rating_compute",
        "rating_dev_env",
        "rating_data_saas",
        "rating_support",
        "comments",
        "submitted_by",
        "submitted_at",
    )

    @admin.display(description=_("comments"))
    def comment_excerpt(self, obj: SurveyResponse) -> str:
        return Truncator(obj.comments).chars(200) or "—"
