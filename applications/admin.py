"""Organisations and invitations in the admin. The reviewer's queue of applications and the
calls' admin are the reviewer's workbench (``review.admin``)."""

from django.contrib import admin

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from applications.models import Invitation, Membership, Organization
from portal import data_version


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(RecordsChangePageViews, admin.ModelAdmin):
    access_page = AccessPage.ORGANIZATION_ADMIN  # its identity and its members' e-mail addresses
    list_display = ["legal_name", "registration_number", "org_type", "region", "industry", "employees"]
    list_filter = ["org_type", "region", "industry"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        data_version.changed()  # its region and industry are on the dashboards


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]
    search_fields = ["email", "organization__legal_name"]
