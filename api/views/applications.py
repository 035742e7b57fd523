"""The applicant's applications: start a draft, fill it in (its text, resources, claims,
evidence, certificate), see what stands before submission, submit, withdraw; read the status,
the history and the score.

Each change goes through the site's services (``application_start``,
``application_update_draft``, ``application_submit``, ``application_withdraw``) and the input
through the site's forms (``ApplicationForm``, the item rows, ``ClaimForm``, ``EvidenceField``),
so the API applies the same rules and the same upload checks. A draft's changes need If-Match
(428 without it): two clients cannot overwrite each other's draft silently.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import problems
from api.etags import etag_of, require_if_match
from api.serializers.applications import (
    ApplicationSerializer,
    ApplicationStartSerializer,
    ApplicationSummarySerializer,
    ClaimsSerializer,
    DraftFieldsSerializer,
    HistorySerializer,
    ProblemsSerializer,
    ResourcesSerializer,
    ScoreSerializer,
    UploadSerializer,
    WithdrawSerializer,
)
from api.validation import as_form_data, cleaned, form_errors
from applications import selectors, services
from applications.forms import ApplicationForm, ClaimForm, EvidenceField, item_formset
from applications.models import Application, PriorityClaim
from applications.services import ClaimInput, RequestedItem

problems.register(
    services.ApplicationIncomplete,
    status=409,
    slug="application-incomplete",
    extensions=lambda error: {"problems": [str(problem) for problem in error.problems]},
)

TAGS = ["applications"]


def _current_items(application: Application) -> list[RequestedItem]:
    return [RequestedItem(i.offering, i.quantity, i.starts_on, i.ends_on) for i in application.items.all()]


def _current_claims(application: Application, evidence: dict[str, Any] | None = None) -> list[ClaimInput]:
    """The draft's claims as they are (their evidence kept), with new ``evidence`` per kind."""
    evidence = evidence or {}
    return [
        ClaimInput(
            kind=claim.kind,
            details=claim.details,
            relocation_target=claim.relocation_target,
            relocation_planned_on=claim.relocation_planned_on,
            evidence=evidence.get(claim.kind),
        )
        for claim in application.claims.all()
    ]


def _current_fields(application: Application) -> dict[str, Any]:
    return {name: getattr(application, name) for name in ApplicationForm.Meta.fields}


def _representation(application: Application, request: Request) -> dict[str, Any]:
    return ApplicationSerializer(application, context={"request": request}).data


def _etag(application: Application, request: Request) -> str:
    """The ETag of the application as one language renders it: what it says in the reader's
    language (``next_step``) must not make an ETag read in one language fail a write in another."""
    with translation.override("en"):
        return etag_of(_representation(application, request))


def _answer(application: Application, request: Request, status: int = 200) -> Response:
    """The application's representation in the reader's language, with its ETag."""
    response = Response(_representation(application, request), status=status)
    response["ETag"] = _etag(application, request)
    return response


def _reread(request: Request, pk: int) -> Application:
    return selectors.application_for_edit(request.user).get(pk=pk)


def ensure_mine(request: Request, pk: int) -> None:
    """404 for an application that is not the user's organisations', before the body is read:
    another organisation's id answers the same whatever is sent."""
    if not selectors.applications_of_member(request.user).filter(pk=pk).exists():
        raise NotFound()


def change_draft(request: Request, pk: int, change: Callable[[Application], None]) -> Response:
    """Lock the user's application ``pk``, check If-Match against it (required), ``change`` it
    through the service in the same transaction, and answer its new state with its ETag."""
    with transaction.atomic():
        application = get_object_or_404(
            selectors.application_for_edit(request.user).select_for_update(of=("self",)), pk=pk
        )
        require_if_match(request, _etag(application, request), required=True)
        change(application)
    return _answer(_reread(request, pk), request)


