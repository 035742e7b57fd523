from allauth.account import forms as allauth_forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import User


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, whose failure ("the e-mail address and/or password are not correct",
    an error of the whole form) is also told on its fields: both are marked invalid and described
    by the error (templates/bootstrap5/errors.html gives it the id ``form-errors``), so a screen
    reader on the password field hears why it is invalid."""

    ERRORS_ID = "form-errors"

    def full_clean(self) -> None:
        super().full_clean()
        if not self.non_field_errors():
            return
        for name in ("login", "password"):
            if name not in self.fields:
                continue
            bound = self[name]
            described_by = [self.ERRORS_ID]
            if bound.help_text:
                described_by.append(f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described_by)})
