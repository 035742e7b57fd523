from rest_framework import serializers

from applications.models import Industry, Membership, Organization, OrganizationType
from applications.regions import Region


class OrganizationSerializer(serializers.ModelSerializer):
    registration_number = serializers.CharField(
        source="registration_number_display", read_only=True, help_text="10 digits, written 123-45-67890."
    )
    role = serializers.SerializerMethodField(help_text="Your role in the organisation: owner or member.")
    # Blank when the organisation gave none; a "uri" format would refuse the blank.
    website = serializers.CharField(read_only=True, help_text="The organisation's website (a URL), or blank.")
    identity_frozen = serializers.SerializerMethodField(
        help_text="Whether the legal name, registration number and type are fixed (an application was decided)."
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "legal_name",
            "org_type",
            "registration_number",
            "region",
            "address",
            "industry",
            "employees",
            "website",
            "listed_publicly",
            "created_at",
            "role",
            "identity_frozen",
        ]
        read_only_fields = fields

    def get_role(self, organization: Organization) -> str | None:
        request = self.context.get("request")
        roles = getattr(organization, "my_roles", None)
        if roles is None and request is not None:
            roles = list(
                Membership.objects.filter(organization=organization, user=request.user).values_list("role", flat=True)
            )
        return roles[0] if roles else None

    def get_identity_frozen(self, organization: Organization) -> bool:
        return organization.identity_is_frozen()


class OrganizationInputSerializer(serializers.Serializer):
    """What an owner sends; the site's organisation form checks it (check digit, region against
    the address, one organisation per registration number)."""

    legal_name = serializers.CharField(max_length=200)
    org_type = serializers.ChoiceField(choices=OrganizationType.choices)
    registration_number = serializers.CharField(max_length=12, help_text="10 digits, with or without dashes.")
    region = serializers.ChoiceField(choices=Region.choices)
    address = serializers.CharField(max_length=300)
    industry = serializers.ChoiceField(choices=Industry.choices)
    employees = serializers.IntegerField(min_value=0, max_value=2_147_483_647)
    website = serializers.URLField(required=False, allow_blank=True, max_length=200)
    listed_publicly = serializers.BooleanField(required=False, default=False)
