from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy import services
from privacy.documents import ConsentItem


class SignupConsentsForm(forms.Form):
    """The consents of the sign-up form (ACCOUNT_SIGNUP_FORM_CLASS: allauth's sign-up form is built
    on it): the terms and the required collection of personal data, each agreed to separately, and
    the optional collection of a name, which may be refused without losing anything else."""

    agree_terms = forms.BooleanField(
        label=_("I agree to the terms of use (required)"),
        error_messages={"required": _("Agree to the terms of use to sign up.")},
    )
    agree_privacy = forms.BooleanField(
        label=_("I agree to the collection and use of my personal data as described above (required)"),
        error_messages={"required": _("Agree to the collection and use of your personal data to sign up.")},
    )
    agree_name = forms.BooleanField(
        label=_("I agree to the collection and use of my name as described above (optional)"), required=False
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=150, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("name", "").strip() and not cleaned.get("agree_name"):
            self.add_error("name", _("To give your name, agree to its collection (the optional item above)."))
        return cleaned

    def signup(self, request, user) -> None:
        """Called by allauth once the account is saved: the answers are recorded with their versions."""
        agreed_name = bool(self.cleaned_data.get("agree_name"))
        services.consents_record(
            user=user,
            answers={
                ConsentItem.TERMS: bool(self.cleaned_data.get("agree_terms")),
                ConsentItem.PRIVACY_REQUIRED: bool(self.cleaned_data.get("agree_privacy")),
                ConsentItem.PRIVACY_OPTIONAL_NAME: agreed_name,
            },
        )
        if agreed_name and (name := self.cleaned_data.get("name", "").strip()):
            user.first_name = name
            user.save(update_fields=["first_name"])


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for its password again (re-authentication) and a confirmation."""

    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted and cannot be restored"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password


class NameConsentForm(forms.Form):
    """The optional consent given on the consents page, with the name it is given for."""

    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Give your name to agree to its collection.")},
    )
