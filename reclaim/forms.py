from django import forms
from django.utils.translation import gettext_lazy as _

from reclaim.models import ReclaimAnswerKind


class AnswerForm(forms.Form):
    """The organisation's answer to a reclaim warning."""

    kind = forms.ChoiceField(label=_("Your answer"), choices=ReclaimAnswerKind.choices, widget=forms.RadioSelect)
    answer = forms.CharField(
        label=_("Explanation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Why the resources were used little, how and when you will use them, or why the allocation "
            "should be exempted (for example a planned run that needs the whole allocation)."
        ),
    )
