from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Call
from dashboard.selectors.calls import default_call, default_period
from dashboard.selectors.capacity import MAX_RANGE_DAYS


class DashboardFilterForm(forms.Form):
    """Which call the call sections show and which days the capacity charts cover.

    Bound to the query string; the calls are given (already fetched once for the page), so the
    form costs no query of its own.
    """

    call = forms.TypedChoiceField(label=_("Call"), coerce=int, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, calls: list[Call], today: date | None = None):
        super().__init__(data)
        self.calls = {call.pk: call for call in calls}
        self.today = today or timezone.localdate()
        cast(forms.ChoiceField, self.fields["call"]).choices = [("", _("All calls"))] + [
            (call.pk, call.title) for call in calls
        ]
        self._default_call = default_call(calls)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default_start, default_end = default_period(self.selected_call, self.today)
        start = cleaned.get("start") or default_start
        end = cleaned.get("end") or default_end
        if start > end:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("The period can cover at most %(days)s days.") % {"days": f"{MAX_RANGE_DAYS:,}"}
            )
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    @property
    def selected_call(self) -> Call | None:
        """The chosen call; the default one when the field was left out (not when "all" was chosen)."""
        if not self.is_bound or "call" not in self.data:
            return self._default_call
        value = self.cleaned_data.get("call") if hasattr(self, "cleaned_data") else None
        return self.calls.get(value) if value else None

    def period(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period(self.selected_call, self.today)


class AccessLogPeriodForm(forms.Form):
    """The days of the personal-data access log to export for an audit (both included)."""

    start = forms.DateField(label=_("From"))
    end = forms.DateField(label=_("Until"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        return cleaned
