"""The access log from the edges: a view or an admin page that shows staff an applicant's personal
data calls ``record_access`` once it has the answer ready, and the request's user, address and
path are recorded (``accesslog.services.access_record``)."""

from allauth.account.adapter import get_adapter
from django.db import models
from django.http import HttpRequest

from accesslog import services
from accesslog.models import AccessPage


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the failed-login limits compute it: allauth's adapter reads
    ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` reverse proxies the ``X-Forwarded-For``
    entry that many places from the right; an address it cannot read is refused there
    (``PermissionDenied``), so no access is recorded without one."""
    return get_adapter(request).get_client_ip(request)


def record_access(
    request: HttpRequest, *, page: AccessPage, subject: models.Model | None = None, description: str = ""
) -> None:
    if not services.is_recorded(request.user):
        return
    services.access_record(
        actor=request.user,
        address=client_address(request),
        page=page,
        path=request.get_full_path(),
        subject=subject,
        description=description,
    )
