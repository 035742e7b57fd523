import json
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from applications import services
from applications.business_number import normalize_business_number
from applications.models import Application, Organization, PriorityClaim
from applications.regions import Region, region_from_address
from applications.services import ClaimInput, RequestedItem, kept_items
from applications.uploads import MAX_UPLOAD_BYTES, validate_evidence_file
from portal import formats

# The most rows of requested resources one application has (more than any call offers).
MAX_ITEMS = 20

_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class EvidenceField(forms.FileField):
    default_validators = [validate_evidence_file]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("PDF, PNG or JPEG, at most 10 MB."))
        super().__init__(**kwargs)
        # The browser checks the size before sending (static/js/application_form.js), the server again.
        self.widget.attrs.update(
            {
                "accept": _ACCEPT,
                "data-max-bytes": MAX_UPLOAD_BYTES,
                "data-too-large": _(
                    "The file is larger than the limit of 10 MB (%(limit)s bytes): it has %(size)s bytes."
                ),
            }
        )


# What an organisation's profile holds, on the site and in the admin.
ORGANIZATION_FIELDS = [
    "legal_name",
    "org_type",
    "registration_number",
    "region",
    "address",
    "industry",
    "employees",
    "website",
    "listed_publicly",
]


class OrganizationForm(forms.ModelForm):
    registration_number = forms.CharField(
        label=_("Business registration number"),
        max_length=12,
        help_text=_("10 digits, e.g. 123-45-67890."),
        # In place of Django's generic "이 사업자등록번호(을)를 가진 기관이(가) 이미 존재합니다.": the page
        # offers the next step under it (ask to join, or write to the operator).
        error_messages={"unique": _("An organisation is already registered with this business registration number.")},
    )

    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS
        help_texts = {
            "region": _("Gwangju means 광주광역시; 경기도 광주시 belongs to Gyeonggi-do."),
            "address": _("Start with the province or metropolitan city, e.g. 광주광역시 북구 첨단과기로 123."),
        }

    def __init__(self, *args, identity_frozen: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["registration_number"] = self.instance.registration_number_display
        # Shown, not edited: a disabled field keeps its value whatever is posted (the service
        # refuses a change anyway).
        self.identity_frozen = identity_frozen
        if identity_frozen:
            for name in Organization.IDENTITY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed since an application was decided.")

    def clean_registration_number(self) -> str:
        return normalize_business_number(self.cleaned_data["registration_number"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        region, address = cleaned.get("region"), cleaned.get("address")
        named = region_from_address(address or "")
        if region and named and named != region:
            self.add_error(
                "address",
                _("The address is in %(named)s, but the region chosen is %(region)s.")
                % {"named": Region(named).label, "region": Region(region).label},
            )
        return cleaned


class ApplyForm(forms.Form):
    """Which of the user's organisations applies; any other id is simply not a choice."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none())

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations


class JoinRequestForm(forms.Form):
    registration_number = forms.CharField(
        label=_("Business registration number"), max_length=12, help_text=_("10 digits, e.g. 123-45-67890.")
    )
    message = forms.CharField(
        label=_("Message to the owner (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say who you are and why you join, so that the owner recognises you."),
    )

    def clean_registration_number(self) -> str:
        return normalize_business_number(self.cleaned_data["registration_number"])

    def clean_message(self) -> str:
        # The message is mailed to the owners from the portal's address: no links in it (it would
        # make the portal a sender of anyone's phishing), and on one line.
        message = " ".join(self.cleaned_data["message"].split())
        if services.message_has_link(message):
            raise ValidationError(_("Leave links out of the message; say who you are in words."))
        return message


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the new member"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000)


REQUIRED_TO_SUBMIT = _("(required to submit)")


def _mark_required_to_submit(field: forms.Field) -> None:
    """A draft may leave it empty, the submission may not: said in the label, as the national
    portals do, since the browser's ``required`` would refuse the draft too."""
    field.label = format_lazy("{} {}", field.label, REQUIRED_TO_SUBMIT)


class ApplicationForm(forms.ModelForm):
    """The project step: what the project is. Every field but the consent is needed to submit."""

    class Meta:
        model = Application
        fields = [
            "purpose",
            "project_title",
            "title_listed_publicly",
            "summary",
            "plan",
            "expected_outcome",
            "industry_domain",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 6}),
            "expected_outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields:
            if name != "title_listed_publicly":
                _mark_required_to_submit(self.fields[name])

    def fields_to_save(self) -> dict:
        """The fields that are valid: a draft keeps them even when another field is not."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned[name] for name in self.Meta.fields if name in cleaned and name not in self.errors}


class ItemForm(forms.Form):
    """One requested offering. A row left entirely empty is ignored."""

    # Choices come from the call's prefetched offerings, so a form with many rows costs no queries.
    offering = forms.TypedChoiceField(label=_("Resource"), required=False, coerce=int, empty_value=None)
    # No max_value: the call's maximum, with its unit, is the bound that matters (clean).
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    starts_on = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        call_offerings = list(call.call_offerings.all())
        self.limits = {co.offering_id: co.max_per_application for co in call_offerings}
        self.offerings = {co.offering_id: co.offering for co in call_offerings}
        offering_field = cast(forms.ChoiceField, self.fields["offering"])
        offering_field.choices = [("", _("— Choose a resource —"))] + [
            (co.offering_id, str(co.offering)) for co in call_offerings
        ]
        # What the script shows beside the quantity when another resource is chosen.
        offering_field.widget.attrs["data-limits"] = json.dumps(
            {str(co.offering_id): [co.max_per_application, co.offering.get_unit_display()] for co in call_offerings},
            ensure_ascii=False,
        )
        offering_field.widget.attrs["data-limit-text"] = _("At most %(max)s %(unit)s per application.")
        self.fields["quantity"].widget.attrs.update({"min": 1, "inputmode": "numeric"})
        # Beside the quantity (and in its description): the call's maximum with its unit.
        self.fields["quantity"].help_text = self.limit() or _("Choose a resource to see its maximum.")

    def chosen_offering(self):
        """The resource this row asks for, as posted or saved (for the maximum shown beside it)."""
        value = self["offering"].value()
        try:
            return self.offerings.get(int(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def limit(self) -> str:
        """The call's maximum for the row's resource, with its unit ("" before one is chosen)."""
        offering = self.chosen_offering()
        if offering is None:
            return ""
        return _("At most %(max)s %(unit)s per application.") % {
            "max": formats.figure(self.limits[offering.pk]),
            "unit": offering.get_unit_display(),
        }

    def unit(self) -> str:
        offering = self.chosen_offering()
        return offering.get_unit_display() if offering else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = [cleaned.get(name) for name in ("offering", "quantity", "starts_on", "ends_on")]
        if not any(values) and not self.errors:
            return cleaned
        offering_id, quantity, starts_on, ends_on = values
        offering = cleaned["offering"] = self.offerings.get(offering_id) if offering_id else None
        for name, value in zip(("offering", "quantity", "starts_on", "ends_on"), values, strict=True):
            if value in (None, "") and name not in self.errors:
                self.add_error(name, _("This field is required."))
        if offering and quantity and quantity > self.limits[offering.pk]:
            self.add_error(
                "quantity",
                _("At most %(max)s %(unit)s per application.")
                % {"max": formats.figure(self.limits[offering.pk]), "unit": offering.get_unit_display()},
            )
        if starts_on and ends_on:
            if starts_on > ends_on:
                self.add_error("ends_on", _("The end must not be before the start."))
            if starts_on < self.call.service_starts_on or ends_on > self.call.service_ends_on:
                self.add_error(
                    "starts_on",
                    _("The period must lie within the service period %(start)s – %(end)s.")
                    % {
                        "start": formats.day(self.call.service_starts_on),
                        "end": formats.day(self.call.service_ends_on),
                    },
                )
        return cleaned

    def requested_item(self) -> RequestedItem | None:
        """The row's request; ``None`` for an empty row or one that did not validate."""
        if self.errors:
            return None
        data = self.cleaned_data
        if not data.get("offering"):
            return None
        return RequestedItem(data["offering"], data["quantity"], data["starts_on"], data["ends_on"])


class BaseItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, call, **kwargs):
        self.call = call
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "call": self.call}

    def kept_items(self) -> list[RequestedItem]:
        """The rows a draft saves (services.kept_items); a valid row that is not kept (a resource
        asked for twice) gets its message here."""
        kept, refused = kept_items([form.requested_item() for form in self.forms])
        for index, message in refused.items():
            self.forms[index].add_error("offering", message)
        return kept

    def requested_items(self) -> list[RequestedItem]:
        return [item for form in self.forms if (item := form.requested_item())]


