from rest_framework import serializers

from applications.models import Application, ApplicationItem, PriorityClaim


class ItemSerializer(serializers.ModelSerializer):
    offering_name = serializers.CharField(source="offering.name", read_only=True)
    unit = serializers.CharField(source="offering.unit", read_only=True)

    class Meta:
        model = ApplicationItem
        fields = ["offering", "offering_name", "unit", "quantity", "starts_on", "ends_on"]
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    # Declared, not derived: DRF drops allow_blank from read-only model fields, and the schema's
    # enum would then refuse the blank that a claim other than relocation has.
    relocation_target = serializers.ChoiceField(
        choices=PriorityClaim._meta.get_field("relocation_target").choices, allow_blank=True, read_only=True
    )
    has_evidence = serializers.SerializerMethodField()
    evidence_name = serializers.SerializerMethodField(
        help_text="The uploaded evidence's file name, as the uploaded file had it; null without evidence."
    )
    verification_note = serializers.SerializerMethodField(
        help_text="The reviewer's note when the claim was rejected (why it earns nothing)."
    )

    class Meta:
        model = PriorityClaim
        fields = [
            "kind",
            "details",
            "relocation_target",
            "relocation_planned_on",
            "has_evidence",
            "evidence_name",
            "verification",
            "verification_note",
        ]
        read_only_fields = fields

    def get_has_evidence(self, claim: PriorityClaim) -> bool:
        return bool(claim.evidence)

    def get_evidence_name(self, claim: PriorityClaim) -> str | None:
        return claim.evidence_display_name if claim.evidence else None

    def get_verification_note(self, claim: PriorityClaim) -> str | None:
        return claim.verification_note if claim.is_rejected else None


class ApplicationSerializer(serializers.ModelSerializer):
    purpose = serializers.ChoiceField(
        choices=Application._meta.get_field("purpose").choices, allow_blank=True, read_only=True
    )
    industry_domain = serializers.ChoiceField(
        choices=Application._meta.get_field("industry_domain").choices, allow_blank=True, read_only=True
    )
    call_title = serializers.CharField(source="call.title", read_only=True)
    organization_name = serializers.CharField(source="organization.legal_name", read_only=True)
    has_certificate = serializers.SerializerMethodField(help_text="Whether the business certificate is attached.")
    certificate_name = serializers.SerializerMethodField(
        help_text="The business certificate's file name, as the uploaded file had it; null without one."
    )
    is_editable = serializers.BooleanField(read_only=True, help_text="A draft: it may still be changed and submitted.")
    is_withdrawable = serializers.BooleanField(read_only=True)
    next_step = serializers.CharField(read_only=True, help_text="What you do or wait for now, in your language.")
    items = ItemSerializer(many=True, read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "call_title",
            "organization",
            "organization_name",
            "status",
            "is_editable",
            "is_withdrawable",
            "next_step",
            "purpose",
            "project_title",
            "title_listed_publicly",
            "summary",
            "plan",
            "expected_outcome",
            "industry_domain",
            "has_certificate",
            "certificate_name",
            "items",
            "claims",
            "created_at",
            "updated_at",
            "submitted_at",
            "priority_score",
            "priority_pending",
        ]
        read_only_fields = fields

    def get_has_certificate(self, application: Application) -> bool:
        return bool(application.business_certificate)

    def get_certificate_name(self, application: Application) -> str | None:
        return application.certificate_display_name if application.business_certificate else None


class ApplicationSummarySerializer(serializers.ModelSerializer):
    """A row of the list of your applications."""

    call_title = serializers.CharField(source="call.title", read_only=True)
    organization_name = serializers.CharField(source="organization.legal_name", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "call_title",
            "organization",
            "organization_name",
            "status",
            "project_title",
            "created_at",
            "submitted_at",
        ]
        read_only_fields = fields


class ApplicationStartSerializer(serializers.Serializer):
    """Start (or find) your organisation's application to a call: one per organisation and call."""

    call = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    organization = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class DraftFieldsSerializer(serializers.Serializer):
    """The draft's text; what is not sent keeps its value."""

    purpose = serializers.ChoiceField(choices=Application.Purpose.choices, required=False, allow_blank=True)
    project_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title_listed_publicly = serializers.BooleanField(required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    plan = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    expected_outcome = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    industry_domain = serializers.ChoiceField(
        choices=Application._meta.get_field("industry_domain").choices, required=False, allow_blank=True
    )


class ItemInputSerializer(serializers.Serializer):
    offering = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="An offering of the call.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class ResourcesSerializer(serializers.Serializer):
    """The resources you request: the whole list (it replaces the previous one)."""

    items = ItemInputSerializer(many=True, max_length=20)


class ClaimInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PriorityClaim.Kind.choices)
    details = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    relocation_target = serializers.ChoiceField(
        choices=PriorityClaim.Relocation.choices, required=False, allow_blank=True, default=""
    )
    relocation_planned_on = serializers.DateField(required=False, allow_null=True, default=None)


class ClaimsSerializer(serializers.Serializer):
    """The priorities you claim: the whole list (a kind not listed is withdrawn, its evidence with
    it). Evidence is uploaded per claim afterwards; a claim kept keeps its evidence."""

    claims = ClaimInputSerializer(many=True, max_length=len(PriorityClaim.Kind.values))


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG or JPEG, at most 10 MB; checked by content and scanned.")


class ProblemsSerializer(serializers.Serializer):
    complete = serializers.BooleanField(help_text="Nothing stands between the draft and its submission.")
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="What is missing or wrong, in your language."
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class HistoryEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    from_status = serializers.CharField(allow_blank=True, help_text="Empty for the draft's creation.")
    to_status = serializers.CharField()
    by = serializers.CharField(help_text="Who made the step, as you may know it.")
    reason = serializers.CharField(allow_blank=True)


class HistorySerializer(serializers.Serializer):
    application = serializers.IntegerField()
    events = HistoryEventSerializer(many=True)


class ScoreLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PriorityClaim.Kind.choices)
    points = serializers.IntegerField()
    verification = serializers.ChoiceField(choices=PriorityClaim.Verification.choices)
    counts = serializers.BooleanField(help_text="Verified: its points count in the total.")


class ScoreSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    total = serializers.IntegerField(help_text="The points of the verified claims.")
    pending = serializers.IntegerField(help_text="The points of the claims awaiting verification.")
    breakdown = ScoreLineSerializer(many=True)
