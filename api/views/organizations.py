"""The user's organisations: read them; register one; its owner updates its profile.

The site's organisation form checks what is sent (``OrganizationForm``), and the services
change it (``organization_create``, ``organization_update``: only the owner, and the identity is
fixed once an application was decided)."""

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from api.etags import etag_of, require_if_match, with_etag
from api.serializers.organizations import OrganizationInputSerializer, OrganizationSerializer
from api.validation import as_form_data, cleaned
from applications import selectors, services
from applications.forms import ORGANIZATION_FIELDS, OrganizationForm
from applications.models import Membership, Organization
from portal.errors import NotAllowed


def _mine(user):
    """The user's organisations, each with the user's role (one query for the list)."""
    return (
        selectors.organizations_of(user)
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(user=user), to_attr="my_memberships")
        )
        .distinct()
    )


def _with_roles(organization: Organization) -> Organization:
    organization.my_roles = [m.role for m in getattr(organization, "my_memberships", [])]  # type: ignore[attr-defined]
    return organization


def _form(data: dict, organization: Organization | None = None) -> OrganizationForm:
    """The site's form over what is sent, on top of the organisation's current values (PATCH)."""
    current = {}
    if organization is not None:
        current = {name: getattr(organization, name) for name in ORGANIZATION_FIELDS}
        current["registration_number"] = organization.registration_number_display
    values = {**current, **data}
    # The identity fields stay editable here: a change to a frozen identity reaches the service,
    # which refuses it (IdentityFrozen) instead of the form's disabled fields ignoring it silently.
    return OrganizationForm(as_form_data(values), instance=organization)


@extend_schema(tags=["organisations"])
class OrganizationList(generics.ListCreateAPIView):
    """The organisations you belong to; POST registers a new one with you as its owner."""

    ordering = ("-pk",)

    def get_serializer_class(self):
        return OrganizationInputSerializer if self.request.method == "POST" else OrganizationSerializer

    def get_queryset(self):
        return _mine(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return [_with_roles(organization) for organization in page] if page is not None else None

    @extend_schema(request=OrganizationInputSerializer, responses={201: OrganizationSerializer})
    def post(self, request, *args, **kwargs):
        incoming = OrganizationInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = cleaned(_form(incoming.validated_data))
        organization = services.organization_create(actor=request.user, fields=fields)
        body = OrganizationSerializer(organization, context={"request": request}).data
        return with_etag(Response(body, status=status.HTTP_201_CREATED))


@extend_schema(tags=["organisations"])
class OrganizationDetail(generics.GenericAPIView):
    """One of your organisations. Its owner changes it with PUT (everything) or PATCH (what is
    sent); send If-Match with the ETag you read so that no one else's change is overwritten."""

    serializer_class = OrganizationSerializer
    etag = True

    def get_queryset(self):
        return _mine(self.request.user)

    def get(self, request, pk: int):
        organization = _with_roles(get_object_or_404(self.get_queryset(), pk=pk))
        return with_etag(Response(self.get_serializer(organization).data))

    def _update(self, request, pk: int, *, partial: bool):
        # Another organisation's id is a 404 before the body is read.
        get_object_or_404(self.get_queryset(), pk=pk)
        incoming = OrganizationInputSerializer(data=request.data, partial=partial)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            organization = get_object_or_404(
                selectors.organizations_of(request.user).select_for_update(of=("self",)), pk=pk
            )
            if not selectors.is_owner(request.user, organization):
                raise NotAllowed(_("Only the organisation's owner can do this."))
            current = OrganizationSerializer(organization, context={"request": request}).data
            require_if_match(request, etag_of(current))
            fields = cleaned(_form(incoming.validated_data, organization))
            organization = services.organization_update(actor=request.user, organization=organization, fields=fields)
        return with_etag(Response(OrganizationSerializer(organization, context={"request": request}).data))

    @extend_schema(request=OrganizationInputSerializer, responses={200: OrganizationSerializer})
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(request=OrganizationInputSerializer, responses={200: OrganizationSerializer})
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)