@extend_schema(tags=TAGS)
class ApplicationList(generics.ListCreateAPIView):
    """Your organisations' applications, newest first; POST starts (or finds) your
    organisation's application to an open call: 201 with a new draft, 200 with the one it has."""

    ordering = ("-created_at", "-pk")

    def get_serializer_class(self):
        return ApplicationStartSerializer if self.request.method == "POST" else ApplicationSummarySerializer

    def get_queryset(self):
        return selectors.applications_of_member(self.request.user)

    @extend_schema(
        request=ApplicationStartSerializer, responses={200: ApplicationSerializer, 201: ApplicationSerializer}
    )
    def post(self, request, *args, **kwargs):
        incoming = ApplicationStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        errors = {}
        call = selectors.published_calls().filter(pk=incoming.validated_data["call"]).first()
        if call is None:
            errors["call"] = [_("No such call.")]
        organization = (
            selectors.organizations_of(request.user).filter(pk=incoming.validated_data["organization"]).first()
        )
        if organization is None:
            errors["organization"] = [_("You are not a member of this organisation.")]
        if call is None or organization is None:
            raise ValidationError(errors)
        existed = selectors.calls_with_my_application(request.user, [call]).get(call.pk)
        existed = existed if existed is not None and existed.organization_id == organization.pk else None
        application = services.application_start(actor=request.user, call=call, organization=organization)
        return _answer(
            _reread(request, application.pk), request, status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


@extend_schema(tags=TAGS)
class ApplicationDetail(generics.GenericAPIView):
    """One of your applications: its status, text, resources and claims. PATCH changes a draft's
    text (what is sent; the rest stays), with If-Match."""

    serializer_class = ApplicationSerializer
    etag = True
    if_match_required = True

    def get(self, request, pk: int):
        application = get_object_or_404(selectors.application_for_edit(request.user), pk=pk)
        return _answer(application, request)

    @extend_schema(request=DraftFieldsSerializer, responses={200: ApplicationSerializer})
    def patch(self, request, pk: int):
        ensure_mine(request, pk)
        incoming = DraftFieldsSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)

        def change(application: Application) -> None:
            values = {**_current_fields(application), **incoming.validated_data}
            form = ApplicationForm(as_form_data(values), instance=application)
            data = cleaned(form)
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields={name: data[name] for name in ApplicationForm.Meta.fields},
                items=_current_items(application),
                claims=_current_claims(application),
            )

        return change_draft(request, pk, change)


@extend_schema(tags=TAGS)
class ApplicationResources(APIView):
    """Set the resources the draft requests (the whole list), checked as the site's form checks
    them: offerings of the call, within its maximum per application and its service period, each
    once. With If-Match."""

    etag = True
    if_match_required = True

    @extend_schema(request=ResourcesSerializer, responses={200: ApplicationSerializer})
    def put(self, request, pk: int):
        ensure_mine(request, pk)
        incoming = ResourcesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = incoming.validated_data["items"]

        def change(application: Application) -> None:
            data = QueryDict(mutable=True)
            data.update(
                {
                    "items-TOTAL_FORMS": str(len(rows)),
                    "items-INITIAL_FORMS": "0",
                    "items-MIN_NUM_FORMS": "0",
                    "items-MAX_NUM_FORMS": "20",
                }
            )
            for index, row in enumerate(rows):
                data.update(as_form_data(row, prefix=f"items-{index}-"))
            formset = item_formset(application, data)
            if not formset.is_valid():
                errors: dict[str, Any] = {"items": [form_errors(form) for form in formset.forms]}
                if formset.non_form_errors():
                    errors["non_field_errors"] = [str(message) for message in formset.non_form_errors()]
                raise ValidationError(errors)
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields={},
                items=formset.requested_items(),
                claims=_current_claims(application),
            )

        return change_draft(request, pk, change)


@extend_schema(tags=TAGS)
class ApplicationClaims(APIView):
    """Set the priorities the draft claims (the whole list), checked as the site's form checks
    them. A claim kept keeps its evidence; one not listed is withdrawn. With If-Match."""

    etag = True
    if_match_required = True

    @extend_schema(request=ClaimsSerializer, responses={200: ApplicationSerializer})
    def put(self, request, pk: int):
        ensure_mine(request, pk)
        incoming = ClaimsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = incoming.validated_data["claims"]
        kinds = [row["kind"] for row in rows]
        if len(set(kinds)) != len(kinds):
            raise ValidationError({"claims": [_("Claim each priority once.")]})

        def change(application: Application) -> None:
            existing = {claim.kind: claim for claim in application.claims.all()}
            claims, errors, invalid = [], [], False
            for row in rows:
                values = {key: value for key, value in row.items() if key != "kind"}
                form = ClaimForm(
                    as_form_data({"claimed": True, **values}),
                    kind=row["kind"],
                    existing=existing.get(row["kind"]),
                    organization=application.organization,
                )
                errors.append(form_errors(form) if not form.is_valid() else {})
                invalid = invalid or bool(form.errors)
                if form.is_valid() and (claim := form.claim_input()) is not None:
                    claims.append(claim)
            if invalid:
                raise ValidationError({"claims": errors})
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields={},
                items=_current_items(application),
                claims=claims,
            )

        return change_draft(request, pk, change)


