from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aftercare.models import ChangeRequest
from applications.models import ClaimKind, PriorityClaim


class ClaimKindFilter(admin.SimpleListFilter):
    title = _("claim")
    parameter_name = "claim_kind"

    def lookups(self, request, model_admin):
        return ClaimKind.choices

    def queryset(self, request, queryset):
        if self.value() not in ClaimKind.values:
            return queryset
        # A subquery, not a join: a join would repeat an application with several such claims.
        return queryset.filter(pk__in=PriorityClaim.objects.filter(kind=self.value()).values("application_id"))


class OverdueReportsFilter(admin.SimpleListFilter):
    title = _("overdue reports from earlier calls")
    parameter_name = "overdue_reports"

    def lookups(self, request, model_admin):
        return [("yes", _("Some")), ("no", _("None"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_reports__gt=0)
        if self.value() == "no":
            return queryset.filter(overdue_reports=0)
        return queryset


class ChangeRequestStatusFilter(admin.SimpleListFilter):
    """Awaiting a decision by default: that is the queue."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ChangeRequest.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or ChangeRequest.Status.SUBMITTED) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or ChangeRequest.Status.SUBMITTED
        if value == "all":
            return queryset
        if value in ChangeRequest.Status.values:
            return queryset.filter(status=value)
        return queryset
