"""What the staff's endpoints read and return. Output serializers read the selectors' rows
(annotations included); input serializers parse a request before one service is called."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocations.models import Allocation, AllocationState
from allocations.services.provisioning import FAILED, PROVISIONED
from applications.models import (
    RANKED_STATUSES,
    Application,
    ApplicationPurpose,
    ApplicationStatus,
    ClaimKind,
    ClaimVerification,
    Industry,
    Organization,
)
from pool.models import Offering

DECISIONS = ("approve", "waitlist", "reject")


class StaffOfferingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offering
        fields = ["id", "name", "kind", "unit"]


class StaffOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "legal_name", "org_type", "region", "industry"]


class StaffOrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "legal_name"]


class StaffClaimCountsSerializer(serializers.Serializer):
    verified = serializers.IntegerField(source="claims_verified")
    pending = serializers.IntegerField(source="claims_pending")
    rejected = serializers.IntegerField(source="claims_rejected")


class StaffQueueRowSerializer(serializers.ModelSerializer):
    """One application of the queue: the admin queue's columns, and whether the caller may decide it."""

    organization = StaffOrganizationSerializer()
    claims = StaffClaimCountsSerializer(source="*")
    overdue_reports = serializers.IntegerField(help_text="Reports the organisation owes from earlier calls, overdue.")
    decidable = serializers.BooleanField(source="is_decidable", help_text="Submitted or wait-listed.")
    refusal = serializers.SerializerMethodField(
        help_text="Why the caller may not decide it (a member, a declared conflict of interest, no right), or null."
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "rank",
            "call_id",
            "organization",
            "status",
            "purpose",
            "project_title",
            "submitted_at",
            "priority_score",
            "priority_pending",
            "merit_score",
            "merit_stage",
            "requested_gpu_units",
            "requested_storage_units",
            "claims",
            "overdue_reports",
            "decidable",
            "refusal",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_refusal(self, application: Application) -> str | None:
        refusal = self.context.get("refusals", {}).get(application.pk)
        return str(refusal) if refusal is not None else None


class StaffQueueQuerySerializer(serializers.Serializer):
    """The queue's filters (all optional), as the admin queue's list filters."""

    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in RANKED_STATUSES], required=False)
    offering = serializers.IntegerField(required=False, min_value=1, help_text="Applications asking for this offering.")
    claim_kind = serializers.ChoiceField(choices=ClaimKind.choices, required=False)
    org_type = serializers.ChoiceField(choices=Organization.Type.choices, required=False)
    region = serializers.ChoiceField(choices=Organization._meta.get_field("region").choices, required=False)
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)
    purpose = serializers.ChoiceField(choices=ApplicationPurpose.choices, required=False)
    overdue_reports = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: some overdue; false: none."
    )
    min_priority_score = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class StaffItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offering = StaffOfferingSerializer()
    quantity = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    free = serializers.IntegerField(help_text="The least free units over the item's period now.")
    tightest_day = serializers.DateField(help_text="The first day with that least figure.")
    fits = serializers.BooleanField(help_text="Whether the whole quantity fits now.")


class StaffClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    details = serializers.CharField()
    relocation_target = serializers.CharField()
    relocation_planned_on = serializers.DateField(allow_null=True)
    verification = serializers.ChoiceField(choices=ClaimVerification.choices)
    verification_note = serializers.CharField()
    evidence_url = serializers.CharField(allow_null=True, help_text="The evidence download (recorded).")


class StaffScoreLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    points = serializers.IntegerField()
    verification = serializers.ChoiceField(choices=ClaimVerification.choices)
    counts = serializers.BooleanField()


class StaffScoreSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    breakdown = StaffScoreLineSerializer(many=True)


class StaffHistorySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(allow_null=True, source="actor_email")
    from_status = serializers.ChoiceField(choices=[("", "—"), *ApplicationStatus.choices])
    to_status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    reason = serializers.CharField()


class StaffAllocationSerializer(serializers.ModelSerializer):
    """An allocation as the provisioning and monitoring systems see it."""

    offering = StaffOfferingSerializer()
    organization = StaffOrganizationBriefSerializer()
    application_id = serializers.IntegerField(source="application_item.application_id")
    call_id = serializers.IntegerField(source="application_item.application.call_id")

    class Meta:
        model = Allocation
        fields = [
            "id",
            "state",
            "organization",
            "offering",
            "quantity",
            "starts_on",
            "ends_on",
            "external_ref",
            "last_error",
            "application_id",
            "call_id",
            "created_at",
            "state_changed_at",
        ]


class StaffAllocationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offering_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AllocationState.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class StaffApplicationRecordSerializer(StaffQueueRowSerializer):
    """An application's full record: the project, items with what fits now, claims, score,
    history and allocations."""

    summary = serializers.CharField()
    plan = serializers.CharField()
    expected_outcome = serializers.CharField()
    industry_domain = serializers.CharField()
    certificate_url = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    priority_claims = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField()

    class Meta(StaffQueueRowSerializer.Meta):
        fields = [
            *StaffQueueRowSerializer.Meta.fields,
            "summary",
            "plan",
            "expected_outcome",
            "industry_domain",
            "created_at",
            "certificate_url",
            "items",
            "priority_claims",
            "score",
            "history",
            "allocations",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_certificate_url(self, application: Application) -> str | None:
        if not application.business_certificate:
            return None
        return reverse("application_certificate", args=[application.pk])

    @extend_schema_field(StaffItemSerializer(many=True))
    def get_items(self, application: Application) -> list[dict]:
        return StaffItemSerializer(self.context["items"], many=True).data

    @extend_schema_field(StaffClaimSerializer(many=True))
    def get_priority_claims(self, application: Application) -> list[dict]:
        return StaffClaimSerializer(self.context["claims"], many=True).data

    @extend_schema_field(StaffScoreSerializer(many=False))
    def get_score(self, application: Application) -> dict:
        return StaffScoreSerializer(self.context["score"]).data

    @extend_schema_field(StaffHistorySerializer(many=True))
    def get_history(self, application: Application) -> list[dict]:
        return StaffHistorySerializer(self.context["history"], many=True).data

    @extend_schema_field(StaffAllocationBriefSerializer(many=True))
    def get_allocations(self, application: Application) -> list[dict]:
        return StaffAllocationBriefSerializer(self.context["allocations"], many=True).data


class StaffDecisionSerializer(serializers.Serializer):
    """A decision on an application, as the admin's decision page makes it."""

    decision = serializers.ChoiceField(choices=[(d, d) for d in DECISIONS])
    grants = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_empty=False,
        help_text="Approve in part: requested item id -> units granted (0 skips the item); absent: in full.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)

    def validate(self, data: dict) -> dict:
        grants = data.get("grants")
        if grants is not None:
            if data["decision"] != "approve":
                raise serializers.ValidationError({"grants": [_("Only an approval grants units.")]})
            items = self.context["item_ids"]
            parsed = {}
            for key, quantity in grants.items():
                if not str(key).isdigit() or int(key) not in items:
                    raise serializers.ValidationError(
                        {"grants": [_("%(item)s is not an item of this application.") % {"item": key}]}
                    )
                parsed[int(key)] = quantity
            data["grants"] = parsed
        return data


class StaffDayCapacitySerializer(serializers.Serializer):
    day = serializers.DateField()
    capacity = serializers.IntegerField()
    reserved = serializers.IntegerField()
    free = serializers.IntegerField()


class StaffOfferingCapacitySerializer(serializers.Serializer):
    offering = StaffOfferingSerializer()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    days = StaffDayCapacitySerializer(many=True)


class StaffPeriodQuerySerializer(serializers.Serializer):
    starts_on = serializers.DateField(help_text="The first day (inclusive).")
    ends_on = serializers.DateField(help_text="The last day (inclusive); at most 366 days after the first.")

    def validate(self, data: dict) -> dict:
        if data["ends_on"] < data["starts_on"]:
            raise serializers.ValidationError({"ends_on": [_("The last day is before the first.")]})
        if (data["ends_on"] - data["starts_on"]).days > 365:
            raise serializers.ValidationError({"ends_on": [_("At most 366 days at a time.")]})
        return data


class StaffChangesQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="The first request: allocations changed at or after this time. Then follow `next`."
    )
    cursor = serializers.CharField(required=False, max_length=100, help_text="The `next` of the previous page.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class StaffAllocationChangeSerializer(StaffAllocationSerializer):
    changed_at = serializers.DateTimeField(help_text="When the allocation last changed.")

    class Meta(StaffAllocationSerializer.Meta):
        fields = [*StaffAllocationSerializer.Meta.fields, "changed_at"]


class StaffChangesPageSerializer(serializers.Serializer):
    next = serializers.CharField(
        help_text="Where to read on (always present: poll it later when this page was not full)."
    )
    previous = serializers.CharField(allow_null=True, help_text="Always null: the feed is read forwards.")
    results = StaffAllocationChangeSerializer(many=True)


class StaffProvisioningReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(PROVISIONED, PROVISIONED), (FAILED, FAILED)])
    expected_state = serializers.ChoiceField(
        choices=AllocationState.choices,
        help_text="The allocation's state as the provisioning system read it; the report applies only from it.",
    )
    external_ref = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="The quota's reference (provisioned)."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Why it failed (failed)."
    )


class StaffStageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.CharField()
    deadline = serializers.DateTimeField()
    scale = serializers.IntegerField()
    evaluators_per_application = serializers.IntegerField()
    pass_threshold = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    pass_top = serializers.IntegerField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class StaffStageResultSerializer(serializers.Serializer):
    stage_id = serializers.IntegerField()
    stage_order = serializers.IntegerField(source="stage.order")
    evaluations = serializers.IntegerField(help_text="Evaluators who scored.")
    merit = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    spread = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)


class StaffDayUsageSerializer(serializers.Serializer):
    day = serializers.DateField()
    used = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True, help_text="null: not collected.")
    granted = serializers.DecimalField(max_digits=20, decimal_places=4)


class StaffAllocationUsageSerializer(serializers.Serializer):
    allocation_id = serializers.IntegerField()
    unit = serializers.CharField(help_text="gpu and core: unit-hours a day; tb and seat: units held.")
    days = StaffDayUsageSerializer(many=True)


class StaffOfferingUsageSerializer(serializers.Serializer):
    offering = StaffOfferingSerializer()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    days = StaffDayUsageSerializer(many=True)
