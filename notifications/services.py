"""Every e-mail the portal sends: recorded, rendered in the recipient's language, delivered by a task.

``notify`` renders ``templates/emails/<template>.txt`` (and ``<template>_subject.txt``) once per
recipient in that recipient's language and records one ``Notification`` per recipient in the
caller's transaction; after the commit a Celery task delivers each one. Delivery locks the row,
so two deliveries of the same e-mail (a retried task, a redelivered message, the sweeper) send it
once; a failed SMTP exchange rolls back and is retried with backoff.
"""

import logging
import re
import smtplib
from collections.abc import Iterable
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from notifications.models import LanguagePreference, Notification
from outbox.services import enqueue_on_commit
from portal.errors import RetryLater

logger = logging.getLogger(__name__)

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


class PermanentDeliveryError(Exception):
    """The mail server refused the e-mail for good (e.g. no such mailbox): do not retry."""


# --- Languages ----------------------------------------------------------------------------------


def language_of(user: User | None) -> str:
    """The language ``user`` receives e-mails in: their preference, else the portal's default.

    Reads ``user.language_preference`` (select it with the user to save a query).
    """
    if user is None:
        return settings.LANGUAGE_CODE
    try:
        return user.language_preference.language
    except LanguagePreference.DoesNotExist:
        return settings.LANGUAGE_CODE


def language_preference_set(*, user: User, language: str) -> LanguagePreference | None:
    """Remember the language ``user`` reads the portal in. Idempotent; unknown codes are ignored."""
    if language not in LANGUAGE_CODES or not user.is_authenticated:
        return None
    preference, _created = LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


# --- Recording ----------------------------------------------------------------------------------


def notify(
    *,
    kind: str,
    template: str,
    context: dict[str, Any],
    recipients: Iterable[User | str],
    organization: Any = None,  # the Organization the e-mail is about (an app above this one)
    link: str = "",
    key: str = "",
    secret: bool = False,
) -> list[Notification]:
    """Record ``template`` for each recipient (a user, or an address with no account yet) and
    deliver each after the commit.

    A user gets the e-mail in their language; an address without an account gets it in the
    language active now (the sender's request). ``link`` is a path on the site, given to the
    template as ``link`` (an absolute address) and kept to list the e-mail on the site.
    Idempotent when ``key`` is given: an e-mail already recorded for that key and address is
    not recorded again (a task that runs twice tells the event once).
    ``secret``: the link is a credential (an invitation's token). The e-mail delivers it, but the
    log never keeps it: ``link`` is not stored, the body is not shown in the admin and is
    dropped once delivered.
    """
    recipients = list(recipients)
    active = translation.get_language() or settings.LANGUAGE_CODE
    known = _users_by_email(recipients)
    recorded: list[Notification] = []
    seen: set[str] = set()
    for recipient in recipients:
        email = recipient.email if isinstance(recipient, User) else User.objects.normalize_email(recipient)
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        user = recipient if isinstance(recipient, User) else known.get(email.lower())
        language = language_of(user) if user is not None else _supported(active)
        with translation.override(language):
            full_context = {
                **context,
                "site_url": settings.SITE_URL,
                "link": settings.SITE_URL + link if link else "",
                "recipient": user,
            }
            subject = subject_line(render_to_string(f"emails/{template}_subject.txt", full_context))
            body = tidy_body(render_to_string(f"emails/{template}.txt", full_context))
        notification = _record(
            Notification(
                kind=kind,
                recipient=email,
                user=user,
                organization=organization,
                language=language,
                subject=subject[:500],
                body=body,
                link="" if secret else link,
                secret=secret,
                key=f"{key}:{email.lower()}"[:300] if key else "",
            )
        )
        if notification is not None:
            recorded.append(notification)
    return recorded


def subject_line(subject: str) -> str:
    """One subject prefix on every e-mail, the portal's and django-allauth's (which adds
    ``ACCOUNT_EMAIL_SUBJECT_PREFIX`` itself): ``[국가 AI 데이터센터] …``, in the language active now."""
    return str(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX) + " ".join(subject.split())


