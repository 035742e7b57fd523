from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from metering.models import UsageRecord
from portal.admin_readonly import ViewOnlyAdmin


@admin.register(UsageRecord)
class UsageRecordAdmin(ViewOnlyAdmin):
    """What the usage sources reported, per allocation, day and source. Read-only: written by the
    collection (metering.services), corrected by collecting the day again."""

    list_display = ["day", "allocation", "organization", "offering", "source", "used", "collected_at"]
    list_filter = ["source", "allocation__offering"]
    list_select_related = ["allocation__organization", "allocation__offering"]
    search_fields = ["=allocation__id", "allocation__organization__legal_name"]
    date_hierarchy = "day"
    show_full_result_count = False
    fields = readonly_fields = ("allocation", "day", "source", "used", "collected_at")

    @admin.display(description=_("organisation"), ordering="allocation__organization__legal_name")
    def organization(self, obj: UsageRecord) -> str:
        return obj.allocation.organization.legal_name

    @admin.display(description=_("offering"))
    def offering(self, obj: UsageRecord) -> str:
        return obj.allocation.offering.name
