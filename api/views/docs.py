"""The schema and its two readers, Swagger UI and Redoc, from the sidecar's static files.

The site's Content-Security-Policy allows no inline script or style. Swagger UI's start-up
script is served as a file (drf-spectacular's split view), so scripts stay 'self' on every page;
these two pages alone allow inline styles (both readers set style attributes, Redoc writes
<style> elements) and Redoc's search worker from a blob: URL.
"""

from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

DOCS_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3.1 schema (YAML, or JSON with ?format=json), public like the docs."""

    permission_classes = [AllowAny]


@method_decorator(csp_override(DOCS_CSP), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    url_name = "api_schema"
    template_name = "api/swagger_ui.html"


@method_decorator(csp_override(DOCS_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    permission_classes = [AllowAny]
    url_name = "api_schema"
    template_name = "api/redoc.html"
