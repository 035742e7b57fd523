from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import Scope

LIFETIMES = [
    (30, _("30 days")),
    (90, _("90 days")),
    (180, _("180 days")),
    (365, _("one year")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “quarterly application script”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text=_(
            "Read: see calls, your organisations and applications. Write: change them (drafts, "
            "submissions, requests). Staff: the staff endpoints, for staff with a second factor."
        ),
    )
    lifetime = forms.TypedChoiceField(label=_("Expires after"), choices=LIFETIMES, coerce=int, initial=90)

    def __init__(self, *args, allowed: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)
        scopes.choices = [(value, label) for value, label in Scope.choices if value in allowed]

    def clean(self):
        cleaned = super().clean() or {}
        if Scope.STAFF in cleaned.get("scopes", ()) and cleaned.get("lifetime", 0) > 30:
            self.add_error("lifetime", _("A token with the staff scope lives at most 30 days."))
        return cleaned

    def expires_at(self):
        return timezone.now() + timedelta(days=self.cleaned_data["lifetime"])
