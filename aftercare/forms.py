from decimal import Decimal
from typing import Any, cast

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from aftercare import schedule
from aftercare.models import ChangeRequest, Report, SurveyResponse
from aftercare.selectors import ReportUsage
from allocations.models import Allocation
from applications.forms import EvidenceField
from portal import formats


class ChangeRequestForm(forms.Form):
    """Ask for a later end date or more units; the fields the other kind needs are ignored."""

    kind = forms.ChoiceField(label=_("What do you need?"), choices=ChangeRequest.Kind.choices, widget=forms.RadioSelect)
    ends_on = forms.DateField(
        label=_("New end date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For an extension: the last day you need the resource."),
    )
    units = forms.IntegerField(
        label=_("Additional units"), required=False, min_value=1, help_text=_("For a supplement: how many more units.")
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why the project needs it: progress so far, what remains, what the extra time or units allow."),
    )

    def __init__(self, *args, allocation: Allocation, supplement_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.allocation = allocation
        self.supplement_limit = supplement_limit
        self.latest_end = allocation.ends_on + schedule.MAX_EXTENSION
        self.fields["ends_on"].widget.attrs.update(
            {"min": allocation.ends_on.isoformat(), "max": self.latest_end.isoformat()}
        )
        cast(forms.IntegerField, self.fields["units"]).max_value = supplement_limit
        self.fields["units"].widget.attrs["max"] = supplement_limit
        self.fields["units"].validators.append(MaxValueValidator(supplement_limit))
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == ChangeRequest.Kind.EXTENSION:
            ends_on = cleaned.get("ends_on")
            if ends_on is None and "ends_on" not in self.errors:
                self.add_error("ends_on", _("Choose the new end date."))
            elif ends_on is not None and ends_on <= self.allocation.ends_on:
                self.add_error(
                    "ends_on",
                    _("Choose a date after the current end (%(end)s).") % {"end": formats.day(self.allocation.ends_on)},
                )
            elif ends_on is not None and ends_on > self.latest_end:
                self.add_error(
                    "ends_on",
                    _("An extension reaches at most %(end)s (a year past the current end).")
                    % {"end": formats.day(self.latest_end)},
                )
        elif kind == ChangeRequest.Kind.SUPPLEMENT and cleaned.get("units") is None and "units" not in self.errors:
            self.add_error("units", _("Say how many more units you need."))
        return cleaned


REPORT_TEXT_LIMIT = 10_000


class ReportForm(forms.Form):
    work_done = forms.CharField(
        label=Report._meta.get_field("work_done").verbose_name,
        max_length=REPORT_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The work the resources served, and how far it got."),
    )
    outcomes = forms.CharField(
        label=Report._meta.get_field("outcomes").verbose_name,
        max_length=REPORT_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Results: models and their accuracy, services launched, customers, revenue, jobs."),
    )
    publications = forms.CharField(
        label=Report._meta.get_field("publications").verbose_name,
        max_length=REPORT_TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=Report._meta.get_field("publications").help_text,
    )
    attachment = EvidenceField(label=_("Attachment (optional)"))


def _whole_if_whole(value: Decimal | None) -> Decimal:
    """3.0 as 3, 2.5 as it is."""
    value = value or Decimal(0)
    return value if value % 1 else value.quantize(Decimal(1))


def usage_summary(usage: list[ReportUsage], report: Report) -> str:
    """The usage of the report's award as text the applicant may keep, edit or delete in the
    report: one line per resource, in the active language."""
    if not usage:
        return ""
    period = formats.period(report.period_starts_on, report.period_ends_on)
    lines = [_("Resources used (%(period)s):") % {"period": period}]
    for row in usage:
        offering = row.allocation.offering
        if row.rate is None:
            continue
        lines.append(
            _("- %(offering)s: on an average day %(used)s of %(granted)s %(unit)s in use (usage rate %(rate)s%%)")
            % {
                "offering": offering.name,
                "used": formats.figure(_whole_if_whole(row.units_in_use)),
                "granted": formats.figure(row.allocation.quantity),
                "unit": offering.get_unit_display(),
                "rate": formats.figure(_whole_if_whole(row.rate)),
            }
        )
    return "\n".join(str(line) for line in lines) + "\n\n" if len(lines) > 1 else ""


# "0": the organisation did not use this area (stored as no rating).
RATING_CHOICES = [
    ("5", _("5 — excellent")),
    ("4", "4"),
    ("3", "3"),
    ("2", "2"),
    ("1", _("1 — poor")),
    ("0", _("did not use")),
]


class SurveyForm(forms.Form):
    """One rating per area (1–5, or not used) and free text for the operator."""

    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What worked, what did not, what you would like next time. The operator reads every answer."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ratings = {}
        for name, question in SurveyResponse.QUESTIONS:
            ratings[name] = forms.TypedChoiceField(
                label=question, choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
            )
        # The ratings first, then the comments.
        self.fields = {**ratings, "comments": self.fields["comments"]}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *(InlineRadios(name, css_class="rating-scale") for name in ratings),
            "comments",
        )

    def ratings(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) or None for name, _question in SurveyResponse.QUESTIONS}
