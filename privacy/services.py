"""Consents (recorded at sign-up, given or withdrawn later) and the deletion of an account (회원 탈퇴)."""

import re
from collections.abc import Callable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import Invitation, JoinRequest, Membership
from notifications.models import LanguagePreference, Notification
from portal import data_version
from portal.errors import DomainError
from privacy.documents import REQUIRED, VERSIONS, ConsentItem
from privacy.models import Consent
from privacy.selectors import closed_by_an_administrator, consents_current


@transaction.atomic
def consents_record(*, user: User, answers: dict[str, bool]) -> list[Consent]:
    """Record ``user``'s answer to each consent item named in ``answers``, at the current version
    of its document. The required items must be agreed to (the sign-up form refuses otherwise)."""
    for item in REQUIRED:
        if not answers.get(item):
            raise ValueError(f"consent {item} is required")
    return Consent.objects.bulk_create(
        Consent(user=user, item=item, version=VERSIONS[item], agreed=bool(agreed))
        for item, agreed in answers.items()
        if item in ConsentItem.values
    )


@transaction.atomic
def name_consent_set(*, actor: User, agreed: bool, name: str = "") -> Consent | None:
    """Give or withdraw the optional consent to the collection of one's name (개인정보 보호법
    제37조: a consent is withdrawn as easily as it was given). Withdrawn, the name is erased at
    once, however it came to be kept (given at sign-up, or set by an administrator before the
    consents were recorded); given, ``name`` is kept (it must not be blank: a consent to nothing
    is not asked for). Each answer is a new row at the document's current version; withdrawing
    what is already withdrawn, with no name kept, records nothing and returns ``None``."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    name = name.strip()
    if agreed and not name:
        raise DomainError(_("Give your name to agree to its collection."))
    if not agreed and not (user.first_name or user.last_name):
        last = consents_current(user)[ConsentItem.PRIVACY_OPTIONAL_NAME]
        if last is None or not last.agreed:
            return None
    consent = Consent.objects.create(
        user=user,
        item=ConsentItem.PRIVACY_OPTIONAL_NAME,
        version=VERSIONS[ConsentItem.PRIVACY_OPTIONAL_NAME],
        agreed=agreed,
    )
    user.first_name = name if agreed else ""
    user.last_name = ""
    user.save(update_fields=["first_name", "last_name"])
    data_version.changed()
    return consent


# What the apps above this one keep of a person (an API token's name, say) and erase when the
# account is deleted: each registers a function of the user at start-up (its AppConfig.ready),
# called in the deletion's transaction. This app cannot import them (pyproject.toml's layers).
_ERASERS: list[Callable[..., object]] = []


def register_account_eraser(eraser: Callable[..., object]) -> None:
    """``eraser(user=…)`` is called when an account is deleted."""
    if eraser not in _ERASERS:
        _ERASERS.append(eraser)


class AccountDeletionRefused(DomainError):
    """The account cannot be deleted as it stands; the message says what to do first."""


def pseudonym(user: User) -> str:
    """What the records that stay show in place of a deleted account: deleted-<id>."""
    return f"deleted-{user.pk}@deleted.invalid"


def account_deletion_obstacles(user: User) -> list[str]:
    """What stands between ``user`` and deleting their account, in their words (empty: nothing).

    Staff and evaluator accounts are not deleted by their holders (``closed_by_an_administrator``).
    The only owner of an organisation that has other members hands the ownership to one of them
    first, so that it is never left with no one to answer its requests to join and its invitations.
    """
    if user.is_staff or user.is_superuser:
        return [_("Staff accounts are closed by an administrator, not deleted here. Ask an administrator.")]
    if closed_by_an_administrator(user):
        return [
            _("Evaluator accounts are closed by the operator: your scores and pledges are the evaluation's records.")
        ]
    obstacles = []
    for membership in Membership.objects.filter(user=user, role=Membership.Role.OWNER).select_related("organization"):
        organization = membership.organization
        others = organization.memberships.exclude(user=user)
        if others.exists() and not others.filter(role=Membership.Role.OWNER).exists():
            obstacles.append(
                _(
                    "You are the only owner of %(organization)s. On its page, make another member an owner "
                    "first; then you can delete your account."
                )
                % {"organization": organization.legal_name}
            )
    return obstacles


@transaction.atomic
def account_delete(*, actor: User) -> None:
    """Delete ``actor``'s account (회원 탈퇴): the person's data is erased and the records that must
    stay keep a pseudonym.

    Erased: the e-mail address (the account row keeps ``deleted-<id>@deleted.invalid``, so that the
    histories, applications and allocations that name it stay whole), the name, the password (no
    login is possible), the confirmed addresses, second factors, language choice, memberships,
    waiting requests to join, invitations not accepted, and the address and body of every e-mail
    the portal logged to it (and the address where other e-mails quoted it), and what the apps
    above keep (``register_account_eraser``: the API tokens). Kept: what was done for an
    organisation (applications, decisions, allocations, reports), which stays with it, and the
    consents given (with the pseudonym). Refused with ``AccountDeletionRefused`` while
    ``account_deletion_obstacles`` names anything. Not idempotent: a deleted account cannot act.
    """
    user = User.objects.select_for_update().get(pk=actor.pk)
    if obstacles := account_deletion_obstacles(user):
        raise AccountDeletionRefused(" ".join(str(obstacle) for obstacle in obstacles))
    email = user.email
    alias = pseudonym(user)

    Membership.objects.filter(user=user).delete()
    JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING).delete()
    Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True).delete()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    LanguagePreference.objects.filter(user=user).delete()
    for eraser in _ERASERS:
        eraser(user=user)
    Notification.objects.filter(Q(user=user) | Q(recipient__iexact=email)).update(
        recipient=alias, body="", html_body="", subject=""
    )
    for notification in Notification.objects.filter(Q(body__icontains=email) | Q(subject__icontains=email)):
        notification.body = _replace(notification.body, email, alias)
        notification.html_body = _replace(notification.html_body, email, alias)
        notification.subject = _replace(notification.subject, email, alias)
        notification.save(update_fields=["body", "html_body", "subject"])

    user.email = alias
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
    data_version.changed()


def _replace(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)
