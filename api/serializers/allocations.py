from rest_framework import serializers

from allocations.models import Allocation
from api.serializers.calls import OfferingSerializer


class AllocationSerializer(serializers.ModelSerializer):
    offering = OfferingSerializer(read_only=True)
    application = serializers.IntegerField(source="application_item.application_id", read_only=True)
    call = serializers.IntegerField(source="application_item.application.call_id", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "application",
            "call",
            "organization",
            "offering",
            "quantity",
            "starts_on",
            "ends_on",
            "state",
            "state_changed_at",
            "created_at",
        ]
        read_only_fields = fields


class UsageDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    used = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text="Null: not collected yet."
    )
    granted = serializers.DecimalField(max_digits=20, decimal_places=4)


class UsageSerializer(serializers.Serializer):
    """What the allocation used, day by day over its service period (unit-hours for GPUs and
    cores, units held for storage and seats), against what it was granted."""

    allocation = serializers.IntegerField()
    unit = serializers.CharField()
    used = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="On the days collected so far.")
    granted = serializers.DecimalField(
        max_digits=24, decimal_places=4, help_text="On the days of service so far (to yesterday)."
    )
    rate = serializers.DecimalField(
        max_digits=10, decimal_places=4, allow_null=True, help_text="used ÷ granted; null before any day of service."
    )
    days = UsageDaySerializer(many=True)
