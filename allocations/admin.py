from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allocations.models import Allocation, AllocationTransition
from allocations.services.release import allocation_release
from portal.admin_readonly import ReadOnlyInline
from portal.errors import DomainError


class AllocationTransitionInline(ReadOnlyInline):
    model = AllocationTransition
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]
    verbose_name_plural = _("history")


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    """Read-only: allocations change only through the engine (approve, provision, release)."""

    list_display = ["__str__", "organization", "state", "starts_on", "ends_on", "external_ref"]
    list_filter = ["state", "offering"]
    list_select_related = ["organization", "offering"]
    search_fields = ["organization__legal_name", "external_ref"]
    readonly_fields = [
        "organization",
        "application_item",
        "offering",
        "quantity",
        "starts_on",
        "ends_on",
        "state",
        "external_ref",
        "attempts",
        "last_error",
        "created_at",
        "state_changed_at",
    ]
    inlines = [AllocationTransitionInline]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected allocations (return their capacity)"), permissions=["change"])
    def revoke(self, request, queryset):
        for allocation in queryset:
            try:
                allocation_release(
                    actor=request.user,
                    allocation=allocation,
                    to_state=Allocation.State.REVOKED,
                    reason=gettext("Revoked by an operator."),
                )
            except DomainError as error:
                self.message_user(request, f"{allocation}: {error}", messages.ERROR)
            else:
                self.message_user(request, _("%(allocation)s revoked.") % {"allocation": allocation}, messages.SUCCESS)
