from rest_framework import serializers

from applications.models import Call, CallOffering
from pool.models import Offering


class OfferingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offering
        fields = ["id", "name", "kind", "unit", "description", "metering"]
        read_only_fields = fields


class CallOfferingSerializer(serializers.ModelSerializer):
    offering = OfferingSerializer(read_only=True)

    class Meta:
        model = CallOffering
        fields = ["offering", "max_per_application"]
        read_only_fields = fields


class CallSerializer(serializers.ModelSerializer):
    is_open = serializers.SerializerMethodField()
    offerings = CallOfferingSerializer(source="call_offerings", many=True, read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "title",
            "description",
            "opens_at",
            "deadline",
            "is_open",
            "service_starts_on",
            "service_ends_on",
            "selection_target",
            "offerings",
        ]
        read_only_fields = fields

    def get_is_open(self, call: Call) -> bool:
        return call.is_open()
