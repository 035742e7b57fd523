from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import EvidenceField
from evaluation.models import Objection
from evaluation.services.declarations import DECLARABLE
from evaluation.services.objections import REASON_LIMIT as OBJECTION_REASON_LIMIT
from evaluation.services.scoring import REASON_LIMIT, ScoreInput
from evaluation.site_selectors import RubricLine


class PledgeForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the confidentiality pledge and accept it."),
        error_messages={"required": _("Tick the box to accept the pledge.")},
    )


class ScoringForm(forms.Form):
    """A score and a reason per criterion of the stage's rubric. The bounds are checked here for
    a friendly message and again by the service (``services.scoring``), which has the last word;
    the form lets a draft leave any of them empty."""

    def __init__(self, *args: Any, lines: list[RubricLine], scale: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            criterion = line.criterion
            self.fields[f"score_{criterion.pk}"] = forms.DecimalField(
                label=_("Score"),
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(scale),
                max_digits=5,
                decimal_places=2,
                initial=line.score.value if line.score else None,
                widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": scale, "class": "score-input"}),
            )
            self.fields[f"reason_{criterion.pk}"] = forms.CharField(
                label=_("Reason"),
                required=False,
                max_length=REASON_LIMIT,
                initial=line.score.reason if line.score else "",
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def rows(self) -> list[tuple[RubricLine, forms.BoundField, forms.BoundField]]:
        return [(line, self[f"score_{line.criterion.pk}"], self[f"reason_{line.criterion.pk}"]) for line in self.lines]

    def scores(self) -> dict[int, ScoreInput]:
        return {
            line.criterion.pk: ScoreInput(
                value=self.cleaned_data.get(f"score_{line.criterion.pk}"),
                reason=self.cleaned_data.get(f"reason_{line.criterion.pk}") or "",
            )
            for line in self.lines
        }

    def show_problems(self, problems: dict[tuple[int, str], str]) -> None:
        """The service's problems (criterion id, "score" or "reason") on their fields."""
        for (criterion_id, part), problem in problems.items():
            if (name := f"{part}_{criterion_id}") in self.fields:
                self.add_error(name, problem)


class ConflictForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in DECLARABLE],
        widget=forms.RadioSelect,
        help_text=_(
            "Exclusion (제척): a rule excludes you, e.g. you work for the applicant. "
            "Recusal (회피): you step aside because your fairness could be doubted."
        ),
    )
    reason = forms.CharField(
        label=_("What is the conflict of interest?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why do you decline?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=Objection._meta.get_field("reason").verbose_name,
        max_length=OBJECTION_REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What in the evaluation you object to, and why: the criteria, the scores or the comments concerned."
        ),
    )
    attachment = EvidenceField(label=_("Attachment (optional)"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class InvitationForm(forms.Form):
    """The reviewer's invitation of an evaluator (admin)."""

    email = forms.EmailField(label=_("E-mail address"))
    name = forms.CharField(label=_("Name"), max_length=100)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=200, required=False)
