"""Who may read the portal's operational details: /metrics, and what /readyz says beyond its
status.

The connecting address (REMOTE_ADDR, never X-Forwarded-For, which a client writes) within
``METRICS_ALLOWED_IPS`` (by default the loopback addresses: the container's own health check and
a Prometheus beside it), or ``Authorization: Bearer <METRICS_TOKEN>`` from anywhere. One rule for
both, in the kernel: the health check answers before the apps' middleware and may not import
the dashboard.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def monitoring_allowed(request: HttpRequest) -> bool:
    """From an allowed address, or with the metrics token."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_IPS)