ItemFormSet = forms.formset_factory(
    ItemForm, formset=BaseItemFormSet, extra=0, max_num=MAX_ITEMS, validate_max=True, absolute_max=MAX_ITEMS
)


class ClaimForm(forms.Form):
    """One kind of priority claim: ticked or not, with its details (its evidence is attached on
    the documents step)."""

    claimed = forms.BooleanField(label=_("I claim this"), required=False)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    relocation_target = forms.ChoiceField(
        label=_("What relocates"), required=False, choices=[("", "—"), *PriorityClaim.Relocation.choices]
    )
    relocation_planned_on = forms.DateField(
        label=_("Planned relocation date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args,
        kind: str,
        existing: PriorityClaim | None = None,
        points: int | None = None,
        organization: Organization | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.existing = existing
        self.points = points
        self.organization = organization
        self.title = PriorityClaim.Kind(kind).label
        if kind != PriorityClaim.Kind.RELOCATING:
            del self.fields["relocation_target"]
            del self.fields["relocation_planned_on"]
        else:
            _mark_required_to_submit(self.fields["relocation_target"])
            _mark_required_to_submit(self.fields["relocation_planned_on"])

    def claim_input_to_save(self) -> ClaimInput | None:
        """What a draft saves of this claim: as ticked when the form is valid; as it was when not
        (an invalid claim is neither changed nor removed; the page shows it with its message)."""
        if not self.errors:
            return self.claim_input()
        if self.existing is None:
            return None
        return ClaimInput(
            kind=self.kind,
            details=self.existing.details,
            relocation_target=self.existing.relocation_target,
            relocation_planned_on=self.existing.relocation_planned_on,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The service refuses it too (ClaimRefused); here the message stands by the claim.
        if cleaned.get("claimed") and self.organization is not None:
            problem = services.gwangju_claim_problem(
                organization=self.organization, kind=self.kind, details=cleaned.get("details", "")
            )
            if problem:
                self.add_error("details", problem)
        return cleaned

    def claim_input(self) -> ClaimInput | None:
        data = self.cleaned_data
        if not data.get("claimed"):
            return None
        return ClaimInput(
            kind=self.kind,
            details=data.get("details", ""),
            relocation_target=data.get("relocation_target", ""),
            relocation_planned_on=data.get("relocation_planned_on"),
        )


def claim_forms(application: Application, data=None, points: dict[str, int] | None = None) -> list[ClaimForm]:
    existing = {claim.kind: claim for claim in application.claims.all()}
    forms_ = []
    for kind in PriorityClaim.Kind.values:
        claim = existing.get(kind)
        initial: dict[str, Any] = {"claimed": claim is not None}
        if claim:
            initial.update(
                details=claim.details,
                relocation_target=claim.relocation_target,
                relocation_planned_on=claim.relocation_planned_on,
            )
        forms_.append(
            ClaimForm(
                data,
                prefix=f"claim-{kind}",
                initial=initial,
                kind=kind,
                existing=claim,
                points=(points or {}).get(kind),
                organization=application.organization,
            )
        )
    return forms_


class DocumentsForm(forms.Form):
    """The documents step: the business registration certificate and the evidence of each claim
    the draft has. A file already accepted is kept unless another is chosen."""

    business_certificate = EvidenceField(label=_("Business registration certificate"))

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.claims = list(application.claims.all())
        _mark_required_to_submit(self.fields["business_certificate"])
        for claim in self.claims:
            field = EvidenceField(label=format_lazy("{}: {}", _("Evidence"), claim.get_kind_display()))
            _mark_required_to_submit(field)
            self.fields[f"evidence_{claim.kind}"] = field
        self.refresh_kept()

    def refresh_kept(self) -> None:
        """Name the files the draft has (after a save that kept some of those just sent)."""
        if self.application.business_certificate:
            self._kept(self.fields["business_certificate"], self.application.certificate_display_name)
        for claim in self.claims:
            name = f"evidence_{claim.kind}"
            if claim.evidence and name in self.fields:
                self._kept(self.fields[name], claim.evidence_display_name)
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]  # a BoundField copies its help text when made

    @staticmethod
    def _kept(field: forms.Field, name: str) -> None:
        """A file is attached: say which, and that choosing another replaces it (never asked twice)."""
        field.help_text = format_html(
            "{} {}",
            _("Attached: %(name)s.") % {"name": name},
            _("Choose a file only to replace it. PDF, PNG or JPEG, at most 10 MB."),
        )

    def kept_files(self) -> list[tuple[forms.BoundField, str, str]]:
        """Each file field with the name and download address of the file already kept."""
        from django.urls import reverse

        kept = []
        if self.application.business_certificate:
            kept.append(
                (
                    self["business_certificate"],
                    self.application.certificate_display_name,
                    reverse("application_certificate", args=[self.application.pk]),
                )
            )
        else:
            kept.append((self["business_certificate"], "", ""))
        for claim in self.claims:
            bound = self[f"evidence_{claim.kind}"]
            if claim.evidence:
                kept.append((bound, claim.evidence_display_name, reverse("claim_evidence", args=[claim.pk])))
            else:
                kept.append((bound, "", ""))
        return kept

    def valid_files(self) -> tuple[Any, dict[str, Any]]:
        """The certificate and the evidence (claim kind -> file) that passed their checks: a draft
        keeps each of them even when another file is refused."""
        cleaned = getattr(self, "cleaned_data", {})
        certificate = cleaned.get("business_certificate") if "business_certificate" not in self.errors else None
        evidence = {}
        for claim in self.claims:
            name = f"evidence_{claim.kind}"
            if cleaned.get(name) and name not in self.errors:
                evidence[claim.kind] = cleaned[name]
        return certificate, evidence


def item_formset(application: Application, data: QueryDict | None = None) -> BaseItemFormSet:
    """The resources step's rows: the saved requests, or one empty row to start with."""
    initial = [
        {"offering": item.offering_id, "quantity": item.quantity, "starts_on": item.starts_on, "ends_on": item.ends_on}
        for item in application.items.all()
    ]
    call = application.call
    # A bound formset gets no initial rows: otherwise an unchanged row counts as "empty" and is
    # dropped whenever the browser's INITIAL_FORMS does not cover it.
    formset = cast(
        BaseItemFormSet,
        ItemFormSet(data, prefix="items", initial=None if data is not None else initial, call=call),  # type: ignore[call-arg]
    )
    if data is None and not initial:
        formset.extra = 1
    return formset


def with_rows(data: QueryDict, *, add: bool = False, remove: int | None = None) -> QueryDict:
    """The posted rows with one more empty row (``add``) or with row ``remove`` emptied (an empty
    row is ignored): the "add a row" and "remove" buttons of the form without JavaScript."""
    data = data.copy()
    try:
        total = int(data.get("items-TOTAL_FORMS", "0"))
    except ValueError:
        return data
    if add and total < MAX_ITEMS:
        data["items-TOTAL_FORMS"] = str(total + 1)
    if remove is not None and 0 <= remove < total:
        for name in ("offering", "quantity", "starts_on", "ends_on"):
            data[f"items-{remove}-{name}"] = ""
    return data
