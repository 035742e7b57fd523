from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from allocations import capacity, services
from allocations.models import Allocation, AllocationTransition, CapacityPhase, Offering
from applications.admin import HistoryInline


class CapacityPhaseFormSet(forms.BaseInlineFormSet):
    def final_phases(self) -> list[tuple]:
        return [
            (
                f.cleaned_data["starts_on"],
                f.cleaned_data["units"],
                f.cleaned_data.get("is_modelled", False),
                f.cleaned_data.get("note", ""),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("starts_on") is not None
        ]

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        phases = self.final_phases()
        conflicts = capacity.phase_conflicts(self.instance.pk, [(start, units) for start, units, *_ in phases])
        if conflicts:
            raise ValidationError(services.phase_conflict_message(self.instance, conflicts))


class CapacityPhaseInline(admin.TabularInline):
    model = CapacityPhase
    formset = CapacityPhaseFormSet
    extra = 1
    fields = ["starts_on", "units", "is_modelled", "note"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "unit_tflops"]
    list_filter = ["kind", "unit"]
    search_fields = ["name"]
    inlines = [CapacityPhaseInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CapacityPhase:
            return super().save_formset(request, form, formset, change)
        # Phases change through the engine, in an order the ledger's CHECK accepts.
        try:
            services.capacity_phases_set(offering=form.instance, phases=formset.final_phases())
        except services.PhaseConflictError as error:
            messages.error(request, str(error))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class AllocationTransitionInline(HistoryInline):
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
            services.allocation_release(
                actor=request.user,
                allocation=allocation,
                to_state=Allocation.State.REVOKED,
                reason=_("Revoked by an operator."),
            )
            self.message_user(request, _("%(allocation)s revoked.") % {"allocation": allocation}, messages.SUCCESS)