def _checked_upload(request: Request) -> Any:
    """The uploaded ``file``, through the site's evidence field (type by content, size, pixels,
    the virus scanner where configured), or a 400 keyed ``file``."""
    incoming = UploadSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    try:
        return EvidenceField(required=True).clean(incoming.validated_data["file"])
    except DjangoValidationError as error:
        raise ValidationError({"file": [str(message) for message in error.messages]}) from None


@extend_schema(tags=TAGS)
class ApplicationCertificate(APIView):
    """Attach the business registration certificate to the draft (multipart ``file``), with If-Match."""

    parser_classes = [MultiPartParser]
    etag = True
    if_match_required = True

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={200: ApplicationSerializer})
    def put(self, request, pk: int):
        ensure_mine(request, pk)
        upload = _checked_upload(request)

        def change(application: Application) -> None:
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields={},
                items=_current_items(application),
                claims=_current_claims(application),
                certificate=upload,
            )

        return change_draft(request, pk, change)


@extend_schema(
    tags=TAGS,
    parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=PriorityClaim.Kind.values)],
)
class ClaimEvidence(APIView):
    """Attach the evidence of one of the draft's claims (multipart ``file``), with If-Match.
    Claim the priority first (PUT …/claims/)."""

    parser_classes = [MultiPartParser]
    etag = True
    if_match_required = True

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={200: ApplicationSerializer})
    def put(self, request, pk: int, kind: str):
        ensure_mine(request, pk)
        upload = _checked_upload(request)

        def change(application: Application) -> None:
            if not any(claim.kind == kind for claim in application.claims.all()):
                raise NotFound(_("The draft does not claim this priority; claim it first."))
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields={},
                items=_current_items(application),
                claims=_current_claims(application, evidence={kind: upload}),
            )

        return change_draft(request, pk, change)


@extend_schema(tags=TAGS)
class ApplicationProblems(APIView):
    """What stands between the draft and its submission, as the site's status page lists it
    (nothing once the application is submitted)."""

    @extend_schema(responses={200: ProblemsSerializer})
    def get(self, request, pk: int):
        application = get_object_or_404(selectors.application_for_edit(request.user), pk=pk)
        found = services.submission_problems(application) if application.is_editable else []
        return Response({"complete": not found, "problems": [str(problem) for problem in found]})


@extend_schema(tags=TAGS)
class ApplicationSubmit(APIView):
    """Submit the draft: complete, before the call's deadline. Refused with the list of what is
    missing (409, ``problems``). If-Match, when sent, must match the draft you checked."""

    etag = True

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    def post(self, request, pk: int):
        with transaction.atomic():
            application = get_object_or_404(
                selectors.application_for_edit(request.user).select_for_update(of=("self",)), pk=pk
            )
            require_if_match(request, _etag(application, request))
            services.application_submit(actor=request.user, application=application)
        return _answer(_reread(request, pk), request)


@extend_schema(tags=TAGS)
class ApplicationWithdraw(APIView):
    """Withdraw a draft or a submitted application before a decision. Not reversible."""

    @extend_schema(request=WithdrawSerializer, responses={200: ApplicationSerializer})
    def post(self, request, pk: int):
        application = get_object_or_404(selectors.applications_of_member(request.user), pk=pk)
        incoming = WithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.application_withdraw(
            actor=request.user, application=application, reason=incoming.validated_data["reason"]
        )
        return _answer(_reread(request, pk), request)


@extend_schema(tags=TAGS)
class ApplicationHistory(APIView):
    """Every step of the application, oldest first, with who made it as you may know it (the
    operator for its decisions)."""

    @extend_schema(responses={200: HistorySerializer})
    def get(self, request, pk: int):
        application = get_object_or_404(
            selectors.application_for_detail(request.user).filter(organization__memberships__user=request.user), pk=pk
        )
        events = [
            {
                "at": line.transition.created_at,
                "from_status": line.transition.from_status,
                "to_status": line.transition.to_status,
                "by": str(line.by),
                "reason": line.transition.reason,
            }
            for line in selectors.application_history(application, request.user)
        ]
        return Response(HistorySerializer({"application": application.pk, "events": events}).data)


@extend_schema(tags=TAGS)
class ApplicationScore(APIView):
    """The priority score and its breakdown: the verified claims' points count, the pending ones
    are shown beside them."""

    @extend_schema(responses={200: ScoreSerializer})
    def get(self, request, pk: int):
        application = get_object_or_404(selectors.application_for_edit(request.user), pk=pk)
        score = selectors.priority_score(application)
        lines = [
            {"kind": line.kind, "points": line.points, "verification": line.verification, "counts": line.counts}
            for line in score.breakdown
        ]
        body = {"application": application.pk, "total": score.total, "pending": score.pending, "breakdown": lines}
        return Response(ScoreSerializer(body).data)
