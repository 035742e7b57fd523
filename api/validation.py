"""The site's forms check the API's input too: one rule, one place.

A serializer types the request (and the schema); the form of the site's page that takes the same
input (``OrganizationForm``, the draft's ``ItemForm`` rows, ``ClaimForm``, ``EvidenceField``,
``ChangeRequestForm``, ``ReportForm``) then applies the portal's rules to it, and its errors
become the problem's ``errors``, keyed by field.
"""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    """A bound form's errors, keyed by field (the form's own under ``non_field_errors``)."""
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


def cleaned(form: forms.BaseForm) -> dict[str, Any]:
    """The form's cleaned data, or a 400 with its errors."""
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return form.cleaned_data


def as_form_value(value: Any) -> Any:
    """A JSON value as a posted form would carry it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def as_form_data(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}{name}": as_form_value(value) for name, value in values.items() if value is not None}
