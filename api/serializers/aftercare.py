from rest_framework import serializers

from aftercare.models import ChangeRequest, Report


class ChangeRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "allocation",
            "organization",
            "kind",
            "status",
            "current_ends_on",
            "current_quantity",
            "requested_ends_on",
            "requested_units",
            "justification",
            "granted_ends_on",
            "granted_units",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields


class ChangeRequestInputSerializer(serializers.Serializer):
    """Ask to extend an active allocation (``ends_on``) or to add units to it (``units``)."""

    allocation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=ChangeRequest.Kind.choices)
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="For an extension: the new last day.")
    units = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000, help_text="For a supplement: how many more."
    )
    justification = serializers.CharField(max_length=5000)


class ChangeRequestWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReportSerializer(serializers.ModelSerializer):
    has_attachment = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField(help_text="Requested and past its due day.")

    class Meta:
        model = Report
        fields = [
            "id",
            "application",
            "organization",
            "kind",
            "status",
            "period_starts_on",
            "period_ends_on",
            "requested_on",
            "due_on",
            "is_overdue",
            "work_done",
            "outcomes",
            "publications",
            "has_attachment",
            "submitted_at",
        ]
        read_only_fields = fields

    def get_has_attachment(self, report: Report) -> bool:
        return bool(report.attachment)

    def get_is_overdue(self, report: Report) -> bool:
        return report.is_overdue()


class ReportInputSerializer(serializers.Serializer):
    """A requested report's content; ``attachment`` (multipart) is optional."""

    work_done = serializers.CharField(max_length=10_000)
    outcomes = serializers.CharField(max_length=10_000)
    publications = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    attachment = serializers.FileField(required=False, help_text="PDF, PNG or JPEG, at most 10 MB.")
