from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pool import capacity, services
from pool.models import CapacityChange, CapacityPhase, Offering
from portal import data_version


class CapacityPhaseFormSet(forms.BaseInlineFormSet):
    def final_phases(self) -> list[services.PhaseInput]:
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


class PhasesRefused(Exception):
    """The service refused the phases the form had accepted: a grant took the capacity between
    the form's check and the write. Raised out of the admin's transaction, so nothing of the
    save stands (the offering's other fields neither)."""


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
    readonly_fields = ["capacity_history"]

    @admin.display(description=_("capacity history"))
    def capacity_history(self, obj: Offering) -> str:
        changes = CapacityChange.objects.filter(offering=obj).select_related("actor") if obj.pk else []
        return render_to_string("admin/includes/changes.html", {"changes": list(changes)})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        data_version.changed()  # its name and performance are on the dashboards

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PhasesRefused as refused:
            # The admin's transaction has rolled back: one message, and the page as it stands.
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        if formset.model is not CapacityPhase:
            return super().save_formset(request, form, formset, change)
        # Phases change through the pool's service, in an order the ledger's CHECK accepts. The
        # form checked them a moment ago, unlocked; the service checks again on the locked rows.
        try:
            services.capacity_phases_set(actor=request.user, offering=form.instance, phases=formset.final_phases())
        except services.PhaseConflictError as error:
            raise PhasesRefused(str(error)) from error
        except IntegrityError as error:  # the ledger's CHECK has the last word
            raise PhasesRefused(gettext("The capacity changed meanwhile; check the phases and save again.")) from error
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
