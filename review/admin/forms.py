from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftercare.models import ChangeRequest
from applications.models import ApplicationItem


class DecisionForm(forms.Form):
    """The granted quantity of each requested item, and the reviewer's reason."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required for a partial approval and a rejection; the applicant is told it."),
    )

    def __init__(self, *args, items: list[ApplicationItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[self.grant_name(item)] = forms.IntegerField(
                label=item.offering.name,
                min_value=0,
                max_value=item.quantity,
                initial=item.quantity,
                widget=forms.NumberInput(
                    attrs={"aria-label": gettext("Units of %(offering)s to grant") % {"offering": item.offering.name}}
                ),
            )

    @staticmethod
    def grant_name(item: ApplicationItem) -> str:
        return f"grant_{item.pk}"

    def grants(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data[self.grant_name(item)] for item in self.items}

    def grant_shown(self, item: ApplicationItem) -> int:
        """The quantity the capacity preview assumes: what was entered, else what was requested."""
        try:
            return int(str(self.data.get(self.grant_name(item)) or item.quantity)) if self.is_bound else item.quantity
        except (TypeError, ValueError):
            return item.quantity


class ChangeDecisionForm(forms.Form):
    """What to grant of a change request (defaults: what was asked) and the reviewer's reason."""

    ends_on = forms.DateField(
        label=_("Grant until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    units = forms.IntegerField(label=_("Units to add"), required=False, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required to grant less than asked and to reject; the organisation is told it."),
    )

    def __init__(self, *args, change_request: ChangeRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.change_request = change_request
        if change_request.kind == ChangeRequest.Kind.EXTENSION:
            del self.fields["units"]
            self.fields["ends_on"].initial = change_request.requested_ends_on
        else:
            del self.fields["ends_on"]
            self.fields["units"].initial = change_request.requested_units
            cast(forms.IntegerField, self.fields["units"]).max_value = change_request.requested_units
            self.fields["units"].widget.attrs["max"] = change_request.requested_units

    def shown(self) -> dict[str, Any]:
        """The grant the capacity preview assumes: what was entered, else what was requested."""
        if not self.is_bound:
            return {}
        field = "ends_on" if "ends_on" in self.fields else "units"
        raw = str(self.data.get(field) or "")
        if not raw:
            return {}
        try:
            value = forms.DateField().to_python(raw) if field == "ends_on" else int(raw)
        except (TypeError, ValueError, forms.ValidationError):
            return {}
        return {field: value} if value else {}


class ConflictForm(forms.Form):
    conflict_note = forms.CharField(required=False, max_length=2000)


class ClaimReviewForm(forms.Form):
    """The verdict is checked by ``services.claim_review``; the form keeps out what no text
    column takes (NUL characters) and what no note needs (more than 2,000 characters)."""

    verdict = forms.CharField(required=False, max_length=20)
    note = forms.CharField(required=False, max_length=2000)


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


def form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
