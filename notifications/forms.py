from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Send me e-mails in"),
        choices=settings.LANGUAGES,
        help_text=_("Switching the site's language changes it too."),
    )
