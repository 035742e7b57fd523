"""Organisations and invitations in the admin. The reviewer's queue of applications and the
calls' admin are the reviewer's workbench (``review.admin``)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.models import AccessPage
from applications import services
from applications.forms import ORGANIZATION_FIELDS
from applications.models import Invitation, Membership, Organization, OrganizationIdentityChange
from portal import data_version
from portal.admin_readonly import ReadOnlyInline


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class IdentityChangeInline(ReadOnlyInline):
    model = OrganizationIdentityChange
    fields = ["created_at", "actor", "before", "after", "reason"]
    verbose_name_plural = _("identity changes")


class OrganizationAdminForm(forms.ModelForm):
    identity_change_reason = forms.CharField(
        label=_("reason for an identity change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed when the legal name, registration number or type changes (e.g. the certificate checked, "
            "a dispute settled). Recorded with the change."
        ),
    )

    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS

    def clean(self):
        cleaned = super().clean() or {}
        changed = set(self.changed_data) & set(Organization.IDENTITY_FIELDS)
        if self.instance.pk and changed and not cleaned.get("identity_change_reason", "").strip():
            self.add_error("identity_change_reason", _("Say why the organisation's identity is changed."))
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(RecordsChangePageViews, admin.ModelAdmin):
    access_page = AccessPage.ORGANIZATION_ADMIN  # its identity and its members' e-mail addresses
    list_display = ["legal_name", "registration_number", "org_type", "region", "industry", "employees"]
    list_filter = ["org_type", "region", "industry"]
    search_fields = ["legal_name", "registration_number"]
    form = OrganizationAdminForm
    inlines = [MembershipInline, IdentityChangeInline]

    def get_fields(self, request, obj=None):
        # The reason is asked of those who may change the organisation; on a read-only page it
        # would show as an English label over "None".
        fields = super().get_fields(request, obj)
        if not self.has_change_permission(request, obj):
            fields = [name for name in fields if name != "identity_change_reason"]
        return fields

    def save_model(self, request, obj, form, change):
        # Staff may change an organisation's identity after a decision (the owners may not):
        # the service records who changed it, from what to what, and why.
        if not change:
            super().save_model(request, obj, form, change)
            data_version.changed()  # its region and industry are on the dashboards
            return
        model_fields = {field.name for field in Organization._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in model_fields]
        if changed:
            services.organization_correct_identity(
                actor=request.user,
                organization=obj,
                fields={name: getattr(obj, name) for name in changed},
                reason=form.cleaned_data.get("identity_change_reason", ""),
            )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organization", "invited_by"]
    # The token is not shown: it lets whoever holds it join the organisation.
    readonly_fields = ["accepted_at", "accepted_by"]
    search_fields = ["email", "organization__legal_name"]
