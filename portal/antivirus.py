"""Virus scanning of uploaded files with ClamAV's daemon (clamd), where one is configured.

``CLAMAV_SOCKET`` names clamd: a Unix socket path (Debian's ``/run/clamav/clamd.ctl``) or
``tcp://host:3310`` (the production compose file's ``clamav`` service). Without it nothing is
scanned (``make run``). The file's bytes are streamed to clamd (its INSTREAM command, through
the ``clamav-client`` library), so clamd needs no access to the portal's files.

A configured scanner that cannot answer refuses the upload (``ScannerUnavailable``): a file
that nobody scanned is never accepted while scanning is configured.
"""

import logging
from typing import BinaryIO, cast
from urllib.parse import urlsplit

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django.conf import settings
from django.core.files import File

logger = logging.getLogger(__name__)


class ScannerUnavailable(Exception):
    """clamd is configured but did not answer (down, starting, too slow, or refused the file)."""


def scanning_enabled() -> bool:
    return bool(settings.CLAMAV_SOCKET)


def _client() -> ClamdNetworkSocket:
    address = settings.CLAMAV_SOCKET
    timeout = settings.CLAMAV_TIMEOUT_SECONDS
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        return ClamdNetworkSocket(host=parts.hostname or "", port=parts.port or 3310, timeout=timeout)
    return ClamdUnixSocket(path=address, timeout=timeout)


def malware_found(stream: File) -> str | None:
    """The name of the signature clamd found in ``stream`` (read from its current position to
    the end), or ``None`` when it found nothing. Raises ``ScannerUnavailable`` when clamd does
    not answer or answers anything but a verdict."""
    try:
        results = _client().instream(cast(BinaryIO, stream))
    except (ClamdError, OSError) as error:
        logger.error("The virus scanner (clamd at %s) did not answer: %s", settings.CLAMAV_SOCKET, error)
        raise ScannerUnavailable(str(error)) from error
    verdicts = list(results.values())
    if len(verdicts) != 1:
        raise ScannerUnavailable(f"unexpected answer from clamd: {results!r}")
    status, signature = verdicts[0]
    if status == "FOUND":
        logger.warning("The virus scanner refused an upload: %s", signature)
        return signature or "unknown"
    if status == "OK":
        return None
    logger.error("The virus scanner (clamd at %s) answered %s %s", settings.CLAMAV_SOCKET, status, signature)
    raise ScannerUnavailable(f"clamd answered {status} {signature}")
