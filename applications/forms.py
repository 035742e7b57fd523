import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from applications import services
from applications.business_number import normalize_business_number
from applications.models import Application, Organization, PriorityClaim
from applications.regions import Region, region_from_address
from applications.services import ClaimInput, RequestedItem
from applications.uploads import MAX_UPLOAD_BYTES, validate_evidence_file
from portal import formats

_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class EvidenceField(forms.FileField):
    default_validators = [validate_evidence_file]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("PDF, PNG or JPEG, at most 10 MB."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": _ACCEPT, "data-max-bytes": MAX_UPLOAD_BYTES})


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
        if re.search(r"https?:|www\.|://", message, flags=re.IGNORECASE):
            raise ValidationError(_("Leave links out of the message; say who you are in words."))
        return message


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the new member"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000)


class ApplicationForm(forms.ModelForm):
    business_certificate = EvidenceField(label=_("Business registration certificate"))

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

    def fields_to_save(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ItemForm(forms.Form):
    """One requested offering. A row left entirely empty is ignored."""

    # Choices come from the call's prefetched offerings, so a form with many rows costs no queries.
    offering = forms.TypedChoiceField(label=_("Resource"), required=False, coerce=int, empty_value=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, required=False)
    starts_on = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        call_offerings = list(call.call_offerings.all())
        self.limits = {co.offering_id: co.max_per_application for co in call_offerings}
        self.offerings = {co.offering_id: co.offering for co in call_offerings}
        cast(forms.ChoiceField, self.fields["offering"]).choices = [("", "—")] + [
            (co.offering_id, f"{co.offering} · ≤ {co.max_per_application}") for co in call_offerings
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = [cleaned.get(name) for name in ("offering", "quantity", "starts_on", "ends_on")]
        if not any(values):
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

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            offering = form.cleaned_data.get("offering")
            if offering and offering.pk in seen:
                raise ValidationError(_("Request each resource once."))
            if offering:
                seen.add(offering.pk)

    def requested_items(self) -> list[RequestedItem]:
        return [item for form in self.forms if (item := form.requested_item())]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=0, max_num=20, validate_max=True)


class ClaimForm(forms.Form):
    """One kind of priority claim: ticked or not, with its details and evidence."""

    claimed = forms.BooleanField(required=False)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    relocation_target = forms.ChoiceField(
        label=_("What relocates"), required=False, choices=[("", "—"), *PriorityClaim.Relocation.choices]
    )
    relocation_planned_on = forms.DateField(
        label=_("Planned relocation date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = EvidenceField(label=_("Evidence"))

    def __init__(
        self,
        *args,
        kind: str,
        existing: PriorityClaim | None = None,
        organization: Organization | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.existing = existing
        self.organization = organization
        self.fields["claimed"].label = PriorityClaim.Kind(kind).label
        if kind != PriorityClaim.Kind.RELOCATING:
            del self.fields["relocation_target"]
            del self.fields["relocation_planned_on"]

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
            evidence=data.get("evidence"),
        )


def claim_forms(application: Application, data=None, files=None) -> list[ClaimForm]:
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
                files,
                prefix=f"claim-{kind}",
                initial=initial,
                kind=kind,
                existing=claim,
                organization=application.organization,
            )
        )
    return forms_


def item_formset(application: Application, data: QueryDict | None = None) -> BaseItemFormSet:
    initial = [
        {"offering": item.offering_id, "quantity": item.quantity, "starts_on": item.starts_on, "ends_on": item.ends_on}
        for item in application.items.all()
    ]
    call = application.call
    offered = len(call.call_offerings.all())
    # A bound formset gets no initial rows: otherwise an unchanged row counts as "empty" and is
    # dropped whenever the browser's INITIAL_FORMS does not cover it.
    formset = cast(
        BaseItemFormSet,
        ItemFormSet(data, prefix="items", initial=None if data is not None else initial, call=call),  # type: ignore[call-arg]
    )
    if data is None:
        # Empty rows so that every offering of the call can be requested without JavaScript.
        formset.extra = max(offered - len(initial), 0)
    return formset