def tidy_body(body: str) -> str:
    """A rendered e-mail body without the blank lines its template's optional parts leave: no
    trailing spaces, at most one empty line between paragraphs."""
    lines = [line.rstrip() for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def notification_record_message(
    *, kind: str, message: EmailMessage, user: User | None = None, secret: bool = False
) -> list[Notification]:
    """Record an e-mail rendered elsewhere (django-allauth's account e-mails, rendered in the
    language active now: the recipient's, see ``adapter``) and deliver it by the same task.
    ``secret``: drop the body once delivered."""
    html = ""
    for alternative in getattr(message, "alternatives", []) or []:
        content, mimetype = alternative[0], alternative[1]
        if mimetype == "text/html":
            html = str(content)
    language = _supported(translation.get_language() or settings.LANGUAGE_CODE)
    recorded = []
    for address in message.to:
        email = parseaddr(address)[1] or address
        owner = user if user is not None and user.email.lower() == email.lower() else None
        if owner is None:
            owner = User.objects.filter(email__iexact=email).first()
        notification = _record(
            Notification(
                kind=kind,
                recipient=email,
                user=owner,
                language=language,
                subject=str(message.subject)[:500],
                body=str(message.body),
                html_body=html,
                secret=secret,
            )
        )
        if notification is not None:
            recorded.append(notification)
    return recorded


def _supported(language: str) -> str:
    language = (language or "").split("-")[0].lower()
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def _users_by_email(recipients: Iterable[User | str]) -> dict[str, User]:
    addresses = [recipient for recipient in recipients if isinstance(recipient, str)]
    if not addresses:
        return {}
    users = User.objects.filter(email__in=[User.objects.normalize_email(a) for a in addresses]).select_related(
        "language_preference"
    )
    return {user.email.lower(): user for user in users}


def _record(notification: Notification) -> Notification | None:
    if notification.key:
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            return None  # recorded before (the same event told twice): nothing more to send
    else:
        notification.save()
    _enqueue_delivery(notification.pk)
    return notification


DELIVER = "notifications.deliver"


def _enqueue_delivery(notification_id: int) -> None:
    # Recorded with the e-mail (the outbox): a broker that is down at commit delays it only.
    enqueue_on_commit(DELIVER, notification_id)


# --- Delivery -----------------------------------------------------------------------------------


def _message(notification: Notification) -> EmailMessage:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        # One Message-ID per recorded e-mail: a copy delivered twice is recognisably the same.
        headers={"Message-ID": f"<notification-{notification.pk}@{domain}>"},
    )
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    return message


def is_permanent(error: Exception) -> bool:
    """Whether the mail server refused for good (a 5xx answer), so that retrying is pointless."""
    if isinstance(error, PermanentDeliveryError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


# A mail server that is down, slow or answers 4xx: try again later. OSError covers refused
# connections, timeouts and name-resolution failures.
TRANSIENT = (smtplib.SMTPException, OSError)


def notification_deliver(*, notification_id: int) -> Notification:
    """Send a queued e-mail and mark it sent.

    Idempotent: the row is locked while the mail server takes the e-mail, so a concurrent or
    later run waits, finds it sent and sends nothing. A failed exchange leaves it queued and
    counts the attempt. The retry policy: a permanent refusal (5xx) fails the e-mail at once; a
    transient failure raises ``RetryLater`` (backoff 2, 4, 8… s, at most ten minutes) until the
    e-mail has had ``NOTIFICATION_MAX_ATTEMPTS``, then fails it.
    """
    try:
        return _deliver(notification_id)
    except TRANSIENT as error:
        if is_permanent(error):
            return notification_fail(notification_id=notification_id, reason=str(error))
        attempts = Notification.objects.values_list("attempts", flat=True).get(pk=notification_id)
        if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            return notification_fail(
                notification_id=notification_id, reason=f"gave up after {attempts} attempts: {error}"
            )
        logger.warning("delivery of notification %s failed (attempt %s): %s", notification_id, attempts, error)
        raise RetryLater(str(error), countdown=min(2**attempts, 600)) from error


def _deliver(notification_id: int) -> Notification:
    try:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().get(pk=notification_id)
            if notification.state != Notification.State.QUEUED:
                return notification
            _message(notification).send()
            now = timezone.now()
            notification.state = Notification.State.SENT
            notification.sent_at = now
            notification.last_attempt_at = now
            notification.attempts += 1
            notification.last_error = ""
            fields = ["state", "sent_at", "last_attempt_at", "attempts", "last_error"]
            if notification.secret:
                notification.body = notification.html_body = ""
                fields += ["body", "html_body"]
            notification.save(update_fields=fields)
            return notification
    except Notification.DoesNotExist:
        raise
    except Exception as error:
        Notification.objects.filter(pk=notification_id, state=Notification.State.QUEUED).update(
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        raise


@transaction.atomic
def notification_fail(*, notification_id: int, reason: str) -> Notification:
    """Give up on a queued e-mail (permanent refusal, too many attempts). Idempotent."""
    notification = Notification.objects.select_for_update().get(pk=notification_id)
    if notification.state != Notification.State.QUEUED:
        return notification
    notification.state = Notification.State.FAILED
    notification.last_error = reason[:2000]
    fields = ["state", "last_error"]
    if notification.secret:
        notification.body = notification.html_body = ""
        fields += ["body", "html_body"]
    notification.save(update_fields=fields)
    logger.error("notification %s to %s failed for good: %s", notification.pk, notification.recipient, reason)
    return notification


@transaction.atomic
def notification_retry(*, actor: User, notification: Notification) -> Notification:
    """Queue a failed e-mail again (an operator fixed the address or the mail server). A secret
    e-mail has lost its body and cannot be sent again: the user asks for a new link instead."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.state != Notification.State.FAILED or notification.secret:
        return notification
    notification.state = Notification.State.QUEUED
    notification.attempts = 0
    notification.save(update_fields=["state", "attempts"])
    logger.info("notification %s queued again by %s", notification.pk, actor)
    _enqueue_delivery(notification.pk)
    return notification
