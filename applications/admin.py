from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    Invitation,
    Membership,
    Organization,
    PriorityClaim,
)


class CallOfferingInline(admin.TabularInline):
    model = CallOffering
    extra = 1
    autocomplete_fields = ["offering"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "opens_at",
        "deadline",
        "service_starts_on",
        "service_ends_on",
        "selection_target",
        "is_pilot",
    ]
    list_filter = ["is_pilot"]
    search_fields = ["title"]
    date_hierarchy = "deadline"
    inlines = [CallOfferingInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "registration_number", "org_type", "region", "industry", "employees"]
    list_filter = ["org_type", "region", "industry"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]
    search_fields = ["email", "organization__legal_name"]


class ApplicationItemInline(admin.TabularInline):
    model = ApplicationItem
    extra = 0
    can_delete = False
    readonly_fields = ["offering", "quantity", "starts_on", "ends_on"]

    def has_add_permission(self, request, obj=None):
        return False


class PriorityClaimInline(admin.TabularInline):
    model = PriorityClaim
    extra = 0
    can_delete = False
    fields = ["kind", "details", "relocation_target", "relocation_planned_on", "verification"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ApplicationTransitionInline(admin.TabularInline):
    model = ApplicationTransition
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the allocation engine's services (reviewer workbench)."""

    list_display = ["__str__", "status", "purpose", "submitted_at"]
    list_filter = ["call", "status", "purpose"]
    list_select_related = ["organization", "call"]
    search_fields = ["organization__legal_name", "organization__registration_number", "project_title"]
    readonly_fields = [
        "organization",
        "call",
        "status",
        "purpose",
        "project_title",
        "summary",
        "plan",
        "expected_outcome",
        "industry_domain",
        "certificate",
        "created_by",
        "created_at",
        "submitted_at",
    ]
    inlines = [ApplicationItemInline, PriorityClaimInline, ApplicationTransitionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("business registration certificate"))
    def certificate(self, obj: Application):
        # Uploads have no public URL: link to the download view, which checks the viewer's rights.
        if not obj.business_certificate:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("application_certificate", args=[obj.pk]), _("Download"))
