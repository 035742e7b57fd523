"""How the schema describes the API: its authentication (drf-spectacular extensions, loaded in
ready()), its problem details and ETags (``PortalAutoSchema``, the REST_FRAMEWORK schema class)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from api.problems import PROBLEM_JSON


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "naidc_<prefix>_<secret>",
            "description": "A personal API token, created on the profile page (API tokens).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of the API is answered."""

    type = serializers.URLField(help_text="What kind of problem (a URI whose page explains it).")
    title = serializers.CharField(help_text="The kind's short title, in the caller's language.")
    status = serializers.IntegerField(help_text="The HTTP status.")
    detail = serializers.CharField(help_text="What went wrong this time, in the caller's language.")
    instance = serializers.CharField(help_text="The request's path.")
    errors = serializers.DictField(
        required=False,
        help_text="Field errors keyed by field (400 only); nested like the request body.",
    )


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, with what every endpoint of this API answers besides its own
    body: problem details for 401, 403, 406 and 429 everywhere, 404 where the path names an
    object, 400, 409 and 415 on changes; and on views with ``etag = True`` the ``ETag`` of
    reads and the ``If-Match`` of changes (412, 428)."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if getattr(self.view, "etag", False):
            if self.method in UNSAFE:
                parameters.append(
                    OpenApiParameter(
                        "If-Match",
                        str,
                        OpenApiParameter.HEADER,
                        required=getattr(self.view, "if_match_required", False),
                        description="The ETag of the object as you read it; a changed object is a 412.",
                    )
                )
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="The version of the object; send it back as If-Match to change it.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "406", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in UNSAFE:
            codes += ["400", "409", "415"]
            if getattr(self.view, "etag", False):
                codes += ["412", "428"]
        elif self._is_list_view():
            # A cursor that is not one of ours (api.pagination.Cursor) or a filter that does not parse.
            codes.append("400")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_JSON], direction=direction
                )
        return responses
